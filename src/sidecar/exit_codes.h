// The `onceflow` command's exit codes, the same for every subcommand. docs/sidecar.md and
// `onceflow --help` list them; deploy/systemd/onceflow@.service does not restart on 2 and 3.
#ifndef ONCEFLOW_SIDECAR_EXIT_CODES_H_
#define ONCEFLOW_SIDECAR_EXIT_CODES_H_

namespace onceflow::sidecar {

inline constexpr int kExitOk = 0;
// Anything else: the broker refused or did not answer a command, a record failed under
// errors.policy fail, a topic does not exist, a file cannot be read.
inline constexpr int kExitFailure = 1;
// Bad config or usage: fixing the file or the command line is the only cure.
inline constexpr int kExitUsage = 2;
// Fenced by another live instance with the same instance_id: fix the duplicate id.
inline constexpr int kExitFenced = 3;
// Fatal Kafka error (incl. a cluster unreachable at start).
inline constexpr int kExitKafka = 4;
// Access refused: SASL authentication failed, the broker's TLS certificate is not trusted, or
// an ACL is missing. The message names the principal, the resource and the operation.
inline constexpr int kExitAccessDenied = 5;
// A second SIGTERM/SIGINT during `onceflow run`.
inline constexpr int kExitSecondSignal = 130;

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_EXIT_CODES_H_
