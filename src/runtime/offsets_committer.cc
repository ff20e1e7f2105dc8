#include "runtime/offsets_committer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/retry.h"
#include "kafka/error.h"
#include "onceflow/status_macros.h"
#include "runtime/fault_injection.h"
#include "runtime/log.h"

namespace onceflow::runtime {

OffsetsCommitter::OffsetsCommitter(OffsetsCommitterOptions options, ProducerClient& producer,
                                   ProducerSink& sink, Source& source, EngineCounters& counters)
    : options_(std::move(options)),
      producer_(producer),
      sink_(sink),
      source_(source),
      counters_(counters) {}

bool OffsetsCommitter::Due(const CommitCheck& check) {
  if (check.records == 0) return false;
  if (check.force) return true;
  switch (options_.policy) {
    case CommitPolicy::kPerRecord:
      return true;
    case CommitPolicy::kPerBatch:
      return check.end_of_batch;
    case CommitPolicy::kEveryN:
      return check.records >= options_.every_records;
    case CommitPolicy::kInterval:
      return check.since_last_commit >= options_.commit_interval;
  }
  return false;
}

absl::StatusOr<UnitEnd> OffsetsCommitter::Commit(
    const OffsetTracker& unit, const std::function<absl::Status()>& apply_state) {
  if (unit.empty()) {
    open_ = false;
    return UnitEnd::kCommitted;
  }
  // Every output (and changelog record) of the records before the positions must be
  // acknowledged first.
  absl::Status st = producer_.Flush(options_.flush_timeout);
  if (!st.ok() || sink_.failed()) {
    Log(LogLevel::kWarn,
        absl::StrCat("not committing past a failed delivery (",
                     st.ok() ? "a delivery report failed" : st.message(),
                     "); replaying from the last commit"));
    open_ = false;
    return UnitEnd::kRolledBack;
  }
  ReachedFaultPoint(FaultPoint::kAfterProduce);
  // The outputs are safe: the state that goes with them may reach RocksDB. (A crash before the
  // offset commit replays those records; dedupe then drops them, their outputs being out.)
  ONCEFLOW_RETURN_IF_ERROR(apply_state());
  ONCEFLOW_ASSIGN_OR_RETURN(std::vector<TopicPartitionOffset> all,
                            source_.Positions(unit.partitions()));
  std::vector<TopicPartitionOffset> positions;
  for (const TopicPartitionOffset& p : all) {
    if (!p.offset.is_logical()) positions.push_back(p);
  }
  st = source_.Commit(positions, options_.async);
  if (!st.ok()) {
    if (kafka::IsFenced(st)) return st;
    // The outputs are delivered; without the commit they are replayed later (duplicates, never
    // loss). Keep the unit and try again at the next commit point.
    Log(LogLevel::kWarn, absl::StrCat("offset commit failed: ", st.message(), "; will retry"));
    return UnitEnd::kOffsetsPending;
  }
  ++counters_.offset_commits;
  open_ = false;
  ReachedFaultPoint(FaultPoint::kAfterCommit);
  return UnitEnd::kCommitted;
}

absl::StatusOr<UnitEnd> OffsetsCommitter::Abort(const absl::Status& cause) {
  if (kafka::IsFenced(cause)) return cause;
  open_ = false;
  absl::Status fatal = producer_.FatalError();
  if (!fatal.ok()) {
    // An idempotent producer can fail fatally (e.g. an out-of-order sequence after a broker
    // restart, librdkafka #4438, before 2.3.0): replace it; the replay re-sends what it lost.
    Log(LogLevel::kWarn, absl::StrCat("producer failed fatally (", fatal.message(),
                                      "); recreating it and replaying from the last commit"));
    ONCEFLOW_RETURN_IF_ERROR(producer_.Recreate());
    ++counters_.producers_recreated;
    return UnitEnd::kRolledBack;
  }
  Log(LogLevel::kWarn,
      absl::StrCat("replaying from the last commit after: ", cause.message()));
  return UnitEnd::kRolledBack;
}

}  // namespace onceflow::runtime
