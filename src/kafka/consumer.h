// A librdkafka KafkaConsumer with Status-returning calls and a rebalance listener.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(auto consumer, kafka::Consumer::Create({
//       {"bootstrap.servers", bootstrap}, {"group.id", "app"},
//       {"isolation.level", "read_committed"}}));
//   ONCEFLOW_RETURN_IF_ERROR(consumer->Subscribe({"in"}));
//   ONCEFLOW_ASSIGN_OR_RETURN(std::optional<kafka::ConsumedMessage> msg, consumer->Poll(100ms));
//
// Thread-safety: one thread drives a Consumer; the listener runs on that thread, inside Poll.
// No librdkafka type appears in this interface.
#ifndef ONCEFLOW_KAFKA_CONSUMER_H_
#define ONCEFLOW_KAFKA_CONSUMER_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kafka/config.h"
#include "kafka/handles.h"
#include "kafka/message.h"
#include "kafka/rebalance_listener.h"
#include "kafka/stats_callback.h"
#include "onceflow/kafka_types.h"

namespace onceflow::kafka {

class Consumer {
 public:
  // `props` are librdkafka properties. Unless given, enable.auto.commit and
  // enable.auto.offset.store default to false here (onceflow commits explicitly).
  // `listener` (optional) must outlive the Consumer. `on_statistics` (optional) gets the
  // figures of each statistics emission when `props` set statistics.interval.ms > 0; it runs
  // inside Poll.
  static absl::StatusOr<std::unique_ptr<Consumer>> Create(const Properties& props,
                                                          RebalanceListener* listener = nullptr,
                                                          StatisticsHandler on_statistics = {});

  struct PrivateTag {};
  Consumer(PrivateTag, RebalanceListener* listener);
  // Closes (leaves the group) if Close() was not called.
  ~Consumer();

  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Records come without their headers from now on: librdkafka parses each record's headers
  // into an allocated list, a cost a reader of keys and values only (a state restore) skips.
  void SkipHeaders() { read_headers_ = false; }

  absl::Status Subscribe(const std::vector<std::string>& topics);
  // Static assignment, no group membership. Offsets Invalid mean "committed, else
  // auto.offset.reset".
  absl::Status Assign(const std::vector<TopicPartitionOffset>& partitions);

  // The next message, or nullopt when none arrived within `timeout`. Errors come back as a
  // status (kFailedPrecondition for a fatal consumer error, with the underlying cause's code,
  // e.g. FENCED_INSTANCE_ID; also when an assignment change the group asked for failed, which
  // would otherwise leave the group stuck). With enable.partition.eof=true (off by default
  // here), end-of-partition events come as kPartitionEnd messages.
  absl::StatusOr<std::optional<ConsumedMessage>> Poll(std::chrono::milliseconds timeout);

  // Current assignment.
  absl::StatusOr<std::vector<TopicPartition>> Assignment() const;
  // Whether librdkafka considers the current assignment lost (session timeout, fencing) while
  // the rebalance event that drops it has not been served yet: nothing can be committed for it
  // any more, and seeks on it may time out.
  bool AssignmentLost() const;
  // The position (next offset to read) of each partition; Invalid when nothing consumed yet.
  absl::StatusOr<std::vector<TopicPartitionOffset>> Positions(
      const std::vector<TopicPartition>& partitions) const;
  // The group's committed offsets for `partitions`; Invalid where none is committed. With
  // isolation.level=read_committed librdkafka asks for stable offsets (KIP-447's
  // RequireStable): an offset commit still pending in an open transaction is waited for
  // (retried until `timeout`), never returned half-done.
  absl::StatusOr<std::vector<TopicPartitionOffset>> Committed(
      const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout) const;
  // Synchronously commits `offsets` (positions) for the group.
  absl::Status CommitSync(const std::vector<TopicPartitionOffset>& offsets);
  // Sends the commit and returns at once; its result is logged by librdkafka (a later
  // successful commit supersedes a failed one).
  absl::Status CommitAsync(const std::vector<TopicPartitionOffset>& offsets);
  // Moves the fetch position of an assigned partition. (librdkafka before 2.1.0 waited
  // `timeout` in microseconds, not milliseconds; this waits the milliseconds asked for with
  // every version.)
  absl::Status Seek(const TopicPartitionOffset& position, std::chrono::milliseconds timeout);
  absl::Status Pause(const std::vector<TopicPartition>& partitions);
  // Resumes fetching `partitions`, which must have been paused since they were assigned (none
  // of their records consumed): it seeks each to its committed offset, so that the fetch
  // starts at once instead of when librdkafka's broker thread next wakes up (up to 1 s).
  absl::Status Resume(const std::vector<TopicPartition>& partitions);
  // Low and high watermark (high = end offset) of a partition, from the broker.
  absl::StatusOr<std::pair<Offset, Offset>> Watermarks(const TopicPartition& tp,
                                                       std::chrono::milliseconds timeout) const;
  // The same, as last seen in fetch responses: no broker round trip. nullopt when unknown.
  std::optional<std::pair<Offset, Offset>> CachedWatermarks(const TopicPartition& tp) const;

  // The names of the topics that exist in the cluster (one metadata request).
  absl::StatusOr<std::vector<std::string>> ListTopics(std::chrono::milliseconds timeout) const;

  // The group metadata for send_offsets_to_transaction (generation, member id...).
  kafka::GroupMetadata GroupMetadata() const;

  // "EAGER", "COOPERATIVE", or "NONE" (not in a group yet).
  std::string RebalanceProtocol() const;

  // Leaves the group, running the listener's OnRevoked for the current assignment.
  absl::Status Close();

 private:
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque);
  static int OnStatistics(rd_kafka_t* rk, char* json, size_t size, void* opaque);

  // group.protocol is consumer (KIP-848): fatal errors get what they mean under it, and
  // `watch_` tells a broker that lacks the protocol (which librdkafka does not report). Its
  // interceptors run until rd_kafka_destroy returns, so it is declared before (outlives) rk_.
  bool consumer_protocol_ = false;
  struct ProtocolWatch;
  std::unique_ptr<ProtocolWatch> watch_;
  KafkaPtr rk_;
  RebalanceListener* listener_;
  bool read_headers_ = true;
  StatisticsHandler on_statistics_;
  bool closed_ = false;
  // An assignment change asked for by the group that failed (set in OnRebalance, returned by
  // the next Poll).
  absl::Status rebalance_error_;
};

}  // namespace onceflow::kafka

#endif  // ONCEFLOW_KAFKA_CONSUMER_H_
