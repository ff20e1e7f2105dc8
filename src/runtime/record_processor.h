// RecordProcessor: the per-record part of the loop, shared by the Processor (against Kafka)
// and the TestDriver (in process): run the transform, retry transient errors with backoff,
// then apply the error policy (dead-letter / skip / fail), and hand outputs to a Sink.
//
//   runtime::RecordProcessor rp(*transform, config, sink, clock);
//   ONCEFLOW_ASSIGN_OR_RETURN(runtime::RecordOutcome outcome, rp.Process(record));
//
// Outputs of one input reach the Sink only after the transform succeeded for that input, all
// of them, in emission order, before Process returns (views into `in` are still valid then).
// With an AttemptScope, an attempt's state writes are all or nothing too: a failed attempt's
// writes are dropped before the retry, and a record that ends under skip, dead-letter or fail
// leaves no state behind.
// Thread-safety: one thread at a time.
#ifndef ONCEFLOW_RUNTIME_RECORD_PROCESSOR_H_
#define ONCEFLOW_RUNTIME_RECORD_PROCESSOR_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/clock.h"
#include "onceflow/processor_options.h"
#include "onceflow/record.h"
#include "onceflow/transform.h"

namespace onceflow::runtime {

// Where outputs and dead letters go. `topic` is already resolved (never empty).
class Sink {
 public:
  virtual ~Sink() = default;
  virtual absl::Status Send(const std::string& topic, const OutputRecord& record) = 0;
};

// Names of the dead-letter headers (see docs/sidecar.md once the sidecar lands).
inline constexpr char kHeaderOriginalTopic[] = "original-topic";
inline constexpr char kHeaderOriginalPartition[] = "original-partition";
inline constexpr char kHeaderOriginalOffset[] = "original-offset";
inline constexpr char kHeaderOriginalTimestamp[] = "original-timestamp";
inline constexpr char kHeaderErrorClass[] = "error-class";
inline constexpr char kHeaderErrorMessage[] = "error-message";
inline constexpr char kHeaderRetryCount[] = "retry-count";
inline constexpr char kHeaderFailedAt[] = "failed-at";
inline constexpr char kHeaderInstanceId[] = "instance-id";

// The dead-letter header name for `onceflow_name` (one of the constants above) in `style`.
std::string DeadLetterHeaderName(DeadLetterHeaderStyle style, absl::string_view onceflow_name);

// Brackets each transform attempt, so its state writes are kept or dropped with its outputs.
// The runtime's stores keep an attempt's writes pending (a save point) and hold their changelog
// records until Commit; the TestDriver's in-memory stores snapshot.
class AttemptScope {
 public:
  virtual ~AttemptScope() = default;
  // Before the transform runs.
  virtual void Begin() = 0;
  // The attempt failed, or its record's outputs will not be sent: drop its writes.
  virtual void Rollback() = 0;
  // The attempt succeeded and its outputs were sent: keep its writes and produce their
  // changelog records. An error is the sink's (a Kafka problem, like an output's).
  virtual absl::Status Commit() = 0;
};

struct RecordProcessorConfig {
  // Where records that name no topic go. May be empty only if every record names one.
  std::string default_topic;
  ErrorOptions errors;
  // Written into the instance-id dead-letter header.
  std::string instance_id;
  // Seed of the backoff jitter (deterministic in tests).
  uint64_t jitter_seed = 0x5eed;
};

struct RecordOutcome {
  enum class Disposition {
    kProcessed,     // transform succeeded; `outputs` records sent
    kDeadLettered,  // failed; the input went to the dead-letter topic
    kSkipped,       // failed; dropped by policy
    kFailed,        // failed under ErrorPolicy::kFail: the caller must stop
  };
  Disposition disposition = Disposition::kProcessed;
  int attempts = 0;    // transform calls made for this input (1 = no retry)
  size_t outputs = 0;  // records sent to the sink (outputs, or 1 dead letter)
  absl::Status error;  // the last transform error, when not kProcessed
};

class RecordProcessor {
 public:
  // All references (and `attempts`, when not null) must outlive the RecordProcessor.
  RecordProcessor(Transform& transform, RecordProcessorConfig config, Sink& sink,
                  base::Clock& clock, AttemptScope* attempts = nullptr);

  RecordProcessor(const RecordProcessor&) = delete;
  RecordProcessor& operator=(const RecordProcessor&) = delete;

  // Processes one input. An error status means the Sink failed (a Kafka problem the loop
  // handles: abort and rewind); transform failures are in the outcome. A retry whose backoff
  // would end past `deadline` (the transaction's) is not waited for: kAborted, so the loop
  // replays the record in a fresh transaction instead of letting the broker abort this one.
  absl::StatusOr<RecordOutcome> Process(
      const Record& in, std::optional<base::Clock::SteadyTime> deadline = std::nullopt);

  // Applies the error policy to `in` as if its transform had failed with `error` after
  // `attempts` attempts, without running the transform: for an input whose output can never
  // be produced (the loop learned it from the producer).
  absl::StatusOr<RecordOutcome> ApplyPolicy(const Record& in, absl::Status error, int attempts);

  // The backoff before attempt `attempt` (2, 3, ...), with jitter. Exposed for tests.
  std::chrono::milliseconds Backoff(int attempt);

 private:
  Transform& transform_;
  RecordProcessorConfig config_;
  Sink& sink_;
  base::Clock& clock_;
  AttemptScope* attempts_;
  uint64_t rng_state_;
  std::vector<OutputRecord> pending_;  // reused across inputs
};

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_RECORD_PROCESSOR_H_
