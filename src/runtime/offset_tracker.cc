#include "runtime/offset_tracker.h"

namespace onceflow::runtime {

uint32_t OffsetTracker::Note(const Record& record) {
  ++records_;
  timestamps_.push_back(record.timestamp_ms());
  if (last_in_unit_ && record.partition().value() == last_partition_ &&
      record.topic() == last_topic_) {
    return last_index_;
  }
  TopicPartition tp{std::string(record.topic()), record.partition()};
  last_index_ = IndexOf(tp);
  rewind_points_.emplace(std::move(tp), record.offset());  // keeps an existing entry
  last_topic_.assign(record.topic().data(), record.topic().size());
  last_partition_ = record.partition().value();
  last_in_unit_ = true;
  return last_index_;
}

uint32_t OffsetTracker::IndexOf(const TopicPartition& tp) {
  auto [it, inserted] = index_.try_emplace(tp, static_cast<uint32_t>(by_index_.size()));
  if (inserted) by_index_.push_back(tp);
  return it->second;
}

std::vector<TopicPartition> OffsetTracker::partitions() const {
  std::vector<TopicPartition> out;
  out.reserve(rewind_points_.size());
  for (const auto& [tp, offset] : rewind_points_) out.push_back(tp);
  return out;
}

void OffsetTracker::Reset() {
  rewind_points_.clear();
  timestamps_.clear();
  records_ = 0;
  last_in_unit_ = false;  // the next record must set its partition's rewind point again
}

}  // namespace onceflow::runtime
