// A JSON Schema (draft-07) of the sidecar's config file, generated from
// proto/onceflow/v1/pipeline_config.proto (its comments become descriptions) and the config
// loader's own rules (EnumValues, what a key with no value means, ${...} substitution, durations
// for *_ms keys), so editors (VS Code's YAML extension, JetBrains) complete and check
// pipeline.yaml as the loader reads it:
//
//   # yaml-language-server: $schema=/usr/share/onceflow/pipeline-config.schema.json
//
// The schema is a help for editors, not the authority: `onceflow validate` is (cross-field
// rules, ranges, librdkafka properties are checked there only).
#ifndef ONCEFLOW_SIDECAR_CONFIG_SCHEMA_H_
#define ONCEFLOW_SIDECAR_CONFIG_SCHEMA_H_

#include <string>

namespace onceflow::sidecar {

// The schema as JSON text (2-space indented, keys in the proto's field order).
std::string PipelineConfigSchema();

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_CONFIG_SCHEMA_H_
