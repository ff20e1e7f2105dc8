// ProducerSink: where every record the engine produces goes — outputs, dead letters and state
// changelog records alike — through one ProducerClient (inside the open transaction under
// exactly-once). Each produced record is tagged with the input record being processed, so a
// delivery that fails later is traced back to the input that made it (a record too large for
// the topic, or for a partition that does not exist, must reach that input's error policy, not
// abort the same transaction forever).
//
//   sink.SetInput(tracker.Note(record), record.offset());
//   RETURN_IF_ERROR(record_processor.Process(record));  // sends through the sink
//   sink.ClearInput();
//   if (sink.failed()) for (const DeliveryFailure& f : sink.TakeFailures()) ...
//
// Thread-safety: the loop thread only (delivery reports are served on it).
#ifndef ONCEFLOW_RUNTIME_PRODUCER_SINK_H_
#define ONCEFLOW_RUNTIME_PRODUCER_SINK_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/clock.h"
#include "runtime/io.h"
#include "runtime/record_processor.h"

namespace onceflow::runtime {

// A record whose delivery failed, and the input it was produced for.
struct DeliveryFailure {
  std::string topic;  // where the produced record was going
  absl::Status status;
  // The input record: (partition index of OffsetTracker, offset); absent when the record was
  // produced outside Process (e.g. expiry tombstones) or could not be tagged.
  std::optional<std::pair<uint32_t, int64_t>> input;
  bool changelog = false;
};

class ProducerSink final : public Sink {
 public:
  // `producer` and `clock` must outlive the sink; the sink becomes the producer's delivery
  // handler.
  ProducerSink(ProducerClient& producer, base::Clock& clock);

  // The input whose outputs and state writes are produced from now on.
  void SetInput(uint32_t partition_index, Offset offset);
  void ClearInput() { input_tag_ = 0; }
  // Inline waits (a full producer queue) end by `deadline` (the transaction's), at the latest
  // after 30 s. nullopt = 30 s.
  void SetDeadline(std::optional<base::Clock::SteadyTime> deadline) { deadline_ = deadline; }

  // Sink: outputs and dead letters.
  absl::Status Send(const std::string& topic, const OutputRecord& record) override;
  // A state changelog record (value nullopt = tombstone).
  absl::Status SendChangelog(const std::string& topic, int32_t partition, absl::string_view key,
                             std::optional<absl::string_view> value);
  // Called with the position of every changelog record delivered.
  void SetChangelogDelivered(std::function<void(const TopicPartitionOffset&)> fn) {
    changelog_delivered_ = std::move(fn);
  }

  // Whether a delivery failed since the last TakeFailures().
  bool failed() const { return !failures_.empty(); }
  std::vector<DeliveryFailure> TakeFailures();
  // Records produced since construction whose delivery has not been reported (for tests).
  int64_t in_flight() const { return produced_ - reported_; }

 private:
  absl::Status Produce(kafka::OutMessage& m, bool changelog);
  void OnDelivery(const kafka::DeliveryReport& report);

  ProducerClient& producer_;
  base::Clock& clock_;
  uint64_t input_tag_ = 0;
  std::optional<base::Clock::SteadyTime> deadline_;
  std::function<void(const TopicPartitionOffset&)> changelog_delivered_;
  std::vector<DeliveryFailure> failures_;
  int64_t produced_ = 0;
  int64_t reported_ = 0;
};

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_PRODUCER_SINK_H_
