// The `filter` built-in (proto/onceflow/v1/pipeline_config.proto, FilterConfig): keeps the
// records meeting every condition given; `negate` keeps the others.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<Transform> filter,
//                             BuildFilter(config.filter(), "transforms[0]: filter"));
//
// Regexes are RE2 (sidecar/regex.h), compiled once, matched against the whole string, in time
// linear in it. A null key reads as "". The header condition looks at the last header of that
// name. A json_field condition is false for a value that is not JSON, not an object, or lacks
// the field (so `negate` keeps such records); `equals` compares with a string field's decoded
// value or another field's JSON text as written ("1.50" is not "1.5"); json_field alone means
// "present and not null". Empty strings mean "not set" (proto3). Kept records are forwarded
// without a copy. The transform's name() is "filter".
#ifndef ONCEFLOW_SIDECAR_FILTER_TRANSFORM_H_
#define ONCEFLOW_SIDECAR_FILTER_TRANSFORM_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "onceflow/transform.h"
#include "onceflow/v1/pipeline_config.pb.h"

namespace onceflow::sidecar {

// kInvalidArgument "<where>: ..." for a regex RE2 refuses, a malformed json_field path, no
// condition at all, or a setting without the one it qualifies (header_regex without header,
// equals or matches without json_field).
absl::StatusOr<std::unique_ptr<Transform>> BuildFilter(const v1::FilterConfig& config,
                                                       const std::string& where);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_FILTER_TRANSFORM_H_
