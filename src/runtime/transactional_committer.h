// TransactionalCommitter: the exactly-once committer. One transactional producer carries the
// unit's outputs, dead letters and changelog records, and its input offsets
// (send_offsets_to_transaction with the consumer group metadata, KIP-447), so all of them
// commit or abort together.
//
// Error handling, by kafka/error.h's classes (the table in docs/internals/engine.md):
//   abortable (kAborted), transient outside a commit  -> abort, roll back (the loop replays)
//   fatal, not fenced (kFailedPrecondition)           -> recreate the producer (a new epoch
//                                                        fences the old one), roll back
//   fenced by another instance                        -> stop (exit 3)
//   fenced because this transaction outlived          -> recreate, roll back (the broker
//     transaction.timeout.ms                             aborted it)
//   commit: transient                                 -> resume the commit (never abort it:
//                                                        KAFKA-17754), up to commit_budget
//   commit: outcome unknown (fatal, or the budget     -> recreate, then read the group's
//     spent)                                             committed offsets (stable) and take
//                                                        the outcome from them
#ifndef ONCEFLOW_RUNTIME_TRANSACTIONAL_COMMITTER_H_
#define ONCEFLOW_RUNTIME_TRANSACTIONAL_COMMITTER_H_

#include <chrono>
#include <cstdint>
#include <string>

#include "runtime/committer.h"
#include "runtime/counters.h"
#include "runtime/io.h"

namespace onceflow::runtime {

struct TransactionalCommitterOptions {
  // For messages: "<application_id>-<instance_id>".
  std::string transactional_id;
  // Commit at least this often. Default: 100 ms.
  std::chrono::milliseconds commit_interval{100};
  // Commit once the transaction holds this many input records. Default: 100,000.
  int64_t max_records = 100000;
  // Each init_transactions, send_offsets_to_transaction, commit and abort call waits at most
  // this long (then a commit or abort is resumed by calling it again). Default: 30 s.
  std::chrono::milliseconds call_timeout{30000};
  // The producer's transaction.timeout.ms. Default: librdkafka's 60 s.
  std::chrono::milliseconds transaction_timeout{60000};
  // The longest one record can take (its retries' backoff): a transaction commits before it
  // gets this close to its deadline. Default: 0.
  std::chrono::milliseconds longest_record{0};
  // How long a commit that keeps failing transiently is resumed before its outcome is
  // resolved from the group's offsets. Default: 10 min.
  std::chrono::milliseconds commit_budget{600000};
  // How long recovery may take (init_transactions of a recreated producer, reading the
  // committed offsets) before the process stops. Default: 60 s.
  std::chrono::milliseconds recovery_timeout{60000};
};

// The margin kept between a transaction's deadline and transaction.timeout.ms.
std::chrono::milliseconds TransactionDeadlineMargin(std::chrono::milliseconds transaction_timeout);

class TransactionalCommitter final : public Committer {
 public:
  // References must outlive the committer.
  TransactionalCommitter(TransactionalCommitterOptions options, ProducerClient& producer,
                         Source& source, base::Clock& clock, EngineCounters& counters);

  absl::Status Start(base::Clock::SteadyTime deadline,
                     const std::function<bool()>& cancelled) override;
  absl::Status BeginRecord() override;
  bool open() const override { return open_; }
  bool Due(const CommitCheck& check) override;
  std::optional<base::Clock::SteadyTime> Deadline() override;
  absl::StatusOr<UnitEnd> Commit(const OffsetTracker& unit,
                                 const std::function<absl::Status()>& apply_state) override;
  absl::StatusOr<UnitEnd> Abort(const absl::Status& cause) override;

 private:
  // Whether `error` fences this producer for good (another instance took over), as opposed to
  // the broker having aborted this instance's own transaction for running too long.
  bool FencedByAnother(const absl::Status& error);
  absl::Status FencedError(const absl::Status& error) const;
  // A new producer and init_transactions; the open transaction (if any) is gone.
  absl::Status RecreateProducer(const absl::Status& why);
  absl::StatusOr<UnitEnd> RolledBack();
  // After a commit whose outcome is unknown: recreate, then compare the group's committed
  // offsets with `positions`.
  absl::StatusOr<UnitEnd> Resolve(const absl::Status& why, const OffsetTracker& unit,
                                  const std::vector<TopicPartitionOffset>& positions,
                                  const std::function<absl::Status()>& apply_state);
  absl::StatusOr<UnitEnd> Committed(const std::function<absl::Status()>& apply_state);

  const TransactionalCommitterOptions options_;
  ProducerClient& producer_;
  Source& source_;
  base::Clock& clock_;
  EngineCounters& counters_;
  bool open_ = false;
  base::Clock::SteadyTime began_{};
};

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_TRANSACTIONAL_COMMITTER_H_
