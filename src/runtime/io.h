// The engine's IO seams: what the loop (runtime::Pipeline), the committers and the state
// restore need from a Kafka consumer and a Kafka producer, as interfaces. Production
// implementations wrap kafka::Consumer and kafka::Producer (runtime/kafka_io.h); tests use
// fakes (tests/testing/fake_kafka.h) that model a partition log, a group's committed offsets and
// transactions, so every error path of the loop runs in milliseconds, without a broker.
//
// Nothing here exposes a librdkafka type; the value types come from kafka/message.h.
//
// Thread-safety: each object is driven by one thread (the loop's). Listeners and delivery
// handlers are called on that thread, from inside Poll / the producer's polling calls.
#ifndef ONCEFLOW_RUNTIME_IO_H_
#define ONCEFLOW_RUNTIME_IO_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kafka/message.h"
#include "kafka/rebalance_listener.h"
#include "onceflow/kafka_types.h"

namespace onceflow::runtime {

using std::chrono::milliseconds;

// The consumer side: records from the input topics of a consumer group, read_committed.
class Source {
 public:
  virtual ~Source() = default;

  // Where assignment changes are reported, from inside Poll. REQUIRES: called before
  // Subscribe; `listener` outlives the Source.
  virtual void SetListener(kafka::RebalanceListener* listener) = 0;
  virtual absl::Status Subscribe(const std::vector<std::string>& topics) = 0;
  // The topics that exist in the cluster (one metadata request): start-up checks, and the
  // first sign that the cluster answers.
  virtual absl::StatusOr<std::vector<std::string>> ListTopics(milliseconds timeout) = 0;

  // The next record or end-of-partition event, or nullopt when none came within `timeout`.
  // kFailedPrecondition for a fatal consumer error (fencing by a twin's group.instance.id
  // has kafka::IsFenced); other errors are transient (the consumer recovers by itself).
  virtual absl::StatusOr<std::optional<kafka::ConsumedMessage>> Poll(milliseconds timeout) = 0;

  // The position (next offset to read) of each partition; logical (negative) when nothing was
  // consumed from it yet.
  virtual absl::StatusOr<std::vector<TopicPartitionOffset>> Positions(
      const std::vector<TopicPartition>& partitions) = 0;
  // Moves the fetch position of an assigned partition.
  virtual absl::Status Seek(const TopicPartitionOffset& position, milliseconds timeout) = 0;
  // The group's committed offsets (stable: pending transactional commits are waited for);
  // Offset::Invalid() where none.
  virtual absl::StatusOr<std::vector<TopicPartitionOffset>> Committed(
      const std::vector<TopicPartition>& partitions, milliseconds timeout) = 0;
  // Commits `positions` as the group's offsets (at-least-once).
  virtual absl::Status Commit(const std::vector<TopicPartitionOffset>& positions, bool async) = 0;
  // Whether the group took the assignment away without a clean revoke, before the event that
  // says so was served: nothing can be committed for it any more.
  virtual bool AssignmentLost() = 0;
  // Stops / restarts fetching for assigned partitions (their positions are kept).
  virtual absl::Status Pause(const std::vector<TopicPartition>& partitions) = 0;
  virtual absl::Status Resume(const std::vector<TopicPartition>& partitions) = 0;
  // The partition's end offset as last seen (no round trip); nullopt when unknown.
  virtual std::optional<Offset> CachedEndOffset(const TopicPartition& tp) = 0;
  // What send_offsets_to_transaction needs to prove this member still owns the partitions.
  virtual kafka::GroupMetadata GroupMetadata() = 0;
  // Leaves the group (OnRevoked runs for the current assignment).
  virtual absl::Status Close() = 0;
};

// The producer side: outputs, dead letters and changelog records, with or without
// transactions. Statuses follow kafka/error.h's mapping (kAborted: abort the transaction;
// kFailedPrecondition: this producer is unusable; kDeadlineExceeded: resume the same call).
class ProducerClient {
 public:
  using DeliveryHandler = std::function<void(const kafka::DeliveryReport&)>;

  virtual ~ProducerClient() = default;

  // Called once per produced record, from inside Produce (on a full queue), Poll, Flush and
  // CommitTransaction. Survives Recreate.
  virtual void SetDeliveryHandler(DeliveryHandler handler) = 0;

  virtual absl::Status Produce(const kafka::OutMessage& message,
                               milliseconds queue_full_timeout) = 0;
  // Serves the delivery reports that are ready, without waiting.
  virtual void Poll() = 0;
  // Waits until every produced record has its delivery report.
  virtual absl::Status Flush(milliseconds timeout) = 0;

  virtual absl::Status InitTransactions(milliseconds timeout) = 0;
  virtual absl::Status BeginTransaction() = 0;
  virtual absl::Status SendOffsetsToTransaction(const std::vector<TopicPartitionOffset>& positions,
                                                const kafka::GroupMetadata& group,
                                                milliseconds timeout) = 0;
  virtual absl::Status CommitTransaction(milliseconds timeout) = 0;
  virtual absl::Status AbortTransaction(milliseconds timeout) = 0;
  // The fatal error that made this producer unusable; OK when there is none.
  virtual absl::Status FatalError() = 0;

  // Replaces the underlying producer with a new one of the same identity. Records not yet
  // delivered are dropped without reports. For a transactional producer, the caller's next
  // InitTransactions bumps the epoch: the old producer is fenced, and the transaction it left
  // open is aborted by the coordinator (or completed, if its commit had already been written).
  virtual absl::Status Recreate() = 0;
};

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_IO_H_
