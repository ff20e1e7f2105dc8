// Fault injection for crash and abort tests: compiled in, off unless configured.
//
// $ONCEFLOW_FAULT="<point>:<n>[,<point>:<n>...]" makes the process act at the n-th time it
// reaches <point> (n counts from 1):
//   after_produce        SIGKILL after the transaction's records are produced (alos: after the
//                        delivery reports arrived), before the offsets are sent/committed
//   after_send_offsets   SIGKILL after send_offsets_to_transaction, before commit_transaction
//   after_commit         SIGKILL right after the commit (eos: before the state write, once
//                        state exists)
//   abort_before_commit  do not crash: turn the n-th commit into an abortable error, so the
//                        loop really aborts the transaction and rewinds
//   restore_transport_error  do not crash: from the n-th poll of a state restore on, the
//                        restore consumer reports _TRANSPORT (as during a broker restart) for
//                        5 s, then recovers
//   stop_after_send_offsets  SIGSTOP after send_offsets_to_transaction, before
//                        commit_transaction: a zombie whose transaction holds its offsets;
//                        the commit goes on when the test sends SIGCONT
// The chaos audit and the crash tests set it on child processes.
#ifndef ONCEFLOW_RUNTIME_FAULT_INJECTION_H_
#define ONCEFLOW_RUNTIME_FAULT_INJECTION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace onceflow::runtime {

enum class FaultPoint {
  kAfterProduce,
  kAfterSendOffsets,
  kAfterCommit,
  kAbortBeforeCommit,
  kRestoreTransportError,
  kStopAfterSendOffsets,
};

// Parses `spec` (the $ONCEFLOW_FAULT syntax) and arms the faults; replaces earlier ones.
absl::Status ConfigureFaults(absl::string_view spec);
// Arms the faults of $ONCEFLOW_FAULT (no-op when unset).
absl::Status ConfigureFaultsFromEnv();

// Counts a visit to `point`; SIGKILLs the process when a crash fault is due. Returns true when
// a non-crash fault (kAbortBeforeCommit) is due now.
bool ReachedFaultPoint(FaultPoint point);

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_FAULT_INJECTION_H_
