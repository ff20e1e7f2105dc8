// A librdkafka KafkaConsumer with Status-returning calls and a rebalance listener.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(auto consumer, kafka::Consumer::Create({
//       {"bootstrap.servers", bootstrap}, {"group.id", "app"},
//       {"isolation.level", "read_committed"}}));
//   ONCEFLOW_RETURN_IF_ERROR(consumer->Subscribe({"in"}));
//   ONCEFLOW_ASSIGN_OR_RETURN(kafka::MessagePtr msg, consumer->Poll(100ms));
//
// Thread-safety: one thread drives a Consumer; the listener runs on that thread, inside Poll.
#ifndef ONCEFLOW_KAFKA_CONSUMER_H_
#define ONCEFLOW_KAFKA_CONSUMER_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kafka/config.h"
#include "kafka/handles.h"
#include "onceflow/kafka_types.h"

namespace onceflow::kafka {

// Told about partitions given to and taken from this consumer, from inside Poll(). The
// consumer applies the change after the call returns (eager protocol: every revocation is
// of the whole assignment), so OnRevoked is the last moment to commit for those partitions.
// Implementations must not throw.
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  virtual void OnAssigned(const std::vector<TopicPartition>& partitions) = 0;
  virtual void OnRevoked(const std::vector<TopicPartition>& partitions) = 0;
  // The assignment was lost without a clean revoke (session timeout, fencing): commits for
  // these partitions will fail; drop their in-flight work.
  virtual void OnLost(const std::vector<TopicPartition>& partitions) { OnRevoked(partitions); }
};

class Consumer {
 public:
  // `props` are librdkafka properties. Unless given, enable.auto.commit and
  // enable.auto.offset.store default to false here (onceflow commits explicitly).
  // `listener` (optional) must outlive the Consumer.
  static absl::StatusOr<std::unique_ptr<Consumer>> Create(const Properties& props,
                                                          RebalanceListener* listener = nullptr);

  struct PrivateTag {};
  Consumer(PrivateTag, RebalanceListener* listener);
  // Closes (leaves the group) if Close() was not called.
  ~Consumer();

  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  absl::Status Subscribe(const std::vector<std::string>& topics);
  // Static assignment, no group membership. Offsets Invalid mean "committed, else
  // auto.offset.reset".
  absl::Status Assign(const std::vector<TopicPartitionOffset>& partitions);

  // The next message, or nullptr when none arrived within `timeout`. Errors come back as a
  // status. With enable.partition.eof=true (off by default here), end-of-partition events are
  // returned as messages whose err is RD_KAFKA_RESP_ERR__PARTITION_EOF.
  absl::StatusOr<MessagePtr> Poll(std::chrono::milliseconds timeout);

  // Current assignment.
  absl::StatusOr<std::vector<TopicPartition>> Assignment() const;
  // Whether librdkafka considers the current assignment lost (session timeout, fencing) while
  // the rebalance event that drops it has not been served yet: nothing can be committed for it
  // any more, and seeks on it may time out.
  bool AssignmentLost() const { return rd_kafka_assignment_lost(rk_.get()) == 1; }
  // The position (next offset to read) of each partition; Invalid when nothing consumed yet.
  absl::StatusOr<std::vector<TopicPartitionOffset>> Positions(
      const std::vector<TopicPartition>& partitions) const;
  // The group's committed offsets for `partitions`; Invalid where none is committed.
  absl::StatusOr<std::vector<TopicPartitionOffset>> Committed(
      const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout) const;
  // Synchronously commits `offsets` (positions) for the group.
  absl::Status CommitSync(const std::vector<TopicPartitionOffset>& offsets);
  // Sends the commit and returns at once; its result is logged by librdkafka (a later
  // successful commit supersedes a failed one).
  absl::Status CommitAsync(const std::vector<TopicPartitionOffset>& offsets);
  // Moves the fetch position of an assigned partition.
  absl::Status Seek(const TopicPartitionOffset& position, std::chrono::milliseconds timeout);
  absl::Status Pause(const std::vector<TopicPartition>& partitions);
  absl::Status Resume(const std::vector<TopicPartition>& partitions);
  // Low and high watermark (high = end offset) of a partition, from the broker.
  absl::StatusOr<std::pair<Offset, Offset>> Watermarks(const TopicPartition& tp,
                                                       std::chrono::milliseconds timeout) const;

  // The group metadata for send_offsets_to_transaction (generation, member id...).
  GroupMetadataPtr GroupMetadata() const;

  // Leaves the group, running the listener's OnRevoked for the current assignment.
  absl::Status Close();

  rd_kafka_t* handle() const { return rk_.get(); }

 private:
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque);

  KafkaPtr rk_;
  RebalanceListener* listener_;
  bool closed_ = false;
};

}  // namespace onceflow::kafka

#endif  // ONCEFLOW_KAFKA_CONSUMER_H_
