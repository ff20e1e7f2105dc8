// Calibration: the broker alone, measured with Kafka's own perf tools from the same Maven jars
// the broker runs (scripts/kafka tool ...), so every system's figure can be read against what
// the broker does with no processing at all.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(std::vector<ResultRow> rows, Calibrate(spec));
#ifndef ONCEFLOW_BENCHMARK_CALIBRATION_H_
#define ONCEFLOW_BENCHMARK_CALIBRATION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmark/report.h"

namespace onceflow::benchmark {

struct CalibrationSpec {
  std::string repo;      // scripts/kafka lives here
  std::string work_dir;  // logs
  std::string bootstrap;
  BlockConfig config;          // records, size, partitions, commit interval, linger
  std::string input_topic;     // preloaded with config.records records (ConsumerPerformance)
  std::string producer_topic;  // exists, empty, config.partitions partitions
  std::string txn_topic;       // exists, empty
  std::string txn_id;          // unique transactional.id
};

// Three rows: calibration-producer (ProducerPerformance, acks=all, idempotent by Kafka's
// default), calibration-producer-txn (the same with --transactional-id, a transaction every
// commit interval), calibration-consumer (ConsumerPerformance reading the preloaded input).
absl::StatusOr<std::vector<ResultRow>> Calibrate(const CalibrationSpec& spec);

}  // namespace onceflow::benchmark

#endif  // ONCEFLOW_BENCHMARK_CALIBRATION_H_
