// Committer: how a unit of work (the records consumed since the last commit, with their
// outputs and state writes) becomes durable, or is given up — the part of the loop that
// depends on the delivery guarantee. The loop (runtime::Pipeline) is mode-free: it asks the
// committer when to commit, to commit, and to give up after a failure, and acts on the answer
// (apply or drop state, replay from the rewind points, or stop).
//
//   TransactionalCommitter (exactly-once): begin lazily, send the offsets into the transaction,
//     commit; abort on an abortable error; recreate the producer on a fatal one; resolve a
//     commit whose outcome is unknown from the group's committed offsets.
//   OffsetsCommitter (at-least-once): flush, then commit the offsets (sync or async) by policy.
//
// Thread-safety: the loop thread only.
#ifndef ONCEFLOW_RUNTIME_COMMITTER_H_
#define ONCEFLOW_RUNTIME_COMMITTER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/clock.h"
#include "runtime/offset_tracker.h"

namespace onceflow::runtime {

// How a unit ended.
enum class UnitEnd {
  // Outputs, state writes and offsets are durable; the state was applied. Forget the unit.
  kCommitted,
  // None of it counts (aborted, or its deliveries failed): drop its state writes and replay it
  // from its rewind points.
  kRolledBack,
  // At-least-once only: the outputs are durable and the state applied, but the offset commit
  // failed. Keep the unit open; the next commit covers it.
  kOffsetsPending,
};

// What Due() looks at.
struct CommitCheck {
  int64_t records = 0;                       // in the unit
  std::chrono::milliseconds since_last_commit{0};
  bool end_of_batch = false;                 // a poll batch just ended
  bool force = false;                        // commit now if anything is open (drain, revoke)
};

class Committer {
 public:
  virtual ~Committer() = default;

  // Once, before the first record: init_transactions (with retries until `deadline`, or until
  // `cancelled` says stop: kCancelled).
  virtual absl::Status Start(base::Clock::SteadyTime deadline,
                             const std::function<bool()>& cancelled) = 0;
  // Before each input record is processed: under exactly-once, begins a transaction if none
  // is open. A failure goes to Abort like any other.
  virtual absl::Status BeginRecord() = 0;
  // Whether a unit is open (a transaction, or records not yet committed).
  virtual bool open() const = 0;
  // Whether the commit policy wants the open unit committed now.
  virtual bool Due(const CommitCheck& check) = 0;
  // The time by which the open unit must be committed (exactly-once: before the broker aborts
  // the transaction for exceeding transaction.timeout.ms, with a margin); inline waits end by
  // then. nullopt when there is no such limit.
  virtual std::optional<base::Clock::SteadyTime> Deadline() = 0;

  // Commits `unit`. `apply_state` is called exactly when the outputs are known durable: after
  // the transaction committed (exactly-once; also when a commit of unknown outcome turns out to
  // have committed), or after every delivery succeeded and before the offsets are committed
  // (at-least-once). An error status means the process must stop (fenced: kafka::IsFenced).
  virtual absl::StatusOr<UnitEnd> Commit(const OffsetTracker& unit,
                                         const std::function<absl::Status()>& apply_state) = 0;
  // Gives up the open unit after `cause` (a failed begin, produce, delivery, state write or
  // expiry; the assignment lost; stopping on an error). Returns kRolledBack, or an error status
  // when the process must stop.
  virtual absl::StatusOr<UnitEnd> Abort(const absl::Status& cause) = 0;
};

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_COMMITTER_H_
