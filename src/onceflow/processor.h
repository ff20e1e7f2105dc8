// A Processor runs one consume-transform-produce loop against Kafka until stopped.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(auto processor,
//                             onceflow::Processor::Create(options, onceflow::Passthrough()));
//   std::signal(SIGTERM, ...);  // a handler that calls processor->Stop()
//   absl::Status st = processor->Run();
//
// Run() returns OK after Stop() (the open transaction is committed, the group left), and an
// error status on a fatal error: kFailedPrecondition with kafka fencing when another instance
// with the same instance_id took over (see ProcessorExitCode), kInvalidArgument for bad
// options, kUnavailable when the cluster stayed unreachable.
#ifndef ONCEFLOW_PROCESSOR_H_
#define ONCEFLOW_PROCESSOR_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "onceflow/kafka_statistics.h"
#include "onceflow/kafka_types.h"
#include "onceflow/processor_options.h"
#include "onceflow/transform.h"

namespace onceflow {

// Counters since the Processor was created. Each is read atomically; together they are a
// snapshot only approximately.
struct ProcessorStats {
  int64_t records_in = 0;
  int64_t records_out = 0;  // outputs of processed records (dead letters not included)
  int64_t dead_lettered = 0;
  int64_t skipped = 0;
  int64_t retries = 0;
  int64_t transactions_committed = 0;
  int64_t transactions_aborted = 0;
  int64_t offset_commits = 0;  // alos
  int64_t rewinds = 0;         // seeks back to committed offsets after an abort/failure
  int64_t producers_recreated = 0;
  int64_t rebalances = 0;
  // Wall clock (ms since the epoch) when the last commit (eos transaction or alos offset
  // commit) completed; 0 before the first.
  int64_t last_commit_ms = 0;
  // Dedupe (when on): records dropped as duplicates, passed without a key, entries expired.
  int64_t deduplicated = 0;
  int64_t dedupe_keyless = 0;
  int64_t dedupe_expired = 0;
  // State restored from changelogs on assignment: records replayed and time spent.
  int64_t restored_records = 0;
  int64_t restore_ms = 0;
};

// A latency histogram (milliseconds) with fixed bucket bounds, as Prometheus exposes them.
struct LatencyHistogram {
  std::vector<double> bounds_ms;  // upper bounds, ascending; an implicit +Inf bucket follows
  std::vector<int64_t> counts;    // per bucket (bounds_ms.size() + 1), not cumulative
  double sum_ms = 0;
  int64_t count = 0;
};

// Consumer lag of one assigned input partition: high watermark minus position.
struct PartitionLag {
  TopicPartition tp;
  int64_t lag = 0;
};

// Everything a metrics endpoint shows. Safe to take from any thread.
struct ProcessorMetrics {
  ProcessorStats stats;
  // eos: send_offsets_to_transaction + commit_transaction; alos: flush + offset commit.
  LatencyHistogram commit_latency;
  // From an input record's timestamp to the commit that made its outputs visible
  // (read_committed) or acknowledged (alos).
  LatencyHistogram end_to_end_latency;
  std::vector<PartitionLag> lag;  // as of the last commit
  // librdkafka's statistics of the consumer and the producer, as of their last emission; empty
  // unless statistics.interval.ms > 0 is among the client properties.
  std::vector<KafkaClientStatistics> kafka;
  bool running = false;           // Run() is in its loop
  bool ready = false;             // partitions assigned and their state restored
  int64_t last_loop_ms = 0;       // wall clock of the loop's last iteration (liveness)
};

class Processor {
 public:
  // Validates `options` (kInvalidArgument naming the field) and takes the transform.
  static absl::StatusOr<std::unique_ptr<Processor>> Create(ProcessorOptions options,
                                                           std::unique_ptr<Transform> transform);
  virtual ~Processor() = default;

  // Runs until Stop() or a fatal error. Call once.
  virtual absl::Status Run() = 0;
  // Asks Run() to finish: commit what is in flight, leave the group, return. Safe from any
  // thread and from a signal handler (it only stores to a lock-free atomic).
  virtual void Stop() = 0;
  virtual ProcessorStats stats() const = 0;
  virtual ProcessorMetrics metrics() const = 0;
};

// Under exactly-once, why `options` could not keep a transaction inside the producer's
// transaction.timeout.ms (librdkafka's default 60 s, or the value passed through): the commit
// interval must be shorter, with room for one record's retries. nullopt when it fits.
// Processor::Create refuses such options; `onceflow validate` reports the same reason.
std::optional<std::string> TransactionBudgetConflict(const ProcessorOptions& options);
// The longest time one record's transient-error retries can wait (every backoff at its +20 %
// jitter).
std::chrono::milliseconds WorstCaseRetryTime(const RetryOptions& retry);

// The process exit code for Run()'s status: 0 OK, 3 fenced by another instance, 4 other
// fatal Kafka errors, 2 bad options, 1 anything else.
int ProcessorExitCode(const absl::Status& status);

}  // namespace onceflow

#endif  // ONCEFLOW_PROCESSOR_H_
