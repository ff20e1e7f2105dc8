// The figures onceflow takes from librdkafka's statistics (the JSON its clients emit every
// `statistics.interval.ms`), as ProcessorMetrics carries them and /metrics shows them
// (onceflow_kafka_*). Only what helps to operate a processor: broker round-trip times and the
// client's local queue. Not librdkafka's per-partition `consumer_lag`: it counts from the
// offsets the consumer committed or stored, and onceflow stores none and, under exactly-once,
// commits through the producer's transaction, so librdkafka's figure is -1 or stale there;
// ProcessorMetrics::lag is the lag (docs/sidecar.md#metrics-get-metrics).
//
//   for (const KafkaClientStatistics& c : processor->metrics().kafka) {
//     for (const KafkaBrokerStatistics& b : c.brokers) std::cout << b.rtt_p99_seconds;
//   }
#ifndef ONCEFLOW_KAFKA_STATISTICS_H_
#define ONCEFLOW_KAFKA_STATISTICS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace onceflow {

// One broker connection's request round-trip time over the last statistics interval.
struct KafkaBrokerStatistics {
  std::string name;  // librdkafka's broker name, e.g. "127.0.0.1:9092/1"
  double rtt_avg_seconds = 0;
  double rtt_p99_seconds = 0;
};

// One client's statistics, as of its last statistics callback.
struct KafkaClientStatistics {
  std::string client;  // "consumer" or "producer" (librdkafka's `type`)
  // Messages in the client's local queue and their size: a producer's `msg_cnt` and
  // `msg_size` (produced, not yet acknowledged); a consumer's fetch queues (`fetchq_cnt`,
  // `fetchq_size`: fetched, not yet polled), summed over its partitions.
  int64_t queue_messages = 0;
  int64_t queue_bytes = 0;
  // Brokers with at least one round trip in the interval (bootstrap and internal ones left out).
  std::vector<KafkaBrokerStatistics> brokers;
};

}  // namespace onceflow

#endif  // ONCEFLOW_KAFKA_STATISTICS_H_
