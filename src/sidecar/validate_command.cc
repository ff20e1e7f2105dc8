#include "sidecar/validate_command.h"

#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sidecar/config_loader.h"
#include "sidecar/exit_codes.h"

namespace onceflow::sidecar {
namespace {

// A value for the summary line, unless it came from a substitution.
std::string Show(const LoadedConfig& loaded, const std::string& path, const std::string& value) {
  return loaded.IsSecret(path) ? "(substituted)" : value;
}

}  // namespace

const char kValidateDescription[] =
    R"text(Loads a pipeline config and checks it as `onceflow run` would before starting, without
connecting anywhere: unknown keys, wrong types, required fields, enum values, ranges,
cross-field rules, regexes, the metrics address, and librdkafka properties (names, values, and
those that would break the exactly-once or at-least-once guarantee). ${ENV}, ${ENV:-default} and
${file:PATH} are substituted; their values are never printed. Descriptor sets and plugins are
not opened.

Prints "FILE: OK (...)" with a summary, or the first error as FILE:LINE: KEY: WHY.
Exit codes: 0 valid, 1 FILE cannot be read, 2 invalid config or usage error.)text";

int RunValidate(const ValidateFlags& flags) {
  absl::StatusOr<LoadedConfig> loaded = LoadConfig(flags.config);
  absl::Status status = loaded.status();
  if (status.ok()) status = ValidateConfig(*loaded);
  if (!status.ok()) {
    std::cerr << status.message() << "\n";
    return status.code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  const v1::PipelineConfig& c = loaded->config;
  std::cout << flags.config << ": OK (application "
            << Show(*loaded, "application_id", c.application_id()) << ", " << c.inputs_size()
            << " input(s) -> "
            << (c.output().empty() ? "(routed)" : Show(*loaded, "output", c.output())) << ", mode "
            << (c.mode().empty() ? "eos" : Show(*loaded, "mode", c.mode())) << ", "
            << c.transforms_size() << " transform(s))\n";
  return kExitOk;
}

}  // namespace onceflow::sidecar
