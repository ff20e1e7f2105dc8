// Value types that cross the boundary between the librdkafka adapters (src/kafka/) and the rest
// of onceflow, none of them exposing a librdkafka type:
//
//   ConsumedMessage  one record (or end-of-partition event) handed out by a consumer; owns the
//                    memory its views point into.
//   GroupMetadata    the consumer group metadata send_offsets_to_transaction needs (opaque).
//   OutMessage       one record to produce; DeliveryReport, its outcome.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(std::optional<kafka::ConsumedMessage> m, consumer->Poll(100ms));
//   if (m.has_value() && m->is_record()) Use(m->record());  // views valid while *m lives
#ifndef ONCEFLOW_KAFKA_MESSAGE_H_
#define ONCEFLOW_KAFKA_MESSAGE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "onceflow/kafka_types.h"
#include "onceflow/record.h"

namespace onceflow::kafka {

// One consumed record, or the end of a partition (with enable.partition.eof). Move-only; the
// views of record() (topic, key, value, headers) point into memory this object owns, so they
// are valid exactly as long as it lives, wherever it is moved.
class ConsumedMessage {
 public:
  // Owns what the record's views point into (a librdkafka message, or a test's strings).
  using Owner = std::unique_ptr<void, void (*)(void*)>;

  enum class Kind {
    kRecord,
    // The consumer reached the partition's end: record().offset() is the end offset (the
    // position after the last record), and there is no key, value or header.
    kPartitionEnd,
  };

  ConsumedMessage(Kind kind, Record record, Owner owner)
      : kind_(kind), record_(std::move(record)), owner_(std::move(owner)) {}
  ConsumedMessage(ConsumedMessage&&) = default;
  ConsumedMessage& operator=(ConsumedMessage&&) = default;

  // A message that owns a copy of everything it shows: for fakes and tests.
  struct Fields {
    std::string topic;
    int32_t partition = 0;
    int64_t offset = 0;
    int64_t timestamp_ms = -1;
    std::optional<std::string> key;
    std::optional<std::string> value;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  static ConsumedMessage Copy(Kind kind, Fields fields);

  Kind kind() const { return kind_; }
  bool is_record() const { return kind_ == Kind::kRecord; }
  const Record& record() const { return record_; }
  absl::string_view topic() const { return record_.topic(); }
  Partition partition() const { return record_.partition(); }
  Offset offset() const { return record_.offset(); }

 private:
  Kind kind_;
  Record record_;
  Owner owner_;
};

// The consumer group metadata (group, generation, member id) that
// send_offsets_to_transaction takes, so a commit from a member that is no longer in the group
// is refused (KIP-447 fencing). Opaque; move-only. A default-constructed one is empty (fakes).
class GroupMetadata {
 public:
  using Handle = std::unique_ptr<void, void (*)(void*)>;

  GroupMetadata() : handle_(nullptr, [](void*) {}) {}
  explicit GroupMetadata(Handle handle) : handle_(std::move(handle)) {}
  GroupMetadata(GroupMetadata&&) = default;
  GroupMetadata& operator=(GroupMetadata&&) = default;

  bool empty() const { return handle_ == nullptr; }
  // The underlying librdkafka object; for src/kafka/ only.
  const void* get() const { return handle_.get(); }

 private:
  Handle handle_;
};

// One record to produce. Key, value and header bytes are copied before Produce() returns, so
// the views need to outlive the call only.
struct OutMessage {
  absl::string_view topic;
  Partition partition = Partition::Any();
  absl::string_view key;
  absl::string_view value;
  std::vector<std::pair<absl::string_view, absl::string_view>> headers;
  // Create time in ms since the epoch; 0 = now.
  int64_t timestamp_ms = 0;
  // Key and value as null (not empty) when true: a tombstone has a key and a null value.
  bool null_key = false;
  bool null_value = false;
  // Handed back, untouched, in the delivery report.
  void* opaque = nullptr;
};

// The outcome of one produced record, as the producer reported it.
struct DeliveryReport {
  absl::Status status;
  TopicPartitionOffset position;  // partition and offset written (offset invalid on error)
  void* opaque = nullptr;
};

}  // namespace onceflow::kafka

#endif  // ONCEFLOW_KAFKA_MESSAGE_H_
