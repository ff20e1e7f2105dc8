// Results of `onceflow bench` and their three renderings: the table on stdout, the JSON file
// (--json) and the PNG chart (--chart, via gnuplot).
//
//   std::vector<ResultRow> rows = ...;
//   PrintTable(rows, std::cout);
//   ONCEFLOW_RETURN_IF_ERROR(WriteJson(config_json, rows, "bench.json"));
#ifndef ONCEFLOW_BENCHMARK_REPORT_H_
#define ONCEFLOW_BENCHMARK_REPORT_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "benchmark/latency.h"

namespace onceflow::benchmark {

// One configuration block: every row with equal keys was measured in the same block.
struct BlockConfig {
  int64_t records = 0;
  int size = 0;
  int partitions = 0;
  int threads = 1;
  int commit_interval_ms = 100;
  int linger_ms = -1;  // -1: each system's own default
  bool operator==(const BlockConfig& o) const {
    return records == o.records && size == o.size && partitions == o.partitions &&
           threads == o.threads && commit_interval_ms == o.commit_interval_ms &&
           linger_ms == o.linger_ms;
  }
  std::string Describe() const;
};

// One measured run.
struct RunFigures {
  int64_t records = 0;
  double seconds = 0;
  double cpu_seconds = -1;      // < 0 unknown
  int64_t output_records = -1;  // read back under read_committed (--verify); -1 not read
  int64_t transactions = -1;  // commits: eos transactions, alos offset commits; -1 n/a
  double commit_p99_ms = std::numeric_limits<double>::quiet_NaN();  // see RunOutcome
  double commit_share = std::numeric_limits<double>::quiet_NaN();   // see RunOutcome
  double records_per_sec() const {
    return seconds > 0 ? static_cast<double>(records) / seconds : 0;
  }
};

struct ResultRow {
  std::string system;        // "raw", ..., or "calibration-producer" etc.
  bool calibration = false;  // a broker-alone row from Kafka's perf tools
  BlockConfig config;
  std::vector<RunFigures> runs;  // measured runs (warm-up excluded)
  // Latency runs: one per --rates entry (ascending), or one at --rate-fraction.
  std::vector<LatencyResult> latencies;
  std::string note;  // anything a reader must know (e.g. "linger.ms=100 forced by Streams")

  // Medians over `runs` (each figure's own median); NaN when unknown.
  int64_t records() const;
  int64_t bytes() const { return records() * config.size; }
  double records_per_sec() const;
  double records_per_sec_min() const;
  double records_per_sec_max() const;
  double mb_per_sec() const { return records_per_sec() * config.size / 1e6; }
  double cpu_sec_per_million() const;
  double records_per_cpu_sec() const;
  int64_t output_records() const;  // of the median run; -1 unknown
  int64_t transactions() const;    // of the median run; -1 n/a
  double commits_per_sec() const;  // median over the runs; NaN n/a
  // The single latency run at --rate-fraction, or null (none, or runs at --rates).
  const LatencyResult* fraction_latency() const {
    return latencies.size() == 1 && fraction_mode ? &latencies.front() : nullptr;
  }
  bool fraction_mode = false;  // latencies holds the --rate-fraction run
  double commit_p99_ms() const;    // median over the runs; NaN unknown
  double commit_share() const;     // median over the runs; NaN unknown
};

// The table: one block per configuration, ratios to `raw` and `kafka-streams-eos` of the same
// block where those were measured.
void PrintTable(const std::vector<ResultRow>& rows, std::ostream& out);

// {"config": <config_json>, "results": [...]}; unknown numbers are null.
absl::Status WriteJson(const std::string& config_json, const std::vector<ResultRow>& rows,
                       const std::string& path);

// A PNG with gnuplot: throughput (median with min-max bars) and latency (p50/p99/p99.9, log
// scale) per system. The data and script are written beside it (FILE.dat, FILE.gp), so the
// chart can be re-rendered; kFailedPrecondition when gnuplot is not installed.
absl::Status WriteChart(const std::vector<ResultRow>& rows, const std::string& path,
                        const std::string& title);

}  // namespace onceflow::benchmark

#endif  // ONCEFLOW_BENCHMARK_REPORT_H_
