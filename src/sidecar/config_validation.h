// The checks ValidateConfig (config_loader.h) runs on a loaded config: required fields, enum
// values (EnumValues, whose table is defined here too), ranges, cross-field rules, regexes and
// librdkafka properties, each error pointing at the file and line of the key. Internal: only
// config_loader.cc uses it; everything else calls ValidateConfig.
//
//   ONCEFLOW_RETURN_IF_ERROR(Validate(loaded));   // "pipeline.yaml:7: mode: must be one of ..."
//
// Thread-safety: safe to call concurrently; reads `loaded` only.
#ifndef ONCEFLOW_SIDECAR_CONFIG_VALIDATION_H_
#define ONCEFLOW_SIDECAR_CONFIG_VALIDATION_H_

#include "absl/status/status.h"
#include "sidecar/config_loader.h"

namespace onceflow::sidecar::config_internal {

// What ValidateConfig (config_loader.h) documents: the first error found, in schema order, as
// kInvalidArgument "<loaded.path>:<line>: <key path>: <why>", never showing a substituted
// value. Connects nowhere and reads no file.
absl::Status Validate(const LoadedConfig& loaded);

}  // namespace onceflow::sidecar::config_internal

#endif  // ONCEFLOW_SIDECAR_CONFIG_VALIDATION_H_
