// `onceflow run --config FILE`: the sidecar. See docs/sidecar.md.
#ifndef ONCEFLOW_SIDECAR_RUN_COMMAND_H_
#define ONCEFLOW_SIDECAR_RUN_COMMAND_H_

#include "absl/status/statusor.h"
#include "onceflow/processor_options.h"
#include "sidecar/config_loader.h"

namespace onceflow::sidecar {

// ProcessorOptions from a validated config (defaults as the .proto documents them).
// REQUIRES: ValidateConfig(loaded) is OK.
absl::StatusOr<ProcessorOptions> ToProcessorOptions(const LoadedConfig& loaded);

// Loads, validates, builds the transform chain, serves /metrics, /healthz and /readyz, runs
// until SIGTERM/SIGINT (commits what is in flight, leaves the group) or a fatal error.
// Exit codes: 0 stopped cleanly; 2 bad config or usage; 3 fenced by another instance with the
// same instance_id; 4 fatal Kafka error (incl. an unreachable cluster at start); 1 anything
// else (e.g. a record that failed under errors.policy fail).
int RunRun(int argc, char** argv);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_RUN_COMMAND_H_
