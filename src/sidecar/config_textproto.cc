#include "sidecar/config_textproto.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "onceflow/status_macros.h"
#include "sidecar/config_errors.h"
#include "sidecar/config_substitution.h"

namespace onceflow::sidecar::config_internal {
namespace {

namespace pb = ::google::protobuf;

class FirstErrorCollector : public pb::io::ErrorCollector {
 public:
  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    if (has_error_) return;
    has_error_ = true;
    line_ = line;
    column_ = column;
    message_ = message;
  }
  void AddWarning(int, pb::io::ColumnNumber, const std::string&) override {}

  // "<name>:<line>:<column>: <message>", 1-based, with a suggestion for an unknown field.
  absl::Status ToStatus(const std::string& name) const {
    std::string message = message_;
    // 'Message type "onceflow.v1.FilterConfig" has no field named "jsn_field".'
    const std::vector<std::string> quoted = absl::StrSplit(message_, '"');
    if (absl::StrContains(message_, "has no field named") && quoted.size() >= 4) {
      if (const pb::Descriptor* type =
              pb::DescriptorPool::generated_pool()->FindMessageTypeByName(quoted[1]);
          type != nullptr) {
        if (absl::EndsWith(message, ".")) message.pop_back();
        absl::StrAppend(&message, DidYouMean(quoted[3], FieldNames(*type)));
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat(name, ":", line_ + 1, ":", column_ + 1, ": ", message));
  }
  bool has_error() const { return has_error_; }

 private:
  bool has_error_ = false;
  int line_ = 0;
  int column_ = 0;
  std::string message_;
};

// Records the lines of a parsed textproto and substitutes its string values.
class TextWalker {
 public:
  TextWalker(LoadedConfig& out, const EnvLookup& env) : out_(out), env_(env) {}

  absl::Status Walk(const pb::TextFormat::ParseInfoTree* tree, pb::Message& message,
                    const std::string& path) {
    const pb::Descriptor& descriptor = *message.GetDescriptor();
    const pb::Reflection& r = *message.GetReflection();
    for (int f = 0; f < descriptor.field_count(); ++f) {
      const pb::FieldDescriptor& field = *descriptor.field(f);
      const std::string field_path = JoinKey(path, field.name());
      if (!field.is_repeated()) {
        Record(tree, field, -1, field_path, field_path);
        if (field.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
          if (r.HasField(message, &field)) {
            ONCEFLOW_RETURN_IF_ERROR(
                Walk(tree == nullptr ? nullptr : tree->GetTreeForNested(&field, -1),
                     *r.MutableMessage(&message, &field), field_path));
          }
        } else if (field.cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) {
          ONCEFLOW_ASSIGN_OR_RETURN(std::optional<std::string> value,
                                    Expand(r.GetString(message, &field), field_path));
          if (value.has_value()) r.SetString(&message, &field, *std::move(value));
        }
        continue;
      }
      std::map<std::string, int> keys;  // map fields: key -> line
      const int size = r.FieldSize(message, &field);
      // List syntax ("inputs: [a, b]") records one location for all its elements; then only
      // the field's own line is known, not each element's.
      const bool per_element =
          size > 0 && tree != nullptr && tree->GetLocation(&field, size - 1).line >= 0;
      if (!per_element && size > 0) Record(tree, field, 0, field_path, field_path);
      const pb::TextFormat::ParseInfoTree* element_tree = per_element ? tree : nullptr;
      for (int i = 0; i < size; ++i) {
        std::string item_path = JoinIndex(field_path, i);
        if (field.is_map()) {
          pb::Message& entry = *r.MutableRepeatedMessage(&message, &field, i);
          const pb::FieldDescriptor& key_field = *field.message_type()->map_key();
          const pb::FieldDescriptor& value_field = *field.message_type()->map_value();
          const pb::Reflection& er = *entry.GetReflection();
          const std::string key = key_field.cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING
                                      ? er.GetString(entry, &key_field)
                                      : absl::StrCat(i);
          item_path = JoinKey(field_path, key);
          const int line = Record(element_tree, field, i, item_path, field_path);
          if (auto [it, inserted] = keys.emplace(key, line); !inserted) {
            return ConfigError(out_.path, line, item_path,
                               it->second > 0
                                   ? absl::StrCat("duplicate key (first at line ", it->second, ")")
                                   : "duplicate key");
          }
          if (value_field.cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) {
            ONCEFLOW_ASSIGN_OR_RETURN(std::optional<std::string> value,
                                      Expand(er.GetString(entry, &value_field), item_path));
            if (value.has_value()) er.SetString(&entry, &value_field, *std::move(value));
          }
          continue;
        }
        Record(element_tree, field, i, item_path, field_path);
        if (field.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
          ONCEFLOW_RETURN_IF_ERROR(
              Walk(tree == nullptr ? nullptr : tree->GetTreeForNested(&field, i),
                   *r.MutableRepeatedMessage(&message, &field, i), item_path));
        } else if (field.cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) {
          ONCEFLOW_ASSIGN_OR_RETURN(std::optional<std::string> value,
                                    Expand(r.GetRepeatedString(message, &field, i), item_path));
          if (value.has_value()) r.SetRepeatedString(&message, &field, i, *std::move(value));
        }
      }
    }
    return absl::OkStatus();
  }

 private:
  // Records where field[index] was (and, for the first element, the field itself); its line
  // or 0.
  int Record(const pb::TextFormat::ParseInfoTree* tree, const pb::FieldDescriptor& field, int index,
             const std::string& path, const std::string& field_path) {
    if (tree == nullptr) return 0;
    const pb::TextFormat::ParseLocation location = tree->GetLocation(&field, index);
    if (location.line < 0) return 0;
    out_.lines.emplace(path, location.line + 1);
    if (index == 0) out_.lines.emplace(field_path, location.line + 1);
    return location.line + 1;
  }

  // The substituted value, or nullopt if `value` has nothing to substitute.
  absl::StatusOr<std::optional<std::string>> Expand(const std::string& value,
                                                    const std::string& path) {
    if (!absl::StrContains(value, "${")) return std::optional<std::string>();
    absl::StatusOr<Substituted> expanded = Substitute(value, env_);
    if (!expanded.ok()) return out_.Error(path, expanded.status().message());
    if (expanded->substituted) out_.secret_paths.insert(path);
    return std::optional<std::string>(std::move(expanded->value));
  }

  LoadedConfig& out_;
  const EnvLookup& env_;
};

}  // namespace

absl::StatusOr<LoadedConfig> ParseTextproto(absl::string_view text, const std::string& name,
                                            const EnvLookup& env) {
  LoadedConfig loaded;
  loaded.path = name;
  FirstErrorCollector errors;
  pb::TextFormat::ParseInfoTree tree;
  pb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(std::string(text), &loaded.config)) {
    if (errors.has_error()) return errors.ToStatus(name);
    return ConfigError(name, 0, "", "not a valid textproto");
  }
  TextWalker walker(loaded, env);
  ONCEFLOW_RETURN_IF_ERROR(walker.Walk(&tree, loaded.config, ""));
  return loaded;
}

}  // namespace onceflow::sidecar::config_internal
