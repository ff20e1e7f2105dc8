#include "state/key_extractor.h"

#include <climits>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "state/canonical_json.h"
#include "state/sha256.h"

namespace onceflow::state {
namespace {

namespace pb = ::google::protobuf;

// An empty key is no key: deduping every record whose id is "" against each other would drop
// all but the first.
std::optional<std::string> NonEmpty(std::optional<absl::string_view> key) {
  if (!key.has_value() || key->empty()) return std::nullopt;
  return std::string(*key);
}

class RecordKeyExtractor final : public KeyExtractor {
 public:
  absl::StatusOr<std::optional<std::string>> Extract(const RecordView& record) const override {
    return NonEmpty(record.key);
  }
};

class HeaderExtractor final : public KeyExtractor {
 public:
  explicit HeaderExtractor(std::string name) : name_(std::move(name)) {}
  absl::StatusOr<std::optional<std::string>> Extract(const RecordView& record) const override {
    std::optional<absl::string_view> value;
    for (const auto& [name, header_value] : record.headers) {
      if (name == name_) value = header_value;  // the last one wins
    }
    return NonEmpty(value);
  }

 private:
  std::string name_;
};

// Keys are the raw 32-byte SHA-256 digest (not hex: half the bytes in RocksDB and the
// changelog). A null value (tombstone) has no key; an empty one hashes like any content.
class ContentHashExtractor final : public KeyExtractor {
 public:
  absl::StatusOr<std::optional<std::string>> Extract(const RecordView& record) const override {
    if (!record.value.has_value()) return std::nullopt;
    return Sha256(*record.value);
  }
};

class JsonHashExtractor final : public KeyExtractor {
 public:
  absl::StatusOr<std::optional<std::string>> Extract(const RecordView& record) const override {
    if (!record.value.has_value()) return std::nullopt;
    absl::StatusOr<std::string> canonical = CanonicalJson(*record.value);
    if (!canonical.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("dedupe json_hash: record value at offset ",
                                                     record.offset, ": ",
                                                     canonical.status().message()));
    }
    return Sha256(*canonical);
  }
};

class ProtoFieldExtractor final : public KeyExtractor {
 public:
  static absl::StatusOr<std::unique_ptr<KeyExtractor>> Create(const pb::Descriptor* descriptor,
                                                              const std::string& field_path) {
    if (descriptor == nullptr) {
      return absl::InvalidArgumentError("dedupe proto_field: DedupeOptions.descriptor is required");
    }
    if (field_path.empty()) {
      return absl::InvalidArgumentError("dedupe proto_field: DedupeOptions.field_path is required");
    }
    std::vector<const pb::FieldDescriptor*> path;
    const pb::Descriptor* message = descriptor;
    const std::vector<absl::string_view> names = absl::StrSplit(field_path, '.');
    for (size_t i = 0; i < names.size(); ++i) {
      auto invalid = [&](absl::string_view why) {
        return absl::InvalidArgumentError(absl::StrCat("dedupe proto_field: field path \"",
                                                       field_path, "\" of ",
                                                       descriptor->full_name(), ": ", why));
      };
      if (message == nullptr) {
        return invalid(absl::StrCat("\"", names[i - 1], "\" is not a message"));
      }
      const pb::FieldDescriptor* field = message->FindFieldByName(std::string(names[i]));
      if (field == nullptr) {
        return invalid(absl::StrCat(message->full_name(), " has no field \"", names[i], "\""));
      }
      if (field->is_repeated()) {
        return invalid(
            absl::StrCat("\"", names[i], "\" is repeated; only singular fields can be keys"));
      }
      path.push_back(field);
      message = field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE ? field->message_type()
                                                                          : nullptr;
    }
    const pb::FieldDescriptor* leaf = path.back();
    switch (leaf->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_STRING:
      case pb::FieldDescriptor::CPPTYPE_INT32:
      case pb::FieldDescriptor::CPPTYPE_INT64:
      case pb::FieldDescriptor::CPPTYPE_UINT32:
      case pb::FieldDescriptor::CPPTYPE_UINT64:
      case pb::FieldDescriptor::CPPTYPE_ENUM:
      case pb::FieldDescriptor::CPPTYPE_BOOL:
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("dedupe proto_field: field path \"", field_path, "\" of ",
                         descriptor->full_name(), " ends in a field of type ", leaf->type_name(),
                         "; keys must be string, bytes, integer, enum or bool"));
    }
    return std::unique_ptr<KeyExtractor>(new ProtoFieldExtractor(descriptor, std::move(path)));
  }

  absl::StatusOr<std::optional<std::string>> Extract(const RecordView& record) const override {
    if (!record.value.has_value()) return std::nullopt;
    std::unique_ptr<pb::Message> parsed(prototype_->New());
    if (record.value->size() > static_cast<size_t>(INT_MAX) ||
        !parsed->ParseFromArray(record.value->data(), static_cast<int>(record.value->size()))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dedupe proto_field: record value at offset ", record.offset, " is not a valid ",
          prototype_->GetDescriptor()->full_name(), " (binary protobuf)"));
    }
    const pb::Message* message = parsed.get();
    for (const pb::FieldDescriptor* field : path_) {
      const pb::Reflection* reflection = message->GetReflection();
      // Without presence (proto3 scalars), HasField is false for the default value: 0, "" and
      // false read as "no key", like an unset field.
      if (!reflection->HasField(*message, field)) return std::nullopt;
      if (field != path_.back()) {
        message = &reflection->GetMessage(*message, field);
        continue;
      }
      switch (field->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_STRING: {
          std::string value = reflection->GetString(*message, field);
          if (value.empty()) return std::nullopt;
          return value;
        }
        case pb::FieldDescriptor::CPPTYPE_INT32:
          return absl::StrCat(reflection->GetInt32(*message, field));
        case pb::FieldDescriptor::CPPTYPE_INT64:
          return absl::StrCat(reflection->GetInt64(*message, field));
        case pb::FieldDescriptor::CPPTYPE_UINT32:
          return absl::StrCat(reflection->GetUInt32(*message, field));
        case pb::FieldDescriptor::CPPTYPE_UINT64:
          return absl::StrCat(reflection->GetUInt64(*message, field));
        case pb::FieldDescriptor::CPPTYPE_ENUM:
          // The number, not the name: stable across renames.
          return absl::StrCat(reflection->GetEnumValue(*message, field));
        case pb::FieldDescriptor::CPPTYPE_BOOL:
          return std::string(reflection->GetBool(*message, field) ? "true" : "false");
        default:
          break;  // refused by Create
      }
    }
    return absl::InternalError("dedupe proto_field: unreachable field type");
  }

 private:
  ProtoFieldExtractor(const pb::Descriptor* descriptor,
                      std::vector<const pb::FieldDescriptor*> path)
      : path_(std::move(path)) {
    // Compiled-in types parse with their generated code; others with dynamic messages.
    factory_.SetDelegateToGeneratedFactory(true);
    prototype_ = factory_.GetPrototype(descriptor);
  }

  pb::DynamicMessageFactory factory_;  // owns *prototype_
  const pb::Message* prototype_ = nullptr;
  std::vector<const pb::FieldDescriptor*> path_;
};

class FunctionExtractor final : public KeyExtractor {
 public:
  explicit FunctionExtractor(
      std::function<absl::StatusOr<std::optional<std::string>>(const RecordView&)> fn)
      : fn_(std::move(fn)) {}
  absl::StatusOr<std::optional<std::string>> Extract(const RecordView& record) const override {
    absl::StatusOr<std::optional<std::string>> key = fn_(record);
    if (key.ok() && key->has_value() && (*key)->empty()) return std::nullopt;
    return key;
  }

 private:
  std::function<absl::StatusOr<std::optional<std::string>>(const RecordView&)> fn_;
};

// Refuses keys longer than kMaxDedupeKeyBytes, whatever extracted them.
class BoundedExtractor final : public KeyExtractor {
 public:
  explicit BoundedExtractor(std::unique_ptr<KeyExtractor> extractor)
      : extractor_(std::move(extractor)) {}
  absl::StatusOr<std::optional<std::string>> Extract(const RecordView& record) const override {
    absl::StatusOr<std::optional<std::string>> key = extractor_->Extract(record);
    if (key.ok() && key->has_value() && (*key)->size() > kMaxDedupeKeyBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the idempotency key of the record at offset ", record.offset, " is ", (*key)->size(),
          " bytes, more than the ", kMaxDedupeKeyBytes,
          " a key may have (keys are ids; dedupe large values by their hash, key: hash or "
          "json_hash)"));
    }
    return key;
  }

 private:
  std::unique_ptr<KeyExtractor> extractor_;
};

// The extractor `options` asks for, before bounding.
absl::StatusOr<std::unique_ptr<KeyExtractor>> CreateUnbounded(const DedupeOptions& options) {
  switch (options.source) {
    case DedupeKeySource::kRecordKey:
      return std::make_unique<RecordKeyExtractor>();
    case DedupeKeySource::kHeader:
      if (options.header.empty()) {
        return absl::InvalidArgumentError("dedupe header: DedupeOptions.header is required");
      }
      return std::make_unique<HeaderExtractor>(options.header);
    case DedupeKeySource::kContentHash:
      return std::make_unique<ContentHashExtractor>();
    case DedupeKeySource::kJsonHash:
      return std::make_unique<JsonHashExtractor>();
    case DedupeKeySource::kProtoField:
      return ProtoFieldExtractor::Create(options.descriptor, options.field_path);
    case DedupeKeySource::kFunction:
      if (!options.key_fn) {
        return absl::InvalidArgumentError("dedupe function: DedupeOptions.key_fn is required");
      }
      return std::make_unique<FunctionExtractor>(options.key_fn);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown DedupeKeySource ", static_cast<int>(options.source)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<KeyExtractor>> KeyExtractor::Create(const DedupeOptions& options) {
  absl::StatusOr<std::unique_ptr<KeyExtractor>> extractor = CreateUnbounded(options);
  if (!extractor.ok()) return extractor.status();
  return std::make_unique<BoundedExtractor>(*std::move(extractor));
}

}  // namespace onceflow::state
