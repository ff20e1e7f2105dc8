// The sidecar's transforms, built from the configuration (proto/onceflow/v1/pipeline_config.proto,
// whose comments define what each one does): one TransformConfig at a time, or the whole chain.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<Transform> chain, BuildChain(config.transforms()));
//
// Everything that can be checked is checked at build time (regexes compiled, descriptor sets
// loaded, plugins created, topic names validated), so a bad configuration stops the sidecar
// before it consumes anything; build errors are kInvalidArgument (kNotFound for a file that
// is not there) and start with where the mistake is ("transforms[2]: filter: ...").
//
// The built-ins, each a Transform whose name() is its kind ("filter", "route",
// "json_to_proto:shop.v1.Order", "plugin:redact"), each in its own file:
//   passthrough    every record unchanged (views, no copy): onceflow::Passthrough().
//   filter         sidecar/filter_transform.h
//   headers        sidecar/headers_transform.h
//   json_to_proto  sidecar/proto_codec_transform.h
//   proto_to_json
//   route          sidecar/route_transform.h
//   count          sidecar/count_transform.h (a running count per key in a state store; the
//                  store must be declared: StoresOf)
//   chaos          sidecar/chaos_transform.h (tests and audits only: transient failures)
//   plugin         a shared library implementing onceflow/plugin_abi.h (sidecar/plugin_loader.h).
// In a chain, a stage's output keeps the topic and partition an earlier stage chose unless it
// chooses its own (sidecar/destination_chain.h), so `route` may be followed by other stages.
// The dedupe settings are built by sidecar/dedupe_config.h.
//
// Thread-safety: building is thread-safe. Each Transform, as every Transform, is called from
// one thread at a time.
#ifndef ONCEFLOW_SIDECAR_BUILTINS_H_
#define ONCEFLOW_SIDECAR_BUILTINS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "onceflow/transform.h"
#include "onceflow/v1/pipeline_config.pb.h"

namespace onceflow::sidecar {

// One transform from config; `where` (e.g. "transforms[2]") prefixes error messages.
absl::StatusOr<std::unique_ptr<Transform>> BuildTransform(const v1::TransformConfig& config,
                                                          const std::string& where);

// The state stores the chain's stages use (each count stage's), in order, for
// ProcessorOptions::state.stores.
std::vector<std::string> StoresOf(
    const google::protobuf::RepeatedPtrField<v1::TransformConfig>& configs);

// The whole chain, in order (Passthrough() for an empty list; a single transform is returned
// as is). Errors name the entry: "transforms[1]: route: ...".
absl::StatusOr<std::unique_ptr<Transform>> BuildChain(
    const google::protobuf::RepeatedPtrField<v1::TransformConfig>& configs);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_BUILTINS_H_
