#include "sidecar/schema_command.h"

#include <fstream>
#include <iostream>

#include "sidecar/config_schema.h"
#include "sidecar/exit_codes.h"

namespace onceflow::sidecar {

const char kSchemaDescription[] =
    "Prints a JSON Schema of the config file for editors (also installed as "
    "share/onceflow/pipeline-config.schema.json). Put `# yaml-language-server: "
    "$schema=PATH` at the top of a pipeline.yaml to use it in VS Code.";

int RunSchema(const std::string& output) {
  if (output.empty()) {
    std::cout << PipelineConfigSchema();
    return kExitOk;
  }
  std::ofstream out(output, std::ios::trunc);
  out << PipelineConfigSchema();
  out.close();
  if (!out) {
    std::cerr << "onceflow schema: cannot write " << output << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace onceflow::sidecar
