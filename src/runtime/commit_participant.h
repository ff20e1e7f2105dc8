// CommitParticipant: a stage that has work of its own at commit points — the dedupe stage's
// expiry, for one — and counters to report. The loop calls every participant before each
// commit (inside the unit: under exactly-once, inside the transaction, so what it writes
// commits with the records) and after each commit; it knows nothing else about them.
//
// Thread-safety: BeforeCommit and AfterCommit on the loop thread; AddStats from any thread.
#ifndef ONCEFLOW_RUNTIME_COMMIT_PARTICIPANT_H_
#define ONCEFLOW_RUNTIME_COMMIT_PARTICIPANT_H_

#include "absl/status/status.h"
#include "onceflow/processor.h"
#include "runtime/state_manager.h"

namespace onceflow::runtime {

class CommitParticipant {
 public:
  virtual ~CommitParticipant() = default;
  // Before a commit, inside the unit. An error with a Kafka code (a changelog write) is handled
  // like any produce error (the unit is replayed); other errors stop the process.
  virtual absl::Status BeforeCommit(StateManager& state) = 0;
  // After a commit made the unit durable.
  virtual void AfterCommit() {}
  // Adds the participant's counters to `stats`.
  virtual void AddStats(ProcessorStats& stats) const = 0;
};

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_COMMIT_PARTICIPANT_H_
