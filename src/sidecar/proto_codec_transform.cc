#include "sidecar/proto_codec_transform.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/type_resolver.h"
#include "onceflow/record.h"
#include "onceflow/status_macros.h"
#include "onceflow/transform.h"
#include "onceflow/typed_transform.h"
#include "sidecar/build_error.h"
#include "sidecar/message_type.h"

namespace onceflow::sidecar {
namespace {

namespace pb = ::google::protobuf;

class ProtoCodecTransform final : public Transform {
 public:
  ProtoCodecTransform(MessageType type, Codec from, Codec to, std::string name)
      : type_(std::move(type)),
        message_(factory_.GetPrototype(type_.descriptor)->New()),
        resolver_(NewCachingTypeResolver(type_.pool.get())),
        from_(from),
        to_(to),
        name_(std::move(name)) {}

  absl::Status Process(const Record& in, Emitter& out) override {
    if (!in.has_value()) {  // a tombstone stays one
      out.Emit(OutputRecord::Forward(in));
      return absl::OkStatus();
    }
    message_->Clear();
    ONCEFLOW_RETURN_IF_ERROR(ParseAs(in.value(), from_, *message_, *resolver_));
    ONCEFLOW_ASSIGN_OR_RETURN(std::string bytes, SerializeAs(*message_, to_, *resolver_));
    out.Emit(OutputRecord::Forward(in).SetValue(std::move(bytes)));
    return absl::OkStatus();
  }

  std::string name() const override { return name_; }

 private:
  MessageType type_;                      // owns the descriptors
  pb::DynamicMessageFactory factory_;     // owns the prototype
  std::unique_ptr<pb::Message> message_;  // reused for every record
  // JSON type translations, done once per type rather than once per record.
  std::unique_ptr<google::protobuf::util::TypeResolver> resolver_;
  Codec from_;
  Codec to_;
  std::string name_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Transform>> BuildProtoCodec(const v1::ProtoCodecConfig& config,
                                                           const std::string& where,
                                                           absl::string_view kind, Codec from,
                                                           Codec to) {
  const std::string here = absl::StrCat(where, ": ", kind);
  if (config.descriptor_set().empty()) return BuildError(here, "descriptor_set is required");
  if (config.message().empty()) return BuildError(here, "message is required");
  absl::StatusOr<MessageType> type = LoadMessageType(config.descriptor_set(), config.message());
  if (!type.ok()) {
    return absl::Status(type.status().code(), absl::StrCat(here, ": ", type.status().message()));
  }
  std::string name = absl::StrCat(kind, ":", config.message());
  return std::make_unique<ProtoCodecTransform>(*std::move(type), from, to, std::move(name));
}

}  // namespace onceflow::sidecar
