#include "runtime/client_statistics.h"

#include <utility>

namespace onceflow::runtime {

kafka::StatisticsHandler ClientStatistics::Handler() {
  return
      [self = shared_from_this()](KafkaClientStatistics figures) { self->Set(std::move(figures)); };
}

void ClientStatistics::Set(KafkaClientStatistics figures) {
  const std::lock_guard<std::mutex> lock(mu_);
  std::string client = figures.client;
  by_client_[std::move(client)] = std::move(figures);
}

std::vector<KafkaClientStatistics> ClientStatistics::Snapshot() const {
  std::vector<KafkaClientStatistics> out;
  const std::lock_guard<std::mutex> lock(mu_);
  out.reserve(by_client_.size());
  for (const auto& [client, figures] : by_client_) out.push_back(figures);
  return out;
}

}  // namespace onceflow::runtime
