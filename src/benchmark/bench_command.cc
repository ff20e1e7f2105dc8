// `onceflow bench`: parses the command line, runs the Runner, prints the table and writes the
// JSON and chart. Exit codes: 0 ok, 1 a run or the broker failed, 2 usage error.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "kafka/config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "benchmark/report.h"
#include "benchmark/runner.h"
#include "benchmark/systems.h"
#include "runtime/log.h"
#include "sidecar/commands.h"
#include "state/dedupe.h"

namespace onceflow::benchmark {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

constexpr char kUsage[] = R"(Usage: onceflow bench [options]

Throughput and latency of a plain librdkafka loop (the ceiling), onceflow (at-least-once,
exactly-once, exactly-once with dedupe) and Kafka Streams (exactly_once_v2, at_least_once), side
by side on the same broker and the same preloaded input. For each configuration: a warm-up run
per system (discarded), then --repeat measured runs (median, min-max), then a latency run at
--rate-fraction of each system's measured median. See docs/benchmarks.md.

Options:
  --bootstrap HOST:PORT     broker (default $ONCEFLOW_BOOTSTRAP, else 127.0.0.1:19092)
  --systems a,b,...         of: raw, onceflow-alos, onceflow-eos, onceflow-eos-dedupe,
                            kafka-streams-eos, kafka-streams-alos, kafka-streams-eos-dedupe
                            (default: the first six; Streams ones are dropped with a warning
                            when java or the peer cannot be had)
  --records N               input records per configuration (default 50000)
  --size B[,B...]           value bytes (default 1024)
  --partitions P[,P...]     input (and output) partitions (default 6)
  --threads T[,T...]        processing threads per system (default 1)
  --commit-interval MS[,MS...]
                            commit interval, every system (default 100)
  --linger-ms L[,L...]      producer linger.ms of raw and onceflow; "default" = their own
                            (5 ms); Kafka Streams always uses 100 (default: default)
  --repeat R                measured runs per system and configuration (default 3)
  --rate-fraction F         latency run rate, a fraction of the measured max (default 0.5)
  --latency-seconds S       paced production time of each latency run (default 10)
  --no-latency              skip the latency runs
  --calibrate / --no-calibrate
                            measure the broker alone with Kafka's ProducerPerformance (plain,
                            transactional) and ConsumerPerformance (default: on)
  --verify                  read every output back under read_committed and report the count
  --json FILE               write {"config": {...}, "results": [...]}
  --chart FILE.png          draw throughput and latency with gnuplot
  --repo DIR                the onceflow checkout (bench/peers, scripts/kafka); default: the
                            working directory if it holds scripts/kafka, else the checkout this
                            binary was built in
  --help                    this text

Exit codes: 0 ok, 1 a run or the broker failed, 2 usage error.
)";

const std::vector<std::string> kDefaultSystems = {"raw",
                                                  "onceflow-alos",
                                                  "onceflow-eos",
                                                  "onceflow-eos-dedupe",
                                                  "kafka-streams-eos",
                                                  "kafka-streams-alos"};

bool IsFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The checkout: cwd when it holds scripts/kafka, else /proc/self/exe's dir/../../.. (the
// binary lives at <repo>/build/<preset>/src/onceflow).
std::string DefaultRepo() {
  if (IsFile("scripts/kafka")) {
    char buf[4096];
    if (getcwd(buf, sizeof(buf)) != nullptr) return buf;
  }
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    exe[n] = '\0';
    std::string dir(exe);
    dir = dir.substr(0, dir.rfind('/'));
    const std::string repo = absl::StrCat(dir, "/../../..");
    char real[4096];
    if (IsFile(repo + "/scripts/kafka") && realpath(repo.c_str(), real) != nullptr) return real;
  }
  return ".";
}

template <typename T>
bool ParseList(const std::string& value, std::vector<T>& out, T min_value) {
  out.clear();
  for (absl::string_view part : absl::StrSplit(value, ',')) {
    T v{};
    if (!absl::SimpleAtoi(part, &v) || v < min_value) return false;
    out.push_back(v);
  }
  return !out.empty();
}

std::string JsonList(const std::vector<int>& v) {
  return absl::StrCat("[", absl::StrJoin(v, ", "), "]");
}

std::string JsonString(absl::string_view s) {
  std::string out;
  state::AppendJsonString(s, out);
  return out;
}

std::string ConfigJson(const BenchOptions& o, const std::string& run_id) {
  std::vector<std::string> systems;
  for (const std::string& s : o.systems) systems.push_back(JsonString(s));
  std::vector<std::string> linger;
  for (int l : o.linger_ms) linger.push_back(l < 0 ? "null" : absl::StrCat(l));
  return absl::StrCat(
      "{\"run_id\": ", JsonString(run_id), ", \"bootstrap\": ", JsonString(o.bootstrap),
      ", \"systems\": [", absl::StrJoin(systems, ", "), "], \"records\": ", o.records,
      ", \"sizes\": ", JsonList(o.sizes), ", \"partitions\": ", JsonList(o.partitions),
      ", \"threads\": ", JsonList(o.threads),
      ", \"commit_intervals_ms\": ", JsonList(o.commit_intervals_ms), ", \"linger_ms\": [",
      absl::StrJoin(linger, ", "), "], \"repeat\": ", o.repeat,
      ", \"warmup\": \"one full run per system, discarded\"",
      ", \"latency\": ", o.latency ? "true" : "false", ", \"rate_fraction\": ", o.rate_fraction,
      ", \"latency_seconds\": ", o.latency_seconds,
      ", \"calibrate\": ", o.calibrate ? "true" : "false",
      ", \"verify\": ", o.verify ? "true" : "false",
      ", \"time_span\": \"first record processed -> last output committed (eos, alos, Streams) "
      "or acknowledged (raw)\"",
      ", \"librdkafka\": ", JsonString(kafka::LibrdkafkaVersion()),
      ", \"cpus\": ", sysconf(_SC_NPROCESSORS_ONLN), "}");
}

void OnSignal(int sig) {
  Runner::Interrupt();
  signal(sig, SIG_DFL);  // a second one ends the process at once
}

int Usage(const std::string& why) {
  std::cerr << "onceflow bench: " << why << "\nRun 'onceflow bench --help' for usage.\n";
  return kExitUsage;
}

}  // namespace

int RunBench(int argc, char** argv) {
  BenchOptions o;
  if (const char* env = std::getenv("ONCEFLOW_BOOTSTRAP"); env != nullptr && *env) {
    o.bootstrap = env;
  }
  std::string json_path, chart_path, repo;
  bool systems_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    std::string value;
    bool has_inline = false;
    if (const size_t eq = flag.find('='); absl::StartsWith(flag, "--") && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_inline = true;
    }
    auto take = [&]() -> bool {
      if (has_inline) return true;
      if (i + 1 >= argc) return false;
      value = argv[++i];
      return true;
    };
    bool ok = true;
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return kExitOk;
    } else if (flag == "--no-latency") {
      o.latency = false;
    } else if (flag == "--calibrate") {
      o.calibrate = true;
    } else if (flag == "--no-calibrate") {
      o.calibrate = false;
    } else if (flag == "--verify") {
      o.verify = true;
    } else if (!take()) {
      return Usage(absl::StrCat(
          flag.rfind("--", 0) == 0 ? "missing value for " : "unknown argument ", flag));
    } else if (flag == "--bootstrap") {
      o.bootstrap = value;
      ok = !value.empty();
    } else if (flag == "--repo") {
      repo = value;
    } else if (flag == "--systems") {
      o.systems = absl::StrSplit(value, ',', absl::SkipEmpty());
      systems_given = true;
    } else if (flag == "--records") {
      ok = absl::SimpleAtoi(value, &o.records) && o.records > 0;
    } else if (flag == "--size") {
      ok = ParseList(value, o.sizes, 16);
    } else if (flag == "--partitions") {
      ok = ParseList(value, o.partitions, 1);
    } else if (flag == "--threads") {
      ok = ParseList(value, o.threads, 1);
    } else if (flag == "--commit-interval") {
      ok = ParseList(value, o.commit_intervals_ms, 1);
    } else if (flag == "--linger-ms") {
      o.linger_ms.clear();
      for (absl::string_view part : absl::StrSplit(value, ',')) {
        int v = -1;
        if (part != "default" && (!absl::SimpleAtoi(part, &v) || v < 0)) ok = false;
        o.linger_ms.push_back(v);
      }
    } else if (flag == "--repeat") {
      ok = absl::SimpleAtoi(value, &o.repeat) && o.repeat >= 1;
    } else if (flag == "--rate-fraction") {
      ok = absl::SimpleAtod(value, &o.rate_fraction) && o.rate_fraction > 0 && o.rate_fraction <= 1;
    } else if (flag == "--latency-seconds") {
      ok = absl::SimpleAtod(value, &o.latency_seconds) && o.latency_seconds > 0;
    } else if (flag == "--json") {
      json_path = value;
    } else if (flag == "--chart") {
      chart_path = value;
    } else {
      return Usage(absl::StrCat("unknown flag ", flag));
    }
    if (!ok) return Usage(absl::StrCat("bad value for ", flag, ": '", value, "'"));
  }
  o.repo = repo.empty() ? DefaultRepo() : repo;
  const std::vector<std::string>& known = KnownSystems();
  if (!systems_given) {
    o.systems = kDefaultSystems;
    // By default, Kafka Streams is compared when it can be: without java or its jar (and
    // Maven to build it) the run goes on without it.
    if (absl::StatusOr<std::string> jar = EnsureStreamsPeerJar(o.repo); !jar.ok()) {
      std::cerr << "onceflow bench: warning: leaving out kafka-streams-*: "
                << jar.status().message() << "\n";
      o.systems.resize(4);
    }
  }
  std::set<std::string> seen;
  for (const std::string& s : o.systems) {
    if (std::find(known.begin(), known.end(), s) == known.end()) {
      return Usage(
          absl::StrCat("unknown system '", s, "' (known: ", absl::StrJoin(known, ", "), ")"));
    }
    if (!seen.insert(s).second) return Usage(absl::StrCat("system '", s, "' given twice"));
  }
  if (o.systems.empty()) return Usage("--systems is empty");
  if (o.calibrate && !IsFile(o.repo + "/scripts/kafka")) {
    return Usage(absl::StrCat("calibration needs scripts/kafka; ", o.repo,
                              " is not an onceflow checkout: pass --repo DIR or --no-calibrate"));
  }
  o.progress = isatty(STDERR_FILENO) != 0;
  // The Processors' start/stop lines would drown the progress; warnings still show.
  if (std::getenv("ONCEFLOW_LOG_LEVEL") == nullptr) runtime::SetLogLevel(runtime::LogLevel::kWarn);
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);

  int exit_code = kExitOk;
  std::vector<ResultRow> rows;
  std::string run_id;
  {
    Runner runner(o);
    if (absl::Status st = runner.Run(); !st.ok()) {
      std::cerr << "onceflow bench: " << st.message() << "\n";
      exit_code = kExitFailure;
    }
    rows = runner.rows();
    run_id = runner.run_id();
  }  // topics deleted, temp dir removed
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  if (rows.empty()) return exit_code;
  if (exit_code != kExitOk) std::cout << "(incomplete: the figures measured before the failure)\n";
  PrintTable(rows, std::cout);
  if (!json_path.empty()) {
    if (absl::Status st = WriteJson(ConfigJson(o, run_id), rows, json_path); !st.ok()) {
      std::cerr << "onceflow bench: " << st.message() << "\n";
      exit_code = kExitFailure;
    }
  }
  if (!chart_path.empty()) {
    const std::string title = absl::StrCat("onceflow bench: ", rows.front().config.Describe());
    if (absl::Status st = WriteChart(rows, chart_path, title); !st.ok()) {
      std::cerr << "onceflow bench: chart: " << st.message() << "\n";
      exit_code = kExitFailure;
    }
  }
  return exit_code;
}

}  // namespace onceflow::benchmark
