#include "sidecar/config_schema.h"

#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "onceflow/v1/pipeline_config.pb.h"
#include "sidecar/config_loader.h"
#include "base/json_string.h"

namespace onceflow::sidecar {

// proto/onceflow/v1/pipeline_config.proto as a FileDescriptorSet with its comments
// (protoc --include_source_info), embedded at build time (src/CMakeLists.txt).
extern const unsigned char kPipelineConfigDescriptor[];
extern const std::size_t kPipelineConfigDescriptor_size;

namespace {

namespace pb = ::google::protobuf;

// A JSON value that keeps its keys in insertion order.
struct Json {
  enum class Kind { kRaw, kObject, kArray };
  Kind kind = Kind::kRaw;
  std::string raw;  // kRaw: the JSON text of a scalar
  std::vector<std::pair<std::string, Json>> members;
  std::vector<Json> items;

  static Json String(absl::string_view s) {
    Json j;
    base::AppendJsonString(s, j.raw);
    return j;
  }
  static Json Raw(std::string text) {
    Json j;
    j.raw = std::move(text);
    return j;
  }
  static Json Object() {
    Json j;
    j.kind = Kind::kObject;
    return j;
  }
  static Json Array(std::vector<Json> items = {}) {
    Json j;
    j.kind = Kind::kArray;
    j.items = std::move(items);
    return j;
  }
  Json& Set(std::string key, Json value) {
    members.emplace_back(std::move(key), std::move(value));
    return *this;
  }

  void Write(std::string& out, int indent) const {
    const std::string pad(static_cast<size_t>(indent + 2), ' ');
    switch (kind) {
      case Kind::kRaw:
        out += raw;
        return;
      case Kind::kArray:
        if (items.empty()) {
          out += "[]";
          return;
        }
        out += "[\n";
        for (size_t i = 0; i < items.size(); ++i) {
          out += pad;
          items[i].Write(out, indent + 2);
          out += i + 1 < items.size() ? ",\n" : "\n";
        }
        out += std::string(static_cast<size_t>(indent), ' ') + "]";
        return;
      case Kind::kObject:
        if (members.empty()) {
          out += "{}";
          return;
        }
        out += "{\n";
        for (size_t i = 0; i < members.size(); ++i) {
          out += pad;
          base::AppendJsonString(members[i].first, out);
          out += ": ";
          members[i].second.Write(out, indent + 2);
          out += i + 1 < members.size() ? ",\n" : "\n";
        }
        out += std::string(static_cast<size_t>(indent), ' ') + "}";
        return;
    }
  }
};

// A value that goes through ${...} substitution: any string with "${" in it.
Json Substituted() {
  return Json::Object()
      .Set("type", Json::String("string"))
      .Set("pattern", Json::String("\\$\\{"))
      .Set("description", Json::String("${ENV}, ${ENV:-default} or ${file:PATH}"));
}

Json Null() { return Json::Object().Set("type", Json::String("null")); }

Json TypeOf(std::initializer_list<const char*> types) {
  std::vector<Json> names;
  for (const char* t : types) names.push_back(Json::String(t));
  return Json::Array(std::move(names));
}

// The loader's grammar for durations (sidecar/duration.h).
constexpr char kDurationPattern[] = "^([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$";

// Keys the validator requires (the rest of its rules are cross-field, and stay in `validate`).
const std::map<std::string, std::vector<std::string>>& RequiredFields() {
  static const std::map<std::string, std::vector<std::string>> required = {
      {"onceflow.v1.PipelineConfig", {"application_id", "bootstrap_servers", "inputs"}},
      {"onceflow.v1.ProtoCodecConfig", {"descriptor_set", "message"}},
      {"onceflow.v1.PluginConfig", {"path"}},
  };
  return required;
}

std::string Comment(const pb::SourceLocation& location) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(location.leading_comments, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) lines.emplace_back(line);
  }
  return absl::StrJoin(lines, " ");
}

template <typename D>
std::string CommentOf(const D& d) {
  pb::SourceLocation location;
  return d.GetSourceLocation(&location) ? Comment(location) : "";
}

class SchemaBuilder {
 public:
  explicit SchemaBuilder(const pb::Descriptor& root) : root_(root) {
    // Enum-like string keys, by (message, field), from the loader's key paths.
    for (const auto& [path, values] : EnumValues()) {
      const pb::Descriptor* message = &root_;
      const std::vector<std::string> parts = absl::StrSplit(path, '.');
      for (size_t i = 0; i + 1 < parts.size() && message != nullptr; ++i) {
        const pb::FieldDescriptor* f = message->FindFieldByName(parts[i]);
        message = f != nullptr ? f->message_type() : nullptr;
      }
      if (message != nullptr) enums_[{message, parts.back()}] = values;
    }
  }

  Json Build() {
    Json schema = Json::Object();
    schema.Set("$schema", Json::String("http://json-schema.org/draft-07/schema#"))
        .Set("title", Json::String("onceflow pipeline config (onceflow.v1.PipelineConfig)"));
    Json root = Message(root_);
    for (auto& member : root.members) schema.Set(member.first, std::move(member.second));
    Json definitions = Json::Object();
    for (size_t i = 0; i < pending_.size(); ++i) {
      const pb::Descriptor* d = pending_[i];
      definitions.Set(d->name(), Message(*d));
    }
    schema.Set("definitions", std::move(definitions));
    return schema;
  }

 private:
  Json Ref(const pb::Descriptor& d) {
    if (seen_.insert(&d).second) pending_.push_back(&d);
    return Json::Object().Set("$ref", Json::String(absl::StrCat("#/definitions/", d.name())));
  }

  Json Message(const pb::Descriptor& d) {
    Json j = Json::Object();
    // A key with no value is "present, with defaults" (`- passthrough:`, an empty `dedupe:`).
    j.Set("type", TypeOf({"object", "null"}));
    if (std::string c = CommentOf(d); !c.empty()) j.Set("description", Json::String(c));
    Json properties = Json::Object();
    bool all_in_one_oneof = d.field_count() > 0;
    for (int i = 0; i < d.field_count(); ++i) {
      const pb::FieldDescriptor& f = *d.field(i);
      properties.Set(f.name(), Field(d, f));
      if (f.real_containing_oneof() == nullptr) all_in_one_oneof = false;
    }
    j.Set("properties", std::move(properties));
    j.Set("additionalProperties", Json::Raw("false"));
    if (all_in_one_oneof) {
      // TransformConfig: exactly one kind.
      j.Set("minProperties", Json::Raw("1")).Set("maxProperties", Json::Raw("1"));
    }
    if (auto it = RequiredFields().find(d.full_name()); it != RequiredFields().end()) {
      std::vector<Json> names;
      for (const std::string& n : it->second) names.push_back(Json::String(n));
      j.Set("required", Json::Array(std::move(names)));
    }
    return j;
  }

  Json Scalar(const pb::Descriptor& owner, const pb::FieldDescriptor& f) {
    std::vector<Json> any;
    switch (f.cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_STRING: {
        auto it = enums_.find({&owner, f.name()});
        if (it != enums_.end()) {
          std::vector<Json> values;
          for (const std::string& v : it->second) values.push_back(Json::String(v));
          any.push_back(Json::Object().Set("enum", Json::Array(std::move(values))));
        } else if (f.name() == "window") {
          any.push_back(Json::Object().Set("enum", Json::Array({Json::String("forever")})));
          any.push_back(Json::Object()
                            .Set("type", Json::String("string"))
                            .Set("pattern", Json::String(kDurationPattern))
                            .Set("minLength", Json::Raw("2")));
        } else {
          any.push_back(Json::Object().Set("type", Json::String("string")));
        }
        break;
      }
      case pb::FieldDescriptor::CPPTYPE_BOOL:
        any.push_back(Json::Object().Set("type", Json::String("boolean")));
        break;
      case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      case pb::FieldDescriptor::CPPTYPE_FLOAT:
        any.push_back(Json::Object().Set("type", Json::String("number")));
        break;
      default:
        any.push_back(Json::Object().Set("type", Json::String("integer")));
        if (absl::EndsWith(f.name(), "_ms")) {
          any.push_back(
              Json::Object()
                  .Set("type", Json::String("string"))
                  .Set("pattern", Json::String(kDurationPattern))
                  .Set("minLength", Json::Raw("2"))
                  .Set("description", Json::String("a duration: 250ms, 5s, 1m30s, 1h, 1d")));
        }
        break;
    }
    any.push_back(Substituted());
    any.push_back(Null());  // no value: the default ("" for a string)
    return Json::Object().Set("anyOf", Json::Array(std::move(any)));
  }

  Json Field(const pb::Descriptor& owner, const pb::FieldDescriptor& f) {
    Json j = Json::Object();
    if (std::string c = CommentOf(f); !c.empty()) j.Set("description", Json::String(c));
    if (f.is_map()) {
      // Values are scalars kept as their text.
      j.Set("type", TypeOf({"object", "null"}))
          .Set("additionalProperties",
               Json::Object().Set("type", TypeOf({"string", "number", "boolean", "null"})));
      return j;
    }
    Json element = f.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE ? Ref(*f.message_type())
                                                                        : Scalar(owner, f);
    if (f.is_repeated()) {
      j.Set("type", TypeOf({"array", "null"})).Set("items", std::move(element));
      return j;
    }
    for (auto& member : element.members) j.Set(member.first, std::move(member.second));
    return j;
  }

  const pb::Descriptor& root_;
  std::map<std::pair<const pb::Descriptor*, std::string>, std::vector<std::string>> enums_;
  std::set<const pb::Descriptor*> seen_;
  std::vector<const pb::Descriptor*> pending_;
};

}  // namespace

std::string PipelineConfigSchema() {
  // The embedded descriptors carry the .proto's comments; the generated ones (the fallback)
  // do not.
  pb::FileDescriptorSet set;
  auto pool = std::make_unique<pb::DescriptorPool>();
  const pb::Descriptor* root = nullptr;
  if (set.ParseFromArray(kPipelineConfigDescriptor,
                         static_cast<int>(kPipelineConfigDescriptor_size))) {
    bool built = true;
    for (const pb::FileDescriptorProto& file : set.file()) {
      built = built && pool->BuildFile(file) != nullptr;
    }
    if (built) root = pool->FindMessageTypeByName("onceflow.v1.PipelineConfig");
  }
  if (root == nullptr) root = v1::PipelineConfig::descriptor();
  std::string out;
  SchemaBuilder(*root).Build().Write(out, 0);
  out += "\n";
  return out;
}

}  // namespace onceflow::sidecar
