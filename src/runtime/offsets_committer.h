// OffsetsCommitter: the at-least-once committer. Outputs go through an idempotent producer
// (acks=all) without transactions; at a commit point every produced record must have a
// successful delivery report before the offsets are committed, so an offset is never committed
// past an output that may be lost. A failed delivery rolls the unit back (the loop replays it:
// duplicates, never loss); a failed offset commit keeps the unit open for the next commit.
//
// Commit points by policy (ProcessorOptions::commit_policy): every record, every poll batch,
// every N records, or every commit_interval.
#ifndef ONCEFLOW_RUNTIME_OFFSETS_COMMITTER_H_
#define ONCEFLOW_RUNTIME_OFFSETS_COMMITTER_H_

#include <chrono>
#include <cstdint>

#include "onceflow/processor_options.h"
#include "runtime/committer.h"
#include "runtime/counters.h"
#include "runtime/io.h"
#include "runtime/producer_sink.h"

namespace onceflow::runtime {

struct OffsetsCommitterOptions {
  CommitPolicy policy = CommitPolicy::kInterval;
  std::chrono::milliseconds commit_interval{100};  // kInterval
  int64_t every_records = 1000;                    // kEveryN
  bool async = false;                              // commit offsets without waiting
  // How long the flush before a commit may wait for delivery reports. Default: 30 s.
  std::chrono::milliseconds flush_timeout{30000};
};

class OffsetsCommitter final : public Committer {
 public:
  // References must outlive the committer.
  OffsetsCommitter(OffsetsCommitterOptions options, ProducerClient& producer, ProducerSink& sink,
                   Source& source, EngineCounters& counters);

  absl::Status Start(base::Clock::SteadyTime, const std::function<bool()>&) override {
    return absl::OkStatus();
  }
  absl::Status BeginRecord() override {
    open_ = true;
    return absl::OkStatus();
  }
  bool open() const override { return open_; }
  bool Due(const CommitCheck& check) override;
  std::optional<base::Clock::SteadyTime> Deadline() override { return std::nullopt; }
  absl::StatusOr<UnitEnd> Commit(const OffsetTracker& unit,
                                 const std::function<absl::Status()>& apply_state) override;
  absl::StatusOr<UnitEnd> Abort(const absl::Status& cause) override;

 private:
  const OffsetsCommitterOptions options_;
  ProducerClient& producer_;
  ProducerSink& sink_;
  Source& source_;
  EngineCounters& counters_;
  bool open_ = false;
};

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_OFFSETS_COMMITTER_H_
