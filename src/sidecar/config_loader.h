// Loading and validating the sidecar's config file (onceflow.v1.PipelineConfig): YAML (the
// default), JSON or textproto, with ${ENV} and ${file:/path} substitution, and errors that name
// the file, the line and the key, and never show a substituted value.
//
//   absl::StatusOr<LoadedConfig> loaded = LoadConfig("pipeline.yaml");
//   if (!loaded.ok()) return loaded.status();   // "pipeline.yaml:7: mode: ..."
//   ONCEFLOW_RETURN_IF_ERROR(ValidateConfig(*loaded));
//   Use(loaded->config);
//
// Loading checks the shape (known keys, types, one kind per transform, no duplicate keys);
// ValidateConfig checks the meaning (required fields, enums, ranges, cross-field rules,
// regexes, librdkafka properties) without connecting anywhere. Every config error is
// kInvalidArgument, so a caller can tell it from a file it could not read.
#ifndef ONCEFLOW_SIDECAR_CONFIG_LOADER_H_
#define ONCEFLOW_SIDECAR_CONFIG_LOADER_H_

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "onceflow/v1/pipeline_config.pb.h"

namespace onceflow::sidecar {

// Looks up an environment variable: its value, or nullopt if it is not set. Injectable so tests
// need not touch the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv). Thread-safe as long as nothing calls setenv concurrently.
EnvLookup ProcessEnv();

// A parsed config and what error messages need to point into its file.
struct LoadedConfig {
  v1::PipelineConfig config;
  // The file's path as given (or the name given to ParseConfig).
  std::string path;
  // Line (1-based) of every key path seen in the file: "application_id", "kafka.sasl.password",
  // "transforms[2].filter.key_regex", "inputs[0]" (a sequence item's own line).
  std::map<std::string, int> lines;
  // Key paths whose value came, wholly or partly, from a ${...} substitution. Their values
  // are never printed, in errors or elsewhere.
  std::set<std::string> secret_paths;

  // "<path>:<line>: <key path>". The line is that of the key path or, if it was not in the
  // file (a missing required field), of its nearest ancestor that was; omitted if none was.
  std::string Where(const std::string& key_path) const;
  // kInvalidArgument "<path>:<line>: <key path>: <why>". `why` must not contain values of
  // secret_paths.
  absl::Status Error(const std::string& key_path, absl::string_view why) const;
  // Whether `key_path`'s value came from a substitution.
  bool IsSecret(const std::string& key_path) const { return secret_paths.count(key_path) > 0; }
};

// Reads and parses the file at `path`. The format follows the extension: .json is JSON;
// .textproto, .txtpb and .pbtxt are protobuf text format; anything else (.yaml, .yml) is YAML.
// String values are then substituted:
//   ${NAME}        the environment variable NAME (an error if it is not set)
//   ${file:PATH}   the contents of the file PATH, less one trailing newline (relative paths
//                  are relative to the working directory)
//   $${            a literal "${"
// Errors: kInvalidArgument for anything wrong in the config, with "<path>:<line>: <key>: "
// first; kNotFound / kPermissionDenied / kUnavailable if `path` itself cannot be read.
absl::StatusOr<LoadedConfig> LoadConfig(const std::string& path,
                                        const EnvLookup& env = ProcessEnv());

// As LoadConfig, from `text`; `name` stands for the file in messages; `format` is "yaml",
// "json" or "textproto".
absl::StatusOr<LoadedConfig> ParseConfig(absl::string_view text, const std::string& name,
                                         absl::string_view format,
                                         const EnvLookup& env = ProcessEnv());

// The string keys whose value is one of a fixed set, by key path ("mode", "errors.policy"),
// and that set: what ValidateConfig accepts and the JSON Schema lists. An empty value means
// the key's default.
const std::map<std::string, std::vector<std::string>>& EnumValues();

// The semantic checks a config must pass before anything runs; connects nowhere and reads no
// file (descriptor sets and plugins are checked when they are loaded). Returns the first
// error found, in schema order, as kInvalidArgument "<path>:<line>: <key path>: <why>":
// required fields, enum values, ranges (0 or absent means the documented default; an explicit
// value out of range is an error), cross-field rules (dlq needs a dead_letter_topic, dedupe
// key kinds and their fields, one kind per transform, no input that is also the output),
// regexes that RE2 refuses (sidecar/regex.h), librdkafka properties that would break the
// guarantee (the same rules Processor::Create applies) and properties librdkafka itself
// refuses (unknown names, malformed values).
absl::Status ValidateConfig(const LoadedConfig& loaded);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_CONFIG_LOADER_H_
