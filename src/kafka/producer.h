// A librdkafka producer: plain, idempotent or transactional, with Status-returning calls.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(auto producer, kafka::Producer::Create({
//       {"bootstrap.servers", bootstrap}, {"transactional.id", "app-0"}}));
//   ONCEFLOW_RETURN_IF_ERROR(producer->InitTransactions(std::chrono::seconds(30)));
//   ONCEFLOW_RETURN_IF_ERROR(producer->BeginTransaction());
//   ONCEFLOW_RETURN_IF_ERROR(producer->Produce({"out", Partition::Any(), "k", "v"}));
//   ONCEFLOW_RETURN_IF_ERROR(producer->CommitTransaction());
//
// Transactional calls return statuses by kafka/error.h's mapping (kAborted = abort and rewind,
// kFailedPrecondition = fatal, kDeadlineExceeded = retry the same call: a commit or abort that
// timed out is resumed by calling it again, never turned into the other). Every call takes a
// finite timeout: librdkafka's -1 means "forever" for commit and abort (not "the remaining
// transaction time", whatever its header says), and a commit that hangs while a coordinator is
// away must come back to the loop.
//
// Thread-safety: one thread drives a Producer. Delivery reports are served from the calls
// that poll (Produce on a full queue, Poll, Flush, CommitTransaction) on that same thread.
#ifndef ONCEFLOW_KAFKA_PRODUCER_H_
#define ONCEFLOW_KAFKA_PRODUCER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kafka/config.h"
#include "kafka/handles.h"
#include "kafka/message.h"
#include "kafka/stats_callback.h"
#include "onceflow/kafka_types.h"

namespace onceflow::kafka {

class Producer {
 public:
  using DeliveryHandler = std::function<void(const DeliveryReport&)>;

  // `props` are librdkafka properties (bootstrap.servers, transactional.id, ...).
  // `on_delivery`, if set, is called once per produced record from the polling calls.
  // `on_statistics`, if set, gets the figures of each statistics emission when `props` set
  // statistics.interval.ms > 0, from the same polling calls.
  static absl::StatusOr<std::unique_ptr<Producer>> Create(const Properties& props,
                                                          DeliveryHandler on_delivery = {},
                                                          StatisticsHandler on_statistics = {});

  struct PrivateTag {};
  Producer(PrivateTag, KafkaPtr rk, DeliveryHandler on_delivery);
  ~Producer();

  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Enqueues one record. On a full local queue, serves delivery reports and retries until
  // `queue_full_timeout`; then kUnavailable. A transactional producer whose transaction can
  // take no more records (it failed and must be aborted: librdkafka's _STATE here carries no
  // abort flag) returns kAborted. Errors that no retry can fix for this record (too large,
  // no such partition or topic, not authorized) satisfy IsRecordError (kafka/error.h).
  absl::Status Produce(const OutMessage& message,
                       std::chrono::milliseconds queue_full_timeout = std::chrono::seconds(30));

  // Serves delivery reports for up to `timeout`; returns how many events were served.
  int Poll(std::chrono::milliseconds timeout);

  // Waits until every enqueued record has a delivery report.
  absl::Status Flush(std::chrono::milliseconds timeout);

  // Learns the partitions and leaders of `topics` now (one metadata request), and keeps their
  // topic handles for the producer's life, so the first record to each is sent at once: left to
  // librdkafka 2.0.2, the first produce to a topic waits up to a second for its metadata, and
  // a commit that flushes waits with it. Best effort: on failure nothing is kept, and the
  // first records wait as before.
  absl::Status PrepareTopics(const std::vector<std::string>& topics,
                             std::chrono::milliseconds timeout);

  // Transactions. REQUIRES: transactional.id was set.
  absl::Status InitTransactions(std::chrono::milliseconds timeout);
  absl::Status BeginTransaction();
  // Adds `offsets` (positions: next offset to read) for the consumer group `group` to the
  // open transaction.
  absl::Status SendOffsetsToTransaction(const std::vector<TopicPartitionOffset>& offsets,
                                        const GroupMetadata& group,
                                        std::chrono::milliseconds timeout);
  // Flushes, then commits, for up to `timeout`. kDeadlineExceeded: still committing; call
  // again to resume (the outcome is not known until then).
  absl::Status CommitTransaction(std::chrono::milliseconds timeout);
  // Purges what is not yet sent, waits for what is in flight, then aborts, for up to
  // `timeout`. kDeadlineExceeded: call again to resume.
  absl::Status AbortTransaction(std::chrono::milliseconds timeout);

  // Records produced so far whose delivery failed / succeeded (from delivery reports).
  int64_t delivery_failures() const { return delivery_failures_; }
  int64_t delivered() const { return delivered_; }

  // The fatal error that made this producer unusable, if any (OK otherwise).
  absl::Status FatalError() const;

  // Raises a fatal error of code `code` (librdkafka's rd_kafka_test_fatal_error), as a broker's
  // answer would: for testing what a caller does on one (the audit's generator recovers).
  absl::Status InjectFatalError(int code, absl::string_view reason);

 private:
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
  static int OnStatistics(rd_kafka_t* rk, char* json, size_t size, void* opaque);

  KafkaPtr rk_;
  // Declared after rk_: released before it, as librdkafka requires.
  std::vector<TopicPtr> topics_;
  DeliveryHandler on_delivery_;
  StatisticsHandler on_statistics_;
  bool transactional_ = false;
  int64_t delivery_failures_ = 0;
  int64_t delivered_ = 0;
};

}  // namespace onceflow::kafka

#endif  // ONCEFLOW_KAFKA_PRODUCER_H_
