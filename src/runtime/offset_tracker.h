// OffsetTracker: the input records consumed since the last commit — "the unit" that the next
// commit makes durable or the next failure replays. Per partition it keeps the rewind point
// (the offset of the first record consumed since the last commit), and it counts the records
// and keeps their timestamps (end-to-end latency).
//
//   const uint32_t index = tracker.Note(record);  // before anything can fail for the record
//   ... on failure: seek each rewind_points() entry, then tracker.Reset()
//
// Partitions get small indexes, stable for the tracker's life, so a produced record can carry
// its input's (partition, offset) in 64 bits (runtime/producer_sink.h).
// Thread-safety: the loop thread only.
#ifndef ONCEFLOW_RUNTIME_OFFSET_TRACKER_H_
#define ONCEFLOW_RUNTIME_OFFSET_TRACKER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "onceflow/kafka_types.h"
#include "onceflow/record.h"

namespace onceflow::runtime {

class OffsetTracker {
 public:
  // Notes `record` as consumed and in the unit; returns its partition's index. The first
  // record of a partition since the last Reset() sets that partition's rewind point.
  uint32_t Note(const Record& record);

  bool empty() const { return records_ == 0; }
  int64_t records() const { return records_; }
  // Partition -> the offset to seek back to for a replay of the unit.
  const std::map<TopicPartition, Offset>& rewind_points() const { return rewind_points_; }
  // The partitions consumed in the unit.
  std::vector<TopicPartition> partitions() const;
  // Timestamps of the unit's records, in consumption order.
  const std::vector<int64_t>& timestamps() const { return timestamps_; }

  // The partition with index `index` (as returned by Note). REQUIRES: a valid index.
  const TopicPartition& partition(uint32_t index) const { return by_index_[index]; }
  // The index of `tp`, assigned on first use.
  uint32_t IndexOf(const TopicPartition& tp);

  // Forgets the unit (after a commit or a rewind); indexes stay.
  void Reset();

 private:
  std::map<TopicPartition, Offset> rewind_points_;
  std::vector<int64_t> timestamps_;
  int64_t records_ = 0;
  // The partition of the last noted record: records come in runs from one partition, so only
  // a change of partition needs the maps.
  std::string last_topic_;
  int32_t last_partition_ = -1;
  uint32_t last_index_ = 0;
  bool last_in_unit_ = false;
  absl::flat_hash_map<TopicPartition, uint32_t> index_;
  std::vector<TopicPartition> by_index_;
};

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_OFFSET_TRACKER_H_
