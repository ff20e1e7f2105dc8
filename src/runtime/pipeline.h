// Pipeline: the Processor implementation — the consume-transform-produce loop, the same for
// both delivery guarantees. It polls records from a Source, runs each through the
// RecordProcessor (transform, retries, error policy) whose outputs go to a ProducerSink, and
// asks its Committer when to commit, to commit, and to give up a unit after a failure; it then
// applies or drops state and replays from the rewind points. Everything that depends on the
// guarantee is in the Committer (runtime/committer.h); everything that talks to Kafka is behind
// runtime/io.h. The production wiring is in runtime/pipeline_factory.h.
//
// The loop, step by step, and its error table: docs/internals/engine.md.
//
// Thread-safety: everything runs on the thread that calls Run(), including the rebalance
// callbacks (served inside Source::Poll) and the delivery reports (served inside the
// producer's polling calls); only Stop(), stats() and metrics() come from elsewhere.
#ifndef ONCEFLOW_RUNTIME_PIPELINE_H_
#define ONCEFLOW_RUNTIME_PIPELINE_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/base/thread_annotations.h"
#include "base/clock.h"
#include "onceflow/processor.h"
#include "runtime/client_statistics.h"
#include "runtime/committer.h"
#include "runtime/counters.h"
#include "runtime/commit_participant.h"
#include "runtime/histogram.h"
#include "runtime/io.h"
#include "runtime/offset_tracker.h"
#include "runtime/producer_sink.h"
#include "runtime/record_processor.h"
#include "runtime/state_manager.h"

namespace onceflow::runtime {

// The parts a Pipeline runs on, made by the factory (runtime/pipeline_factory.h).
struct PipelineParts {
  base::Clock* clock = nullptr;                   // outlives the Pipeline
  std::unique_ptr<EngineCounters> counters;       // the committer counts into it
  std::unique_ptr<Source> source;
  std::unique_ptr<ProducerClient> producer;
  std::unique_ptr<ProducerSink> sink;             // over `producer`
  std::unique_ptr<Committer> committer;           // over `producer`, `source`, `sink`
  std::unique_ptr<StateManager> state;            // writes its changelog through `sink`
  std::unique_ptr<Transform> transform;           // dedupe first when it is on
  // Stages inside `transform` with work at commit points (the dedupe stage's expiry).
  std::vector<CommitParticipant*> participants;
  // librdkafka's statistics of `source` and `producer`; null unless they are enabled.
  std::shared_ptr<ClientStatistics> client_statistics;
};

class Pipeline final : public Processor, private kafka::RebalanceListener {
 public:
  // REQUIRES: `options` validated (Processor::Create does it); every part set.
  Pipeline(ProcessorOptions options, PipelineParts parts);
  ~Pipeline() override;

  absl::Status Run() override;
  void Stop() override { stop_.store(true, std::memory_order_relaxed); }
  ProcessorStats stats() const override;
  ProcessorMetrics metrics() const override;

 private:
  using SteadyTime = base::Clock::SteadyTime;

  // Start-up: reachability, topics, state, init_transactions, subscribe.
  absl::Status Start();
  absl::Status WaitForCluster();

  // One poll batch; false when the loop must stop with `*stop_status`.
  bool PollBatch(absl::Status* stop_status);
  // One consumed record through the transform to the sink.
  absl::Status ProcessRecord(const kafka::ConsumedMessage& message);
  absl::StatusOr<RecordOutcome> RunRecord(const Record& record, uint32_t index);
  // Counts and logs how a record ended; the stop status under ErrorPolicy::kFail.
  absl::Status Account(const Record& record, const RecordOutcome& outcome);

  // Commits if the committer's policy says it is time (or `force`).
  absl::Status MaybeCommit(bool force, bool end_of_batch);
  // Where the commit interval counts from: the start of the last commit, so commits keep to
  // the interval however long each takes (as Kafka Streams' commit.interval.ms), but never
  // less than half an interval before the last commit ended, so a unit after a commit that
  // took about as long as the interval, or longer, still gets half an interval of records
  // (not a few).
  SteadyTime CommitReference() const;
  absl::Status CommitUnit();
  // After a failure anywhere in the unit: the committer ends it (abort, recreate, or stop),
  // then the loop drops its state and replays it.
  absl::Status HandleFailure(const absl::Status& cause);
  absl::Status AfterUnitEnd(UnitEnd end, SteadyTime started);
  // Charges failed deliveries to their inputs: record errors (too large, no such partition or
  // topic) mark the input for the error policy on replay. An error when a dead letter itself
  // cannot be produced.
  absl::Status TakeDeliveryFailures(absl::Status* first);
  // Seeks every partition of the unit back to its rewind point and forgets the unit.
  absl::Status Rewind();
  void ResetUnit();
  // The participants' work before a commit (dedupe expiry; inside the open transaction under
  // eos, so its tombstones commit with it).
  absl::Status BeforeCommit();
  void RecordCommit(SteadyTime started);
  void UpdateLag();
  bool AllAtEnd() const;
  bool CaughtUp() const;
  absl::Status Shutdown(absl::Status status);

  // kafka::RebalanceListener: runs inside source_->Poll on the loop thread.
  std::vector<TopicPartition> OnAssigned(const std::vector<TopicPartition>& partitions) override;
  // Restores for a moment and resumes the partitions whose state is ready.
  absl::Status RestoreStep();
  void OnRevoked(const std::vector<TopicPartition>& partitions) override;
  void OnLost(const std::vector<TopicPartition>& partitions) override;
  // After a revocation or loss: forgets `partitions`, closing the stores that no remaining
  // partition uses; the rest of the assignment goes on (incremental rebalancing).
  void Release(const std::vector<TopicPartition>& partitions);

  bool eos() const { return options_.mode == Mode::kExactlyOnce; }

  const ProcessorOptions options_;
  base::Clock& clock_;
  // Declared in dependency order; the destructor tears them down explicitly.
  std::unique_ptr<EngineCounters> counters_;
  std::unique_ptr<Source> source_;
  std::unique_ptr<ProducerClient> producer_;
  std::unique_ptr<ProducerSink> sink_;
  std::unique_ptr<Committer> committer_;
  std::unique_ptr<StateManager> state_;
  std::unique_ptr<Transform> transform_;
  const std::vector<CommitParticipant*> participants_;
  std::unique_ptr<RecordProcessor> record_processor_;
  std::atomic<bool> stop_{false};

  // Loop state (loop thread only).
  OffsetTracker unit_;
  std::vector<TopicPartition> assignment_;
  std::map<TopicPartition, Offset> at_end_;  // partitions whose end we reached, and the end
  // Inputs whose output can never be produced (learned from the producer), by partition index
  // and offset: the error policy applies when they are replayed. Suspects failed in a batch
  // with others (the broker fails a whole batch): replayed alone to find out.
  std::map<std::pair<uint32_t, int64_t>, absl::Status> poison_;
  std::set<std::pair<uint32_t, int64_t>> suspects_;
  // The record just processed was dead-lettered as unproducible: commit after it.
  bool commit_after_poison_ = false;
  // When the last commit began and ended; see CommitReference.
  SteadyTime last_commit_{};
  SteadyTime last_commit_end_{};
  SteadyTime first_record_{};  // when the first record was taken in (the caught-up line's rate)
  absl::Status deferred_error_;  // a fatal error found inside a callback
  // Inside a revoke or lost callback: the partitions leaving. A rolled-back unit is not
  // replayed for them (their next owner starts from the committed offsets); the partitions
  // that stay (an incremental revocation) are rewound as after any rollback.
  std::set<TopicPartition> leaving_;
  bool stopping_ = false;  // in Shutdown: leaving the group must not commit again
  Histogram commit_latency_;
  Histogram e2e_latency_;
  const std::shared_ptr<ClientStatistics> client_statistics_;  // may be null
  mutable std::mutex lag_mu_;  // not absl::Mutex: see docs/choices.md (ThreadSanitizer)
  std::vector<PartitionLag> lag_ ABSL_GUARDED_BY(lag_mu_);
  std::atomic<bool> running_{false};
  std::atomic<bool> ready_{false};
  std::atomic<int64_t> last_loop_ms_{0};
};

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_PIPELINE_H_
