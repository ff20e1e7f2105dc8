// The second half of loading a YAML or JSON config: a Node tree (config_yaml.h) onto
// onceflow.v1.PipelineConfig by reflection, checking the shape (known keys, types, one kind per
// transform, no duplicate keys), substituting ${...} in values (config_substitution.h) and
// recording each key path's line for later messages. Internal: only config_loader.cc uses it.
//
//   LoadedConfig loaded;
//   loaded.path = name;
//   ONCEFLOW_RETURN_IF_ERROR(MapTree(tree, env, loaded));
//
// Thread-safety: shares nothing between calls.
#ifndef ONCEFLOW_SIDECAR_CONFIG_MAPPER_H_
#define ONCEFLOW_SIDECAR_CONFIG_MAPPER_H_

#include "absl/status/status.h"
#include "sidecar/config_loader.h"
#include "sidecar/config_yaml.h"

namespace onceflow::sidecar::config_internal {

// Maps `tree` onto loaded.config, adding to loaded.lines the line of every key path it sees
// and to loaded.secret_paths every path whose value came from a substitution. "*_ms" keys also
// take a duration ("1s"). A plain null leaves a field at its default. Errors: kInvalidArgument
// "<loaded.path>:<line>: <key path>: <why>" (unknown key, with a "did you mean"; duplicate key;
// a second field of a oneof; a value of the wrong kind or type; a failed substitution), never
// showing a substituted value. REQUIRES: loaded.path is set (messages name it).
absl::Status MapTree(const Node& tree, const EnvLookup& env, LoadedConfig& loaded);

}  // namespace onceflow::sidecar::config_internal

#endif  // ONCEFLOW_SIDECAR_CONFIG_MAPPER_H_
