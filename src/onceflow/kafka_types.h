// Strong types for the numbers Kafka hands around: partitions and offsets.
//
// An Offset in onceflow's API is always a *position*: the offset of the next record to read.
// That is what Kafka commits and what a consumer's position() returns. It is never computed as
// "last consumed offset + 1" by hand, because transaction markers occupy offsets too; the
// kafka adapters obtain positions from librdkafka.
//
//   TopicPartition tp{"orders", Partition(3)};
//   Offset next = Offset(42);
#ifndef ONCEFLOW_KAFKA_TYPES_H_
#define ONCEFLOW_KAFKA_TYPES_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <tuple>
#include <utility>

namespace onceflow {

// A partition number. Partition::Any() (-1) lets the producer's partitioner choose.
class Partition {
 public:
  constexpr explicit Partition(int32_t value) : value_(value) {}
  static constexpr Partition Any() { return Partition(-1); }

  constexpr int32_t value() const { return value_; }

  friend constexpr bool operator==(Partition a, Partition b) { return a.value_ == b.value_; }
  friend constexpr bool operator!=(Partition a, Partition b) { return a.value_ != b.value_; }
  friend constexpr bool operator<(Partition a, Partition b) { return a.value_ < b.value_; }
  friend std::ostream& operator<<(std::ostream& os, Partition p) { return os << p.value_; }
  template <typename H>
  friend H AbslHashValue(H h, Partition p) {
    return H::combine(std::move(h), p.value_);
  }

 private:
  int32_t value_;
};

// An offset within a partition. Negative values are librdkafka's logical offsets
// (Beginning(), End(), Invalid()).
class Offset {
 public:
  constexpr explicit Offset(int64_t value) : value_(value) {}
  static constexpr Offset Beginning() { return Offset(-2); }   // RD_KAFKA_OFFSET_BEGINNING
  static constexpr Offset End() { return Offset(-1); }         // RD_KAFKA_OFFSET_END
  static constexpr Offset Invalid() { return Offset(-1001); }  // RD_KAFKA_OFFSET_INVALID

  constexpr int64_t value() const { return value_; }
  constexpr bool is_logical() const { return value_ < 0; }

  friend constexpr bool operator==(Offset a, Offset b) { return a.value_ == b.value_; }
  friend constexpr bool operator!=(Offset a, Offset b) { return a.value_ != b.value_; }
  friend constexpr bool operator<(Offset a, Offset b) { return a.value_ < b.value_; }
  friend constexpr bool operator<=(Offset a, Offset b) { return a.value_ <= b.value_; }
  friend std::ostream& operator<<(std::ostream& os, Offset o) { return os << o.value_; }

 private:
  int64_t value_;
};

struct TopicPartition {
  std::string topic;
  Partition partition = Partition(0);

  friend bool operator==(const TopicPartition& a, const TopicPartition& b) {
    return a.partition == b.partition && a.topic == b.topic;
  }
  friend bool operator<(const TopicPartition& a, const TopicPartition& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  }
  template <typename H>
  friend H AbslHashValue(H h, const TopicPartition& tp) {
    return H::combine(std::move(h), tp.topic, tp.partition);
  }
  friend std::ostream& operator<<(std::ostream& os, const TopicPartition& tp) {
    return os << tp.topic << "[" << tp.partition << "]";
  }
};

// A partition and a position in it (committed offset, consumer position, end offset...).
struct TopicPartitionOffset {
  TopicPartition tp;
  Offset offset = Offset::Invalid();

  friend bool operator==(const TopicPartitionOffset& a, const TopicPartitionOffset& b) {
    return a.tp == b.tp && a.offset == b.offset;
  }
  friend std::ostream& operator<<(std::ostream& os, const TopicPartitionOffset& tpo) {
    return os << tpo.tp << "@" << tpo.offset;
  }
};

}  // namespace onceflow

#endif  // ONCEFLOW_KAFKA_TYPES_H_
