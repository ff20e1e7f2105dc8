// The fixed-rate latency run of `onceflow bench`: while a system runs (RunSpec::stop set), a
// paced producer writes records that carry their send time, and a read_committed consumer of
// the output takes now - send time for each one.
//
//   LatencySpec spec{.bootstrap = b, .input_topic = in, .output_topic = out,
//                    .partitions = 6, .size = 1024, .rate = 20000, .seconds = 10};
//   ONCEFLOW_ASSIGN_OR_RETURN(LatencyResult r, MeasureLatency(spec, *system, run_spec));
#ifndef ONCEFLOW_BENCHMARK_LATENCY_H_
#define ONCEFLOW_BENCHMARK_LATENCY_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmark/systems.h"

namespace onceflow::benchmark {

struct LatencySpec {
  // librdkafka properties of the producer and the reader, with bootstrap.servers.
  kafka::Properties client;
  std::string input_topic;   // exists, empty
  std::string output_topic;  // exists, empty
  int partitions = 1;
  int size = 1024;      // value bytes (at least 16: send time and kind)
  double rate = 1000;   // records per second
  double seconds = 10;  // of paced production
};

struct LatencyResult {
  int64_t samples = 0;    // measured records read back (== sent, or the run failed)
  double target_rate = 0;  // records per second asked of the paced producer
  // Records per second the paced producer achieved: sent and acknowledged by the broker, from
  // the first paced record to the last acknowledgement.
  double rate = 0;
  // The producer kept to the target: its sends kept at least 95 % of the pace, and the last
  // acknowledgement came within 5 % of the run (+ 200 ms) after the last send (no queue built
  // up in the client). When not, the broker (or this machine) could not take the input at
  // that rate while serving the system, and the latencies measure its queue, not the system:
  // the table marks the row.
  bool rate_kept = false;
  double p50_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
  // The input leg alone (send -> readable from the input topic by a consumer like the
  // output's reader), measured in the same run: the broker's and the client's share.
  double input_p50_ms = std::numeric_limits<double>::quiet_NaN();
  double input_p99_ms = std::numeric_limits<double>::quiet_NaN();
  // The system's own p99 commit duration during the run (see RunOutcome); NaN if unknown.
  double commit_p99_ms = std::numeric_limits<double>::quiet_NaN();
  // The system's commits (eos: transactions; alos: offset commits) per second during the run;
  // NaN if unknown.
  double commits_per_sec = std::numeric_limits<double>::quiet_NaN();
};

// The fraction of the target rate a paced producer must reach for its run to count as kept.
inline constexpr double kRateKept = 0.95;

// Runs `system` with `run` (whose input/output topics must be the spec's, and whose stop
// pointer this sets) until every paced record has been read back from the output, or a
// deadline passes (kDeadlineExceeded). Before the paced records, probe records (not measured)
// are sent until one from every input partition is read back, so group join, assignment and
// start-up are not measured.
absl::StatusOr<LatencyResult> MeasureLatency(const LatencySpec& spec, System& system, RunSpec run);

// The nearest-rank percentile `q` (0..1) of `sorted` (ascending, non-empty).
double Percentile(const std::vector<double>& sorted, double q);

}  // namespace onceflow::benchmark

#endif  // ONCEFLOW_BENCHMARK_LATENCY_H_
