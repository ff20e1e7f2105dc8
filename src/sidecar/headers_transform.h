// The `headers` built-in (proto/onceflow/v1/pipeline_config.proto, HeadersConfig): renames
// (old -> new), then removes, then sets headers (replacing every header of that name; appended
// in name order). Values are never copied; each header is renamed at most once (a -> b, b -> c
// turns a into b). Key, value and timestamp pass unchanged. The transform's name() is
// "headers".
//
//   ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<Transform> headers,
//                             BuildHeaders(config.headers(), "transforms[1]: headers"));
#ifndef ONCEFLOW_SIDECAR_HEADERS_TRANSFORM_H_
#define ONCEFLOW_SIDECAR_HEADERS_TRANSFORM_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "onceflow/transform.h"
#include "onceflow/v1/pipeline_config.pb.h"

namespace onceflow::sidecar {

// kInvalidArgument "<where>: ..." when there is nothing to do or a header name is empty.
absl::StatusOr<std::unique_ptr<Transform>> BuildHeaders(const v1::HeadersConfig& config,
                                                        const std::string& where);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_HEADERS_TRANSFORM_H_
