// ClientStatistics: the latest librdkafka statistics of a processor's Kafka clients (one entry
// per client kind, "consumer" and "producer"), written from their statistics callbacks and read
// by Pipeline::metrics(). The factory makes one only when statistics.interval.ms > 0.
//
//   auto board = std::make_shared<ClientStatistics>();
//   kafka::Consumer::Create(props, listener, board->Handler());
//   std::vector<KafkaClientStatistics> now = board->Snapshot();
//
// Thread-safety: every method is safe from any thread (one mutex, held only to copy).
#ifndef ONCEFLOW_RUNTIME_CLIENT_STATISTICS_H_
#define ONCEFLOW_RUNTIME_CLIENT_STATISTICS_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/base/thread_annotations.h"
#include "kafka/stats_callback.h"
#include "onceflow/kafka_statistics.h"

namespace onceflow::runtime {

class ClientStatistics : public std::enable_shared_from_this<ClientStatistics> {
 public:
  // A handler that keeps each emission in this board (it holds the board alive).
  kafka::StatisticsHandler Handler();
  // Replaces the figures of `figures.client`.
  void Set(KafkaClientStatistics figures);
  // The latest figures of every client, ordered by client kind.
  std::vector<KafkaClientStatistics> Snapshot() const;

 private:
  mutable std::mutex mu_;  // not absl::Mutex: see docs/choices.md (ThreadSanitizer)
  std::map<std::string, KafkaClientStatistics> by_client_ ABSL_GUARDED_BY(mu_);
};

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_CLIENT_STATISTICS_H_
