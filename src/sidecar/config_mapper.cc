#include "sidecar/config_mapper.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "onceflow/status_macros.h"
#include "sidecar/config_errors.h"
#include "sidecar/config_substitution.h"
#include "sidecar/duration.h"

namespace onceflow::sidecar::config_internal {
namespace {

namespace pb = ::google::protobuf;

// A number of milliseconds, which the file may also write as a duration ("1s", "1m30s").
bool IsDurationField(const pb::FieldDescriptor& field) {
  return field.cpp_type() == pb::FieldDescriptor::CPPTYPE_INT64 &&
         absl::EndsWith(field.name(), "_ms");
}

// How a field's value is written, for "expected ..." messages.
std::string Expected(const pb::FieldDescriptor& field, bool element = false) {
  if (field.is_map()) return "a mapping of names to values";
  if (IsDurationField(field)) {
    return "a whole number of milliseconds or a duration (e.g. 250ms, 5s, 1m30s)";
  }
  if (field.is_repeated() && !element) return "a sequence (a list)";
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      return absl::StrCat("a mapping (", field.message_type()->name(), " settings)");
    case pb::FieldDescriptor::CPPTYPE_STRING:
      return "a string";
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return "a boolean (true or false)";
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      return "an enum value name";
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
      return "a number";
    default:
      return "a whole number (plain decimal)";
  }
}

// Plain decimal: an optional '-' and digits, within int64.
std::optional<int64_t> ParseDecimal(absl::string_view text) {
  const size_t digits = absl::StartsWith(text, "-") ? 1 : 0;
  if (text.size() == digits) return std::nullopt;
  for (size_t i = digits; i < text.size(); ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) return std::nullopt;
  return value;
}

// Maps a Node tree onto a message by reflection, recording lines and substituted paths.
class Mapper {
 public:
  Mapper(LoadedConfig& out, const EnvLookup& env) : out_(out), env_(env) {}

  absl::Status MapMessage(const Node& node, pb::Message& message, const std::string& path) {
    if (node.IsNull()) return absl::OkStatus();
    const pb::Descriptor& descriptor = *message.GetDescriptor();
    if (node.kind != Node::Kind::kMapping) {
      return Fail(node.line, path,
                  absl::StrCat(path.empty() ? "the config must be " : "expected ", "a mapping (",
                               descriptor.name(), " settings), got ", node.KindName()));
    }
    std::map<std::string, int> seen;  // key -> line
    std::map<const pb::OneofDescriptor*, std::pair<std::string, int>> oneofs;
    for (const auto& [key, value] : node.entries) {
      if (key.kind != Node::Kind::kScalar) {
        return Fail(key.line, path, absl::StrCat("a key must be a name, got ", key.KindName()));
      }
      const std::string child = JoinKey(path, key.text);
      if (auto [it, inserted] = seen.emplace(key.text, key.line); !inserted) {
        return Fail(key.line, child,
                    absl::StrCat("duplicate key (first at line ", it->second, ")"));
      }
      out_.lines.emplace(child, key.line);
      const pb::FieldDescriptor* field = descriptor.FindFieldByName(key.text);
      if (field == nullptr) {
        return Fail(
            key.line, child,
            absl::StrCat("unknown key '", key.text, "' in ", path.empty() ? "the config" : path,
                         DidYouMean(key.text, FieldNames(descriptor))));
      }
      if (const pb::OneofDescriptor* oneof = field->real_containing_oneof(); oneof != nullptr) {
        if (auto [it, inserted] = oneofs.emplace(oneof, std::make_pair(key.text, key.line));
            !inserted) {
          return Fail(
              key.line, child,
              absl::StrCat("sets a second ", oneof->name(), " besides '", it->second.first,
                           "' (line ", it->second.second, "): each ", OneofOwner(descriptor),
                           " sets exactly one of ", OneofNames(*oneof)));
        }
      }
      ONCEFLOW_RETURN_IF_ERROR(MapField(value, message, *field, child));
    }
    return absl::OkStatus();
  }

 private:
  static std::string OneofOwner(const pb::Descriptor& descriptor) {
    // "TransformConfig" -> "transform".
    std::string owner = descriptor.name();
    if (absl::EndsWith(owner, "Config")) owner.resize(owner.size() - 6);
    return absl::AsciiStrToLower(owner);
  }
  static std::string OneofNames(const pb::OneofDescriptor& oneof) {
    std::vector<std::string> names;
    for (int i = 0; i < oneof.field_count(); ++i) names.push_back(oneof.field(i)->name());
    return absl::StrJoin(names, ", ");
  }

  absl::Status Fail(int line, const std::string& path, absl::string_view why) const {
    return ConfigError(out_.path, line, path, why);
  }

  // A value as shown in messages: quoted, unless it came from a substitution.
  std::string Shown(const std::string& path, absl::string_view value) const {
    return out_.IsSecret(path) ? kHiddenValue : absl::StrCat("'", value, "'");
  }

  absl::Status MapField(const Node& value, pb::Message& message, const pb::FieldDescriptor& field,
                        const std::string& path) {
    const pb::Reflection& reflection = *message.GetReflection();
    if (field.is_map()) return MapMap(value, message, field, path);
    if (field.is_repeated()) {
      if (value.IsNull()) return absl::OkStatus();
      if (value.kind != Node::Kind::kSequence) {
        return Fail(value.line, path,
                    absl::StrCat("expected ", Expected(field), ", got ", value.KindName()));
      }
      for (size_t i = 0; i < value.items.size(); ++i) {
        const Node& item = value.items[i];
        const std::string item_path = JoinIndex(path, static_cast<int>(i));
        out_.lines.emplace(item_path, item.line);
        if (field.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
          if (item.kind != Node::Kind::kMapping && !item.IsNull()) {
            return Fail(
                item.line, item_path,
                absl::StrCat("expected ", Expected(field, true), ", got ", item.KindName()));
          }
          ONCEFLOW_RETURN_IF_ERROR(
              MapMessage(item, *reflection.AddMessage(&message, &field), item_path));
        } else {
          ONCEFLOW_RETURN_IF_ERROR(SetScalar(item, message, field, item_path, /*add=*/true));
        }
      }
      return absl::OkStatus();
    }
    if (field.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      // A message key with nothing after it ("passthrough:") is present with its defaults.
      return MapMessage(value, *reflection.MutableMessage(&message, &field), path);
    }
    return SetScalar(value, message, field, path, /*add=*/false);
  }

  // map<K, V> fields: a mapping whose values are scalars, kept as their text.
  absl::Status MapMap(const Node& value, pb::Message& message, const pb::FieldDescriptor& field,
                      const std::string& path) {
    if (value.IsNull()) return absl::OkStatus();
    if (value.kind != Node::Kind::kMapping) {
      return Fail(value.line, path,
                  absl::StrCat("expected ", Expected(field), ", got ", value.KindName()));
    }
    const pb::FieldDescriptor& key_field = *field.message_type()->map_key();
    const pb::FieldDescriptor& value_field = *field.message_type()->map_value();
    std::map<std::string, int> seen;
    for (const auto& [key, item] : value.entries) {
      if (key.kind != Node::Kind::kScalar) {
        return Fail(key.line, path, absl::StrCat("a key must be a name, got ", key.KindName()));
      }
      const std::string item_path = JoinKey(path, key.text);
      if (auto [it, inserted] = seen.emplace(key.text, key.line); !inserted) {
        return Fail(key.line, item_path,
                    absl::StrCat("duplicate key (first at line ", it->second, ")"));
      }
      out_.lines.emplace(item_path, key.line);
      if (item.kind != Node::Kind::kScalar) {
        return Fail(item.line, item_path,
                    absl::StrCat("expected a scalar value, got ", item.KindName()));
      }
      pb::Message& entry = *message.GetReflection()->AddMessage(&message, &field);
      ONCEFLOW_RETURN_IF_ERROR(SetScalar(key, entry, key_field, item_path, false, false));
      // Null values count as "": a map entry is always present.
      Node text = item;
      if (text.IsNull()) text.text.clear();
      ONCEFLOW_RETURN_IF_ERROR(SetScalar(text, entry, value_field, item_path, false));
    }
    return absl::OkStatus();
  }

  // A scalar field (or, with `add`, one more element of a repeated one). `substitute` is false
  // for map keys, which are names, not values.
  absl::Status SetScalar(const Node& node, pb::Message& message, const pb::FieldDescriptor& field,
                         const std::string& path, bool add, bool substitute = true) {
    if (node.kind != Node::Kind::kScalar) {
      return Fail(node.line, path,
                  absl::StrCat("expected ", Expected(field, add), ", got ", node.KindName()));
    }
    // A plain null leaves a singular field at its default, as if it were not there (so
    // ValidateConfig does not take it for an explicit 0).
    if (!add && node.IsNull() && field.cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING) {
      out_.lines.erase(path);
      return absl::OkStatus();
    }
    std::string text = node.IsNull() ? "" : node.text;
    if (substitute) {
      absl::StatusOr<Substituted> expanded = Substitute(text, env_);
      if (!expanded.ok()) return Fail(node.line, path, expanded.status().message());
      if (expanded->substituted) out_.secret_paths.insert(path);
      text = std::move(expanded->value);
    }
    const pb::Reflection& r = *message.GetReflection();
    const auto wrong = [&] {
      return Fail(node.line, path,
                  absl::StrCat("expected ", Expected(field, add), ", got ", Shown(path, text)));
    };
    switch (field.cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_STRING:
        add ? r.AddString(&message, &field, text) : r.SetString(&message, &field, text);
        return absl::OkStatus();
      case pb::FieldDescriptor::CPPTYPE_BOOL: {
        if (text != "true" && text != "false") return wrong();
        add ? r.AddBool(&message, &field, text == "true")
            : r.SetBool(&message, &field, text == "true");
        return absl::OkStatus();
      }
      case pb::FieldDescriptor::CPPTYPE_INT64:
      case pb::FieldDescriptor::CPPTYPE_INT32:
      case pb::FieldDescriptor::CPPTYPE_UINT32:
      case pb::FieldDescriptor::CPPTYPE_UINT64: {
        std::optional<int64_t> value = ParseDecimal(text);
        if (!value.has_value() && IsDurationField(field)) {
          // "*_ms" keys also take a duration: commit_interval_ms: 1s.
          if (absl::StatusOr<std::chrono::milliseconds> d = ParseDuration(text); d.ok()) {
            value = d->count();
          }
        }
        if (!value.has_value()) return wrong();
        const bool is_unsigned = field.cpp_type() == pb::FieldDescriptor::CPPTYPE_UINT32 ||
                                 field.cpp_type() == pb::FieldDescriptor::CPPTYPE_UINT64;
        const bool is_32 = field.cpp_type() == pb::FieldDescriptor::CPPTYPE_INT32 ||
                           field.cpp_type() == pb::FieldDescriptor::CPPTYPE_UINT32;
        if ((is_unsigned && *value < 0) ||
            (is_32 && (*value > (is_unsigned ? int64_t{UINT32_MAX} : int64_t{INT32_MAX}) ||
                       *value < (is_unsigned ? 0 : int64_t{INT32_MIN})))) {
          return wrong();
        }
        switch (field.cpp_type()) {
          case pb::FieldDescriptor::CPPTYPE_INT64:
            add ? r.AddInt64(&message, &field, *value) : r.SetInt64(&message, &field, *value);
            break;
          case pb::FieldDescriptor::CPPTYPE_INT32:
            add ? r.AddInt32(&message, &field, static_cast<int32_t>(*value))
                : r.SetInt32(&message, &field, static_cast<int32_t>(*value));
            break;
          case pb::FieldDescriptor::CPPTYPE_UINT32:
            add ? r.AddUInt32(&message, &field, static_cast<uint32_t>(*value))
                : r.SetUInt32(&message, &field, static_cast<uint32_t>(*value));
            break;
          default:
            add ? r.AddUInt64(&message, &field, static_cast<uint64_t>(*value))
                : r.SetUInt64(&message, &field, static_cast<uint64_t>(*value));
            break;
        }
        return absl::OkStatus();
      }
      case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      case pb::FieldDescriptor::CPPTYPE_FLOAT: {
        double value = 0;
        if (!absl::SimpleAtod(text, &value)) return wrong();
        if (field.cpp_type() == pb::FieldDescriptor::CPPTYPE_DOUBLE) {
          add ? r.AddDouble(&message, &field, value) : r.SetDouble(&message, &field, value);
        } else {
          add ? r.AddFloat(&message, &field, static_cast<float>(value))
              : r.SetFloat(&message, &field, static_cast<float>(value));
        }
        return absl::OkStatus();
      }
      case pb::FieldDescriptor::CPPTYPE_ENUM: {
        const pb::EnumValueDescriptor* value = field.enum_type()->FindValueByName(text);
        if (value == nullptr) return wrong();
        add ? r.AddEnum(&message, &field, value) : r.SetEnum(&message, &field, value);
        return absl::OkStatus();
      }
      case pb::FieldDescriptor::CPPTYPE_MESSAGE:
        break;
    }
    return wrong();
  }

  LoadedConfig& out_;
  const EnvLookup& env_;
};

}  // namespace

absl::Status MapTree(const Node& tree, const EnvLookup& env, LoadedConfig& loaded) {
  Mapper mapper(loaded, env);
  return mapper.MapMessage(tree, loaded.config, "");
}

}  // namespace onceflow::sidecar::config_internal
