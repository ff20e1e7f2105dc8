// The `json_to_proto` and `proto_to_json` built-ins (proto/onceflow/v1/pipeline_config.proto,
// ProtoCodecConfig): the value, protobuf's JSON mapping of `message`, becomes its binary
// encoding, and back (JSON out uses the lowerCamelCase JSON names). A value that does not parse
// is a PermanentError naming the message type. Null values (tombstones) pass through unchanged.
// The transform's name() is "<kind>:<message>", e.g. "json_to_proto:shop.v1.Order".
//
//   ONCEFLOW_ASSIGN_OR_RETURN(
//       std::unique_ptr<Transform> codec,
//       BuildProtoCodec(config.json_to_proto(), "transforms[0]", "json_to_proto", Codec::kJson,
//                       Codec::kBinary));
#ifndef ONCEFLOW_SIDECAR_PROTO_CODEC_TRANSFORM_H_
#define ONCEFLOW_SIDECAR_PROTO_CODEC_TRANSFORM_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "onceflow/transform.h"
#include "onceflow/typed_transform.h"
#include "onceflow/v1/pipeline_config.pb.h"

namespace onceflow::sidecar {

// Loads the descriptor set (sidecar/message_type.h) now. Errors start with "<where>: <kind>: ":
// kInvalidArgument for a missing setting or a set that does not hold `message`, kNotFound for
// a descriptor set file that is not there.
absl::StatusOr<std::unique_ptr<Transform>> BuildProtoCodec(const v1::ProtoCodecConfig& config,
                                                           const std::string& where,
                                                           absl::string_view kind, Codec from,
                                                           Codec to);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_PROTO_CODEC_TRANSFORM_H_
