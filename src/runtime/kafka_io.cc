#include "runtime/kafka_io.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "onceflow/status_macros.h"
#include "runtime/log.h"

namespace onceflow::runtime {

absl::StatusOr<std::unique_ptr<KafkaSource>> KafkaSource::Create(
    const kafka::Properties& props, kafka::StatisticsHandler on_statistics) {
  auto source = std::make_unique<KafkaSource>();
  ONCEFLOW_ASSIGN_OR_RETURN(source->consumer_,
                            kafka::Consumer::Create(props, source.get(), std::move(on_statistics)));
  return source;
}

std::optional<Offset> KafkaSource::CachedEndOffset(const TopicPartition& tp) {
  std::optional<std::pair<Offset, Offset>> w = consumer_->CachedWatermarks(tp);
  if (!w.has_value()) return std::nullopt;
  return w->second;
}

absl::StatusOr<std::unique_ptr<KafkaProducerClient>> KafkaProducerClient::Create(
    kafka::Properties props, std::vector<std::string> topics,
    kafka::StatisticsHandler on_statistics) {
  auto client = std::make_unique<KafkaProducerClient>(PrivateTag{}, std::move(props),
                                                      std::move(topics), std::move(on_statistics));
  ONCEFLOW_RETURN_IF_ERROR(client->Make());
  return client;
}

absl::Status KafkaProducerClient::Make() {
  auto delivered = [this](const kafka::DeliveryReport& report) {
    if (on_delivery_) on_delivery_(report);
  };
  ONCEFLOW_ASSIGN_OR_RETURN(producer_, kafka::Producer::Create(props_, delivered, on_statistics_));
  prepared_ = false;
  return absl::OkStatus();
}

void KafkaProducerClient::Prepare() {
  prepared_ = true;
  if (absl::Status st = producer_->PrepareTopics(topics_, std::chrono::seconds(10)); !st.ok()) {
    // The first records to these topics wait for their metadata instead.
    Log(LogLevel::kWarn, absl::StrCat("learning the output topics' leaders: ", st.message()));
  }
}

absl::Status KafkaProducerClient::Recreate() {
  producer_.reset();
  return Make();
}

}  // namespace onceflow::runtime
