// How every `onceflow` subcommand reports a problem, in one voice:
//
//   onceflow topic create: --partitions wants a whole number >= 1, got '0'
//   Run 'onceflow topic create --help' for usage.            (usage errors, exit 2)
//
//   onceflow ping: User:alice is not allowed to ...          (failures, exit 1; 5 if access
//                                                              was refused)
#ifndef ONCEFLOW_SIDECAR_COMMAND_OUTPUT_H_
#define ONCEFLOW_SIDECAR_COMMAND_OUTPUT_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace onceflow::sidecar {

// Prints "onceflow <command>: <message>" and the "Run 'onceflow <command> --help'" hint to
// stderr; returns kExitUsage. `command` is the subcommand path, e.g. "topic create".
int UsageError(absl::string_view command, absl::string_view message);

// Prints "onceflow <command>: <status message>" to stderr; returns kExitAccessDenied when the
// cluster refused access (IsAccessDenied, or a status ExplainAccess made), kExitUsage for
// kInvalidArgument, else kExitFailure.
int Failure(absl::string_view command, const absl::Status& status);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_COMMAND_OUTPUT_H_
