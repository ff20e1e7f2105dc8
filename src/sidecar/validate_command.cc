// `onceflow validate --config FILE`.
#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sidecar/commands.h"
#include "sidecar/config_loader.h"

namespace onceflow::sidecar {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitUnreadable = 1;
constexpr int kExitInvalid = 2;

constexpr char kValidateUsage[] = R"usage(Usage: onceflow validate --config FILE

Loads a pipeline config and checks it as `onceflow run` would before starting, without
connecting anywhere: unknown keys, wrong types, required fields, enum values, ranges,
cross-field rules, regexes, and librdkafka properties (names, values, and those that would
break the exactly-once or at-least-once guarantee). ${ENV} and ${file:PATH} are substituted;
their values are never printed. Descriptor sets and plugins are not opened.

Prints "FILE: OK (...)" with a summary, or the first error as FILE:LINE: KEY: WHY.

Options:
  --config FILE    the config: YAML (.yaml, .yml, or any other extension), JSON (.json) or
                   protobuf text format (.textproto, .txtpb, .pbtxt)

Exit codes: 0 valid, 1 FILE cannot be read, 2 invalid config or usage error.
)usage";

int UsageError(absl::string_view message) {
  std::cerr << "onceflow validate: " << message << "\n"
            << "Run 'onceflow validate --help' for usage.\n";
  return kExitInvalid;
}

// A value for the summary line, unless it came from a substitution.
std::string Show(const LoadedConfig& loaded, const std::string& path, const std::string& value) {
  return loaded.IsSecret(path) ? "(substituted)" : value;
}

}  // namespace

int RunValidate(int argc, char** argv) {
  std::string config;
  bool have_config = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kValidateUsage;
      return kExitOk;
    }
    std::string value;
    if (arg == "--config") {
      if (i + 1 >= argc) return UsageError("--config needs a value");
      value = argv[++i];
    } else if (absl::StartsWith(arg, "--config=")) {
      value = arg.substr(9);
    } else if (absl::StartsWith(arg, "-")) {
      return UsageError(absl::StrCat("unknown flag ", arg.substr(0, arg.find('='))));
    } else {
      return UsageError(absl::StrCat("unexpected argument '", arg, "' (use --config FILE)"));
    }
    if (have_config) return UsageError("--config given more than once");
    if (value.empty()) return UsageError("--config is empty");
    config = value;
    have_config = true;
  }
  if (!have_config) return UsageError("--config FILE is required");

  absl::StatusOr<LoadedConfig> loaded = LoadConfig(config);
  absl::Status status = loaded.status();
  if (status.ok()) status = ValidateConfig(*loaded);
  if (!status.ok()) {
    std::cerr << status.message() << "\n";
    return status.code() == absl::StatusCode::kInvalidArgument ? kExitInvalid : kExitUnreadable;
  }
  const v1::PipelineConfig& c = loaded->config;
  std::cout << config << ": OK (application " << Show(*loaded, "application_id", c.application_id())
            << ", " << c.inputs_size() << " input(s) -> "
            << (c.output().empty() ? "(routed)" : Show(*loaded, "output", c.output())) << ", mode "
            << (c.mode().empty() ? "eos" : Show(*loaded, "mode", c.mode())) << ", "
            << c.transforms_size() << " transform(s))\n";
  return kExitOk;
}

}  // namespace onceflow::sidecar
