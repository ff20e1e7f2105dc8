// The production implementations of the IO seams (runtime/io.h) over librdkafka's consumer and
// producer (kafka::Consumer, kafka::Producer). Thin: they forward, and add only what the seam
// promises beyond the client (a listener set after construction, Recreate).
//
//   ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<Source> source, KafkaSource::Create(props));
//   ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<ProducerClient> producer,
//                             KafkaProducerClient::Create(props, {"out", "dlq"}));
#ifndef ONCEFLOW_RUNTIME_KAFKA_IO_H_
#define ONCEFLOW_RUNTIME_KAFKA_IO_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kafka/config.h"
#include "kafka/consumer.h"
#include "kafka/producer.h"
#include "runtime/io.h"

namespace onceflow::runtime {

class KafkaSource final : public Source, private kafka::RebalanceListener {
 public:
  // `props`: the consumer's librdkafka properties, complete (group.id, isolation.level...).
  // `on_statistics`: see kafka::Consumer::Create.
  static absl::StatusOr<std::unique_ptr<KafkaSource>> Create(
      const kafka::Properties& props, kafka::StatisticsHandler on_statistics = {});

  void SetListener(kafka::RebalanceListener* listener) override { listener_ = listener; }
  absl::Status Subscribe(const std::vector<std::string>& topics) override {
    return consumer_->Subscribe(topics);
  }
  absl::StatusOr<std::vector<std::string>> ListTopics(milliseconds timeout) override {
    return consumer_->ListTopics(timeout);
  }
  absl::StatusOr<std::optional<kafka::ConsumedMessage>> Poll(milliseconds timeout) override {
    return consumer_->Poll(timeout);
  }
  absl::StatusOr<std::vector<TopicPartitionOffset>> Positions(
      const std::vector<TopicPartition>& partitions) override {
    return consumer_->Positions(partitions);
  }
  absl::Status Seek(const TopicPartitionOffset& position, milliseconds timeout) override {
    return consumer_->Seek(position, timeout);
  }
  absl::StatusOr<std::vector<TopicPartitionOffset>> Committed(
      const std::vector<TopicPartition>& partitions, milliseconds timeout) override {
    return consumer_->Committed(partitions, timeout);
  }
  absl::Status Commit(const std::vector<TopicPartitionOffset>& positions, bool async) override {
    return async ? consumer_->CommitAsync(positions) : consumer_->CommitSync(positions);
  }
  bool AssignmentLost() override { return consumer_->AssignmentLost(); }
  absl::Status Pause(const std::vector<TopicPartition>& partitions) override {
    return consumer_->Pause(partitions);
  }
  absl::Status Resume(const std::vector<TopicPartition>& partitions) override {
    return consumer_->Resume(partitions);
  }
  std::optional<Offset> CachedEndOffset(const TopicPartition& tp) override;
  kafka::GroupMetadata GroupMetadata() override { return consumer_->GroupMetadata(); }
  absl::Status Close() override { return consumer_->Close(); }

 private:
  std::vector<TopicPartition> OnAssigned(const std::vector<TopicPartition>& partitions) override {
    if (listener_ == nullptr) return {};
    return listener_->OnAssigned(partitions);
  }
  void OnRevoked(const std::vector<TopicPartition>& partitions) override {
    if (listener_ != nullptr) listener_->OnRevoked(partitions);
  }
  void OnLost(const std::vector<TopicPartition>& partitions) override {
    if (listener_ != nullptr) listener_->OnLost(partitions);
  }

  kafka::RebalanceListener* listener_ = nullptr;
  std::unique_ptr<kafka::Consumer> consumer_;
};

class KafkaProducerClient final : public ProducerClient {
 public:
  // `props`: the producer's librdkafka properties, complete. `topics`: learned before the first
  // record (at init_transactions, or the first produce) and again after every Recreate, so the
  // first record to each is sent at once (Producer::PrepareTopics); best effort. Creating the
  // client talks to no broker. `on_statistics`: see kafka::Producer::Create; kept for the
  // producers Recreate makes.
  static absl::StatusOr<std::unique_ptr<KafkaProducerClient>> Create(
      kafka::Properties props, std::vector<std::string> topics,
      kafka::StatisticsHandler on_statistics = {});

  struct PrivateTag {};
  KafkaProducerClient(PrivateTag, kafka::Properties props, std::vector<std::string> topics,
                      kafka::StatisticsHandler on_statistics)
      : props_(std::move(props)),
        topics_(std::move(topics)),
        on_statistics_(std::move(on_statistics)) {}

  void SetDeliveryHandler(DeliveryHandler handler) override { on_delivery_ = std::move(handler); }
  absl::Status Produce(const kafka::OutMessage& message, milliseconds queue_full_timeout) override {
    if (!prepared_) Prepare();
    return producer_->Produce(message, queue_full_timeout);
  }
  void Poll() override { producer_->Poll(milliseconds(0)); }
  absl::Status Flush(milliseconds timeout) override { return producer_->Flush(timeout); }
  absl::Status InitTransactions(milliseconds timeout) override {
    if (!prepared_) Prepare();
    return producer_->InitTransactions(timeout);
  }
  absl::Status BeginTransaction() override { return producer_->BeginTransaction(); }
  absl::Status SendOffsetsToTransaction(const std::vector<TopicPartitionOffset>& positions,
                                        const kafka::GroupMetadata& group,
                                        milliseconds timeout) override {
    return producer_->SendOffsetsToTransaction(positions, group, timeout);
  }
  absl::Status CommitTransaction(milliseconds timeout) override {
    return producer_->CommitTransaction(timeout);
  }
  absl::Status AbortTransaction(milliseconds timeout) override {
    return producer_->AbortTransaction(timeout);
  }
  absl::Status FatalError() override { return producer_->FatalError(); }
  absl::Status Recreate() override;

 private:
  absl::Status Make();
  void Prepare();

  const kafka::Properties props_;
  const std::vector<std::string> topics_;
  const kafka::StatisticsHandler on_statistics_;
  DeliveryHandler on_delivery_;
  std::unique_ptr<kafka::Producer> producer_;
  bool prepared_ = false;
};

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_KAFKA_IO_H_
