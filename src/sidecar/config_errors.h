// How config errors are written, shared by the config_* files behind config_loader.h (YAML,
// textproto, validation): "<file>:<line>: <key path>: <why>", key paths ("transforms[2].filter"),
// a "did you mean" for a misspelt name, and what stands in for a substituted (secret) value.
// Internal: only the config_* files include it; everything else uses config_loader.h.
//
//   return ConfigError(name, 7, JoinKey("errors", "policy"), "must be one of fail, skip, dlq");
//   // kInvalidArgument "pipeline.yaml:7: errors.policy: must be one of fail, skip, dlq"
//
// Thread-safety: every function is pure (no shared state).
#ifndef ONCEFLOW_SIDECAR_CONFIG_ERRORS_H_
#define ONCEFLOW_SIDECAR_CONFIG_ERRORS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace onceflow::sidecar::config_internal {

// What error messages show instead of a value that came from a substitution.
inline constexpr char kHiddenValue[] = "a substituted value (not shown)";

// kInvalidArgument "<file>:<line>: <key path>: <why>", leaving out what is unknown (a line of
// 0, an empty key path). `why` must not contain a substituted value.
absl::Status ConfigError(const std::string& file, int line, const std::string& key_path,
                         absl::string_view why);

// "path.key", or "key" at the top level.
std::string JoinKey(const std::string& path, absl::string_view key);

// "path[index]".
std::string JoinIndex(const std::string& path, int index);

// " did you mean 'x'?" for the closest candidate within edit distance 2, or "".
std::string DidYouMean(absl::string_view word, const std::vector<std::string>& candidates);

// The names of `descriptor`'s fields, in declaration order (candidates for DidYouMean).
std::vector<std::string> FieldNames(const google::protobuf::Descriptor& descriptor);

}  // namespace onceflow::sidecar::config_internal

#endif  // ONCEFLOW_SIDECAR_CONFIG_ERRORS_H_
