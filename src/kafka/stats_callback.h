// librdkafka's statistics: turning the JSON its clients emit every `statistics.interval.ms`
// into the few figures onceflow exports (onceflow/kafka_statistics.h), and handing them to
// whoever asked for them. Consumer::Create and Producer::Create take a StatisticsHandler and
// register librdkafka's stats_cb when the properties enable statistics.
//
//   kafka::StatisticsHandler keep = [&](KafkaClientStatistics s) { ... };  // under a mutex
//   ONCEFLOW_ASSIGN_OR_RETURN(auto consumer, kafka::Consumer::Create(props, nullptr, keep));
//
// The document is librdkafka's STATISTICS.md; onceflow reads `type`, `brokers.*.rtt`
// (microseconds), and the queue: a producer's `msg_cnt` and `msg_size`, a consumer's
// `topics.*.partitions.*.fetchq_cnt` and `fetchq_size` summed (its `msg_cnt` counts producer
// queues only, so it is always 0). It is parsed with protobuf's JSON reader into a
// google.protobuf.Struct (numbers as doubles: exact up to 2^53); see docs/choices.md.
#ifndef ONCEFLOW_KAFKA_STATS_CALLBACK_H_
#define ONCEFLOW_KAFKA_STATS_CALLBACK_H_

#include <cstddef>
#include <functional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kafka/config.h"
#include "onceflow/kafka_statistics.h"

namespace onceflow::kafka {

// Called with each statistics emission of a client, on the thread that serves its callbacks
// (inside the consumer's Poll, the producer's polling calls). Keep it short: copy the figures
// under a mutex.
using StatisticsHandler = std::function<void(KafkaClientStatistics)>;

// Whether `props` ask for statistics: statistics.interval.ms set to more than 0.
bool StatisticsEnabled(const Properties& props);

// The figures of one statistics document. kInvalidArgument when `json` is not a JSON object.
// Fields missing from the document are left at their defaults.
absl::StatusOr<KafkaClientStatistics> ParseStatistics(absl::string_view json);

// The body of a client's stats_cb: parses `json` and calls `handler` (if set). Never throws;
// a document that cannot be parsed is dropped (and logged once per process). librdkafka
// frees `json` after the callback returns 0.
void DeliverStatistics(const char* json, size_t size, const StatisticsHandler& handler) noexcept;

}  // namespace onceflow::kafka

#endif  // ONCEFLOW_KAFKA_STATS_CALLBACK_H_
