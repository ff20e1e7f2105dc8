// Pipeline: the Processor implementation. Runs the exactly-once loop (transactions carrying
// the input offsets) or the at-least-once loop (idempotent producer, offsets committed after
// the outputs are acknowledged) over one consumer and one producer, on the calling thread.
//
// The loops are documented step by step in docs/internals/engine.md. Everything here runs on
// the thread that calls Run(), including the rebalance callbacks (served inside Poll) and the
// delivery reports (served inside the producer's polling calls); only Stop() comes from
// elsewhere.
#ifndef ONCEFLOW_RUNTIME_PIPELINE_H_
#define ONCEFLOW_RUNTIME_PIPELINE_H_

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "kafka/consumer.h"
#include "kafka/producer.h"
#include "onceflow/processor.h"
#include "runtime/dedupe_transform.h"
#include "runtime/histogram.h"
#include "runtime/record_processor.h"
#include "runtime/state_manager.h"

namespace onceflow::runtime {

class Pipeline final : public Processor, private kafka::RebalanceListener, private Sink {
 public:
  // REQUIRES: `options` validated (Processor::Create does it).
  Pipeline(ProcessorOptions options, std::unique_ptr<Transform> transform);
  ~Pipeline() override;

  absl::Status Run() override;
  void Stop() override { stop_.store(true, std::memory_order_relaxed); }
  ProcessorStats stats() const override;
  ProcessorMetrics metrics() const override;

 private:
  using SteadyClock = std::chrono::steady_clock;

  bool eos() const { return options_.mode == Mode::kExactlyOnce; }
  std::string transactional_id() const;

  // Start-up: clients, reachability, topics, init_transactions, subscribe.
  absl::Status Start();
  absl::Status CreateProducer();
  absl::Status WaitForCluster();

  // One consumed message through the transform to the producer.
  absl::Status ProcessMessage(const rd_kafka_message_t& msg);

  // Commits if the mode's policy says it is time (or `force`).
  absl::Status MaybeCommit(bool force, bool end_of_batch);
  absl::Status CommitTransaction();
  absl::Status CommitOffsets();

  // eos: classifies a transactional error: abortable -> abort and rewind (OK); fatal but not
  // fenced -> recreate the producer and rewind (OK); fenced and other fatal errors -> the
  // error to stop with.
  absl::Status RecoverFromTransactionError(const absl::Status& error);
  absl::Status AbortAndRewind(const absl::Status& reason);
  // Seeks every partition consumed since the last commit back to its first uncommitted offset.
  absl::Status Rewind();
  // Positions of the partitions consumed since the last commit.
  absl::StatusOr<std::vector<TopicPartitionOffset>> PositionsToCommit();
  void ResetUncommitted();
  // After a successful commit: latencies, lag, readiness.
  void RecordCommit(SteadyClock::time_point started);
  void UpdateLag();
  // Removes expired dedupe entries when the expiry interval has passed (inside the open
  // transaction under eos, so their tombstones commit with it).
  absl::Status MaybeExpire();
  // Every assigned partition has reported its end (and none was consumed from since).
  bool AllAtEnd() const;
  bool CaughtUp() const;
  absl::Status Shutdown(absl::Status status);

  // kafka::RebalanceListener: runs inside consumer_->Poll on the loop thread.
  void OnAssigned(const std::vector<TopicPartition>& partitions) override;
  void OnRevoked(const std::vector<TopicPartition>& partitions) override;
  void OnLost(const std::vector<TopicPartition>& partitions) override;

  // Sink: outputs and dead letters go to the producer (inside the open transaction, in eos).
  absl::Status Send(const std::string& topic, const OutputRecord& record) override;

  void OnDelivery(const kafka::DeliveryReport& report);

  const ProcessorOptions options_;
  std::unique_ptr<Transform> transform_;
  std::unique_ptr<RecordProcessor> record_processor_;
  std::unique_ptr<kafka::Consumer> consumer_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<StateManager> state_;
  DedupeTransform* dedupe_ = nullptr;  // owned by transform_ (a Chain) when dedupe is on
  std::atomic<bool> stop_{false};

  // Loop state (loop thread only).
  std::vector<TopicPartition> assignment_;
  std::set<TopicPartition> at_end_;                 // partitions whose end we reached
  std::map<TopicPartition, Offset> rewind_points_;  // first uncommitted offset per partition
  // The partition of the last record that updated rewind_points_ (a fast path: no map lookup
  // while records come from the same partition). Reset with rewind_points_.
  const rd_kafka_topic_t* last_rkt_ = nullptr;
  int32_t last_partition_ = -1;
  bool in_transaction_ = false;
  int64_t uncommitted_records_ = 0;
  SteadyClock::time_point last_commit_;
  SteadyClock::time_point last_expiry_;
  absl::Status deferred_error_;  // a fatal error found inside a callback
  // alos: a delivery failed since the last commit: never commit past it.
  bool delivery_failed_ = false;
  absl::Status delivery_error_;

  // Input timestamps of the records since the last commit (end-to-end latency).
  std::vector<int64_t> uncommitted_timestamps_;
  Histogram commit_latency_;
  Histogram e2e_latency_;
  mutable absl::Mutex lag_mu_;
  std::vector<PartitionLag> lag_ ABSL_GUARDED_BY(lag_mu_);
  std::atomic<bool> running_{false};
  std::atomic<bool> ready_{false};
  std::atomic<int64_t> last_loop_ms_{0};

  // Counters (read from any thread through stats()).
  struct Counters {
    std::atomic<int64_t> records_in{0}, records_out{0}, dead_lettered{0}, skipped{0}, retries{0},
        committed{0}, aborted{0}, offset_commits{0}, rewinds{0}, producers_recreated{0},
        rebalances{0};
  };
  Counters counters_;
};

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_PIPELINE_H_
