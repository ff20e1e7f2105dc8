// `onceflow schema`: prints the JSON Schema of the config file (sidecar/config_schema.h).
#ifndef ONCEFLOW_SIDECAR_SCHEMA_COMMAND_H_
#define ONCEFLOW_SIDECAR_SCHEMA_COMMAND_H_

#include <string>

namespace onceflow::sidecar {

extern const char kSchemaDescription[];

// Prints the schema to stdout, or writes it to `output` when not empty (exit 1 if it cannot).
int RunSchema(const std::string& output);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_SCHEMA_COMMAND_H_
