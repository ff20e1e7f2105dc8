// `onceflow bench`: its flags (parsed by the CLI in src/sidecar/main.cc) and the command itself:
// runs the Runner, prints the table, writes the JSON and the chart. See `onceflow bench --help`
// and docs/benchmarks.md.
//
//   BenchFlags flags;
//   flags.options.systems = {"raw", "onceflow-eos"};
//   flags.systems_given = true;
//   return RunBench(flags);   // 0 ok, 1 a run or the broker failed, 2 usage error
#ifndef ONCEFLOW_BENCHMARK_BENCH_COMMAND_H_
#define ONCEFLOW_BENCHMARK_BENCH_COMMAND_H_

#include <string>

#include "benchmark/runner.h"
#include "sidecar/client_properties.h"

namespace onceflow::benchmark {

// The command's description, for `onceflow bench --help`.
extern const char kBenchDescription[];
extern const char kBenchFooter[];

// The systems compared when --systems is not given (the Kafka Streams ones only when java and
// the peer's jar can be had).
const std::vector<std::string>& DefaultSystems();

struct BenchFlags {
  // What to run; options.client, options.bootstrap and options.repo are filled by RunBench.
  BenchOptions options;
  sidecar::ClientFlags client;
  // --systems was given (else DefaultSystems()).
  bool systems_given = false;
  // --calibrate / --no-calibrate was given (else on, unless client properties are given).
  bool calibrate_given = false;
  // --linger-ms as given ("default" or a number, each).
  std::vector<std::string> linger;
  std::string json;
  std::string chart;
  std::string repo;
};

int RunBench(BenchFlags flags);

}  // namespace onceflow::benchmark

#endif  // ONCEFLOW_BENCHMARK_BENCH_COMMAND_H_
