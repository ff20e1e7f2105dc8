// `onceflow validate --config FILE`: loads and validates a pipeline config without connecting
// anywhere. Prints "FILE: OK (application X, N input(s) -> OUTPUT, mode M, K transform(s))" to
// stdout and returns 0, or prints the first error ("FILE:LINE: KEY: WHY") to stderr and returns
// 2 for an invalid config, 1 if the file cannot be read. Values that came from ${...}
// substitutions are never printed.
//
//   return RunValidate({.config = "pipeline.yaml"});
#ifndef ONCEFLOW_SIDECAR_VALIDATE_COMMAND_H_
#define ONCEFLOW_SIDECAR_VALIDATE_COMMAND_H_

#include <string>

namespace onceflow::sidecar {

// The command's description, for `onceflow validate --help`.
extern const char kValidateDescription[];

struct ValidateFlags {
  std::string config;
};

int RunValidate(const ValidateFlags& flags);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_VALIDATE_COMMAND_H_
