// `onceflow run --config FILE`: the sidecar. See docs/sidecar.md.
//
//   return RunRun({.config = "pipeline.yaml", .until_drained = true});
#ifndef ONCEFLOW_SIDECAR_RUN_COMMAND_H_
#define ONCEFLOW_SIDECAR_RUN_COMMAND_H_

#include <string>

#include "absl/status/statusor.h"
#include "onceflow/processor_options.h"
#include "sidecar/config_loader.h"

namespace onceflow::sidecar {

// The command's description and footer, for `onceflow run --help`.
extern const char kRunDescription[];
extern const char kRunFooter[];

struct RunFlags {
  std::string config;
  // --metrics-address: overrides metrics.address ("off" for none); "" = the config's.
  std::string metrics_address;
  // --until-drained: stop (exit 0) once every assigned partition is processed to its end.
  bool until_drained = false;
  // --log-format text|json: overrides log.format; "" = the config's.
  std::string log_format;
};

// ProcessorOptions from a validated config (defaults as the .proto documents them).
// REQUIRES: ValidateConfig(loaded) is OK.
absl::StatusOr<ProcessorOptions> ToProcessorOptions(const LoadedConfig& loaded);

// Loads, validates, builds the transform chain, serves /metrics, /healthz and /readyz, checks
// that the cluster lets this instance in (sidecar/preflight.h), runs until SIGTERM/SIGINT
// (commits what is in flight, leaves the group) or a fatal error. Exit codes
// (sidecar/exit_codes.h): 0 stopped cleanly; 1 anything else (e.g. a record that failed under
// errors.policy fail); 2 bad config or usage; 3 fenced by another instance with the same
// instance_id; 4 fatal Kafka error (incl. an unreachable cluster at start); 5 access refused
// (authentication, TLS, an ACL); 130 a second signal.
int RunRun(const RunFlags& flags);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_RUN_COMMAND_H_
