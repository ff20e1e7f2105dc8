#include "onceflow/typed_transform.h"

#include <climits>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/base/thread_annotations.h"
#include "base/excerpt.h"
#include "google/protobuf/message.h"
#include "google/protobuf/type.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver_util.h"

namespace onceflow {
namespace {

const char* CodecName(Codec codec) { return codec == Codec::kJson ? "json" : "binary"; }

// `reason` is protobuf's, which may quote the value (a 50 MB string where a number belongs):
// shortened, as the message goes to logs and dead-letter headers.
absl::Status CannotParse(absl::string_view bytes, Codec codec,
                         const google::protobuf::Message& message, absl::string_view reason) {
  return PermanentError(absl::StrCat("cannot parse ", bytes.size(), " bytes as ",
                                     message.GetDescriptor()->full_name(), " (", CodecName(codec),
                                     "): ", base::Shortened(reason)));
}

constexpr char kTypeUrlPrefix[] = "type.googleapis.com";

std::string TypeUrl(const google::protobuf::Message& message) {
  return absl::StrCat(kTypeUrlPrefix, "/", message.GetDescriptor()->full_name());
}

namespace pbu = google::protobuf::util;

class CachingTypeResolver final : public pbu::TypeResolver {
 public:
  explicit CachingTypeResolver(const google::protobuf::DescriptorPool* pool)
      : base_(pbu::NewTypeResolverForDescriptorPool(kTypeUrlPrefix, pool)) {}

  pbu::Status ResolveMessageType(const std::string& type_url,
                                 google::protobuf::Type* type) override {
    return Resolve(type_url, type, types_, &pbu::TypeResolver::ResolveMessageType);
  }
  pbu::Status ResolveEnumType(const std::string& type_url, google::protobuf::Enum* e) override {
    return Resolve(type_url, e, enums_, &pbu::TypeResolver::ResolveEnumType);
  }

 private:
  template <typename T>
  pbu::Status Resolve(const std::string& url, T* out, absl::flat_hash_map<std::string, T>& cache,
                      pbu::Status (pbu::TypeResolver::*resolve)(const std::string&, T*)) {
    const std::lock_guard<std::mutex> lock(mu_);
    auto it = cache.find(url);
    if (it == cache.end()) {
      T resolved;
      pbu::Status st = (base_.get()->*resolve)(url, &resolved);
      if (!st.ok()) return st;  // not cached: an unknown type stays an error
      it = cache.emplace(url, std::move(resolved)).first;
    }
    *out = it->second;
    return pbu::Status();
  }

  const std::unique_ptr<pbu::TypeResolver> base_;
  std::mutex mu_;  // not absl::Mutex: see docs/choices.md (ThreadSanitizer)
  absl::flat_hash_map<std::string, google::protobuf::Type> types_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, google::protobuf::Enum> enums_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<google::protobuf::util::TypeResolver> NewCachingTypeResolver(
    const google::protobuf::DescriptorPool* pool) {
  return std::make_unique<CachingTypeResolver>(pool);
}

absl::Status ParseAs(absl::string_view bytes, Codec codec, google::protobuf::Message& message,
                     google::protobuf::util::TypeResolver& resolver) {
  if (codec != Codec::kJson) return ParseAs(bytes, codec, message);
  // What JsonStringToMessage does, with our resolver instead of a new one per call.
  pbu::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  std::string binary;
  const auto status = pbu::JsonToBinaryString(
      &resolver, TypeUrl(message), google::protobuf::StringPiece(bytes.data(), bytes.size()),
      &binary, options);
  if (!status.ok()) return CannotParse(bytes, codec, message, status.message().ToString());
  if (!message.ParseFromString(binary)) {
    return CannotParse(bytes, codec, message, "JSON transcoder produced invalid protobuf output");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SerializeAs(const google::protobuf::Message& message, Codec codec,
                                        google::protobuf::util::TypeResolver& resolver) {
  if (codec != Codec::kJson) return SerializeAs(message, codec);
  // What MessageToJsonString does, with our resolver.
  std::string binary;
  if (!message.SerializeToString(&binary)) {
    return PermanentError(absl::StrCat("cannot serialize ", message.GetDescriptor()->full_name(),
                                       " (json): larger than protobuf's 2 GiB limit"));
  }
  std::string out;
  const auto status =
      pbu::BinaryToJsonString(&resolver, TypeUrl(message), binary, &out, pbu::JsonPrintOptions());
  if (!status.ok()) {
    return PermanentError(absl::StrCat("cannot serialize ", message.GetDescriptor()->full_name(),
                                       " (json): ", base::Shortened(status.message().ToString())));
  }
  return out;
}

absl::Status ParseAs(absl::string_view bytes, Codec codec, google::protobuf::Message& message) {
  switch (codec) {
    case Codec::kBinary: {
      if (bytes.size() > static_cast<size_t>(INT_MAX)) {
        return CannotParse(bytes, codec, message, "larger than protobuf's 2 GiB limit");
      }
      // Partial parse first, so a proto2 message missing required fields says which.
      if (!message.ParsePartialFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        return CannotParse(bytes, codec, message, "invalid protobuf wire format");
      }
      if (!message.IsInitialized()) {
        return CannotParse(
            bytes, codec, message,
            absl::StrCat("missing required fields: ", message.InitializationErrorString()));
      }
      return absl::OkStatus();
    }
    case Codec::kJson: {
      google::protobuf::util::JsonParseOptions options;
      options.ignore_unknown_fields = false;
      const auto status = google::protobuf::util::JsonStringToMessage(
          google::protobuf::StringPiece(bytes.data(), bytes.size()), &message, options);
      if (!status.ok()) return CannotParse(bytes, codec, message, status.message().ToString());
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError("unknown codec");
}

absl::StatusOr<std::string> SerializeAs(const google::protobuf::Message& message, Codec codec) {
  std::string out;
  switch (codec) {
    case Codec::kBinary:
      if (!message.IsInitialized()) {
        return PermanentError(absl::StrCat(
            "cannot serialize ", message.GetDescriptor()->full_name(),
            " (binary): missing required fields: ", message.InitializationErrorString()));
      }
      if (!message.SerializeToString(&out)) {
        return PermanentError(absl::StrCat("cannot serialize ",
                                           message.GetDescriptor()->full_name(),
                                           " (binary): larger than protobuf's 2 GiB limit"));
      }
      return out;
    case Codec::kJson: {
      const auto status = google::protobuf::util::MessageToJsonString(message, &out);
      if (!status.ok()) {
        return PermanentError(absl::StrCat("cannot serialize ",
                                           message.GetDescriptor()->full_name(),
                                           " (json): ", base::Shortened(status.message().ToString())));
      }
      return out;
    }
  }
  return absl::InvalidArgumentError("unknown codec");
}

}  // namespace onceflow
