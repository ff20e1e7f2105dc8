// The bench itself: preloads inputs, runs every selected system over every configuration
// (warm-up, measured repetitions, latency run), optionally calibrates, and collects rows.
// Every topic it creates is deleted again, also when a run fails.
//
//   BenchOptions options;  // from the command line
//   Runner runner(options);
//   absl::StatusOr<std::vector<ResultRow>> rows = runner.Run();
#ifndef ONCEFLOW_BENCHMARK_RUNNER_H_
#define ONCEFLOW_BENCHMARK_RUNNER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmark/report.h"
#include "benchmark/systems.h"
#include "kafka/admin.h"
#include "sidecar/progress.h"

namespace onceflow::benchmark {

struct BenchOptions {
  std::string bootstrap = "127.0.0.1:19092";
  // librdkafka properties (-X, --command-config) of the onceflow-side clients, with
  // bootstrap.servers; empty = {bootstrap.servers: bootstrap}.
  kafka::Properties client;
  std::string repo;  // resolved by the command
  std::vector<std::string> systems;
  int64_t records = 50000;
  std::vector<int> sizes = {1024};
  std::vector<int> partitions = {6};
  std::vector<int> threads = {1};
  std::vector<int> commit_intervals_ms = {100};
  std::vector<int> linger_ms = {-1};  // -1: each system's own default
  int repeat = 3;
  // Share of the preloaded records whose key repeats an earlier record's (of the same
  // partition), chosen by a fixed seed: duplicates for the dedupe systems. 0: every key new.
  double dup_share = 0;
  bool latency = true;
  // Latency runs at these fixed input rates (records/s), every system at each, so systems are
  // compared at the same load; empty: one run at rate_fraction of each system's own measured
  // median instead.
  std::vector<double> rates = {1000, 10000, 30000};
  double rate_fraction = 0.5;
  double latency_seconds = 10;
  bool calibrate = true;
  bool verify = false;  // read every output back under read_committed and count it
  // sync(2) before each run, so the kernel's write-back of earlier runs' data does not fall
  // inside a measured one (see Runner::SettleDisk).
  bool sync_before_runs = true;
  // Run on this existing topic (not preloaded, not deleted) instead of a preloaded one: its
  // partition count and record count replace --partitions and --records. For checking a
  // system's figure against the same system run on its own on the same topic.
  std::string input_topic;
  sidecar::ProgressMode progress = sidecar::ProgressMode::kAuto;
};

class Runner {
 public:
  explicit Runner(BenchOptions options) : options_(std::move(options)) {}
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Runs everything. On error, the rows measured so far stay in rows().
  absl::Status Run();
  const std::vector<ResultRow>& rows() const { return rows_; }
  // Part of every topic and group name this run creates: "onceflow-bench-<run_id>-...".
  const std::string& run_id() const { return run_id_; }

  // Asks the runner to stop after the current run (then clean up); safe from a signal
  // handler.
  static void Interrupt();

 private:
  absl::Status RunSizeAndPartitions(int size, int partitions);
  absl::Status RunBlock(const BlockConfig& block, const std::string& input);
  absl::StatusOr<RunFigures> ThroughputRun(System& system, const BlockConfig& block,
                                           const std::string& input);
  absl::StatusOr<LatencyResult> LatencyRun(System& system, const BlockConfig& block, double rate);
  absl::Status Preload(const std::string& topic, const BlockConfig& block);
  // sync(2) before a run (options_.sync_before_runs): the page cache's dirty data of earlier
  // runs is written back now, not during the run.
  void SettleDisk() const;
  // An existing input topic's partition count and records (high - low watermarks).
  absl::StatusOr<std::pair<int, int64_t>> DescribeInput(const std::string& topic);
  absl::StatusOr<int64_t> CountOutput(const std::string& topic, int partitions);
  // A new topic name of this bench run; `CreateTopic` creates it and remembers it for
  // deletion.
  std::string NewTopicName(absl::string_view what);
  absl::Status CreateTopic(const std::string& name, int partitions);
  void DeleteTopics(std::vector<std::string> names);
  std::string NewAppId(absl::string_view system);
  // A line of progress (a note above the status line).
  void Progress(const std::string& line) const;
  // One more run (warm-up, measured, latency, calibration) is done.
  void RunDone(const std::string& what);
  // How many runs Run() will make (an upper bound: reused Kafka Streams rows are not rerun).
  int64_t PlannedRuns() const;

  BenchOptions options_;
  Environment env_;
  std::string run_id_;
  std::unique_ptr<kafka::Admin> admin_;
  std::unique_ptr<sidecar::Progress> progress_;
  int64_t runs_done_ = 0;
  std::vector<std::string> live_topics_;  // created and not yet deleted
  int counter_ = 0;
  std::vector<ResultRow> rows_;
  // Kafka Streams cannot change its linger.ms (it forces 100): its rows are measured in the
  // first linger block and reused in the others, keyed by (threads, commit interval, size,
  // partitions).
  std::vector<ResultRow> streams_cache_;
};

}  // namespace onceflow::benchmark

#endif  // ONCEFLOW_BENCHMARK_RUNNER_H_
