// Loading a textproto config: protobuf text format onto onceflow.v1.PipelineConfig with the
// line of every key path, substituting ${...} in string values (config_substitution.h).
// Internal: only config_loader.cc uses it; everything else calls ParseConfig or LoadConfig.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(LoadedConfig loaded,
//                             ParseTextproto(text, "pipeline.textproto", env));
//
// Thread-safety: shares nothing between calls.
#ifndef ONCEFLOW_SIDECAR_CONFIG_TEXTPROTO_H_
#define ONCEFLOW_SIDECAR_CONFIG_TEXTPROTO_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sidecar/config_loader.h"

namespace onceflow::sidecar::config_internal {

// Parses `text` as protobuf text format into a LoadedConfig whose path is `name`, recording
// in lines the line of every key path the text gave (list syntax, "inputs: [a, b]", gives only
// the field's line) and in secret_paths every path whose value came from a substitution.
// Errors: kInvalidArgument "<name>:<line>:<column>: <protobuf's reason>" for a syntax error or
// an unknown field (with a "did you mean"), "<name>:<line>: <key path>: <why>" for a duplicate
// map key or a failed substitution, never showing a substituted value.
absl::StatusOr<LoadedConfig> ParseTextproto(absl::string_view text, const std::string& name,
                                            const EnvLookup& env);

}  // namespace onceflow::sidecar::config_internal

#endif  // ONCEFLOW_SIDECAR_CONFIG_TEXTPROTO_H_
