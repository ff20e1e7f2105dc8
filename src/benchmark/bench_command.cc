// `onceflow bench`: runs the Runner, prints the table and writes the JSON and chart. The flags
// are parsed by the CLI (src/sidecar/main.cc) into BenchFlags. Exit codes: 0 ok, 1 a run or the
// broker failed, 2 usage error.
#include "benchmark/bench_command.h"
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "kafka/config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "benchmark/report.h"
#include "benchmark/runner.h"
#include "benchmark/systems.h"
#include "runtime/log.h"
#include "sidecar/command_output.h"
#include "sidecar/exit_codes.h"
#include "base/json_string.h"

namespace onceflow::benchmark {
namespace {

using sidecar::kExitFailure;
using sidecar::kExitOk;

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

std::string JsonList(const std::vector<int>& v) {
  return absl::StrCat("[", absl::StrJoin(v, ", "), "]");
}

std::string JsonString(absl::string_view s) {
  std::string out;
  base::AppendJsonString(s, out);
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
      ", \"dup_share\": ", o.dup_share,
      ", \"warmup\": \"one full run per system, discarded\"",
      ", \"latency\": ", o.latency ? "true" : "false",
      ", \"latency_rates\": [", absl::StrJoin(o.rates, ", "), "]",
      ", \"rate_fraction\": ", o.rates.empty() ? absl::StrCat(o.rate_fraction) : "null",
      ", \"input_topic\": ", o.input_topic.empty() ? "null" : JsonString(o.input_topic),
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

int Usage(const std::string& why) { return sidecar::UsageError("bench", why); }

bool IsStreamsSystem(const std::string& name) { return absl::StartsWith(name, "kafka-streams"); }

}  // namespace

const char kBenchDescription[] =
    R"text(Throughput and latency of a plain librdkafka loop (the ceiling), onceflow (at-least-once,
exactly-once, exactly-once with dedupe) and Kafka Streams (exactly_once_v2, at_least_once), side
by side on the same broker and the same preloaded input. For each configuration: a warm-up run
per system (discarded), then --repeat measured runs (median, min-max), then latency runs at
each of --rates (every system at the same input rates; a run where the paced producer could not
keep the rate is marked). --input-topic runs on an existing topic, to check a figure against the
same system run on its own. See docs/benchmarks.md.)text";

const char kBenchFooter[] =
    R"text(Client properties (-X, --command-config) go to the onceflow side: raw, onceflow-*, the
preload, the latency producer and reader, --verify. The Java side (kafka-streams-*, the
calibration) takes only the bootstrap servers: with other client properties, kafka-streams-*
are left out and calibration is off unless asked for, and asking for them is an error.

Exit codes: 0 ok, 1 a run or the broker failed, 2 usage error.)text";

const std::vector<std::string>& DefaultSystems() {
  static const std::vector<std::string> systems = {"raw",
                                                   "onceflow-alos",
                                                   "onceflow-eos",
                                                   "onceflow-eos-dedupe",
                                                   "kafka-streams-eos",
                                                   "kafka-streams-alos"};
  return systems;
}

int RunBench(BenchFlags flags) {
  BenchOptions& o = flags.options;
  absl::StatusOr<kafka::Properties> client = sidecar::ResolveClientProperties(flags.client);
  if (!client.ok()) return Usage(std::string(client.status().message()));
  o.client = *client;
  o.bootstrap = client->at("bootstrap.servers");
  // Properties beyond the bootstrap servers mean a cluster the Java side cannot reach as is.
  const bool java_cannot_follow = client->size() > 1;
  if (!flags.linger.empty()) {
    o.linger_ms.clear();
    for (const std::string& part : flags.linger) {
      int v = -1;
      if (part != "default" && (!absl::SimpleAtoi(part, &v) || v < 0)) {
        return Usage(absl::StrCat("bad value for --linger-ms: '", part, "'"));
      }
      o.linger_ms.push_back(v);
    }
  }
  const std::string repo = flags.repo;
  const bool systems_given = flags.systems_given;
  const std::string json_path = flags.json;
  const std::string chart_path = flags.chart;
  if (java_cannot_follow) {
    if (flags.calibrate_given && o.calibrate) {
      return Usage(
          "--calibrate runs Kafka's Java perf tools, which take only the bootstrap servers, not "
          "the -X/--command-config properties; leave it out (or --no-calibrate)");
    }
    if (!flags.calibrate_given) o.calibrate = false;
  }
  o.repo = repo.empty() ? DefaultRepo() : repo;
  const std::vector<std::string>& known = KnownSystems();
  if (!systems_given) {
    o.systems = DefaultSystems();
    // By default, Kafka Streams is compared when it can be: without java or its jar (and
    // Maven to build it) the run goes on without it.
    if (java_cannot_follow) {
      std::cerr << "onceflow bench: leaving out kafka-streams-*: they take only the bootstrap "
                   "servers, not the -X/--command-config properties\n";
      o.systems.resize(4);
    } else if (absl::StatusOr<std::string> jar = EnsureStreamsPeerJar(o.repo, ""); !jar.ok()) {
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
    if (java_cannot_follow && IsStreamsSystem(s)) {
      return Usage(absl::StrCat("system '", s,
                                "' runs Kafka's Java client, which takes only the bootstrap "
                                "servers, not the -X/--command-config properties"));
    }
  }
  if (o.systems.empty()) return Usage("--systems is empty");
  if (!o.input_topic.empty() && (o.sizes.size() > 1 || o.partitions.size() > 1)) {
    return Usage("--input-topic runs on one topic: give at most one --size and --partitions");
  }
  if (o.calibrate && !IsFile(o.repo + "/scripts/kafka")) {
    return Usage(absl::StrCat("calibration needs scripts/kafka; ", o.repo,
                              " is not an onceflow checkout: pass --repo DIR or --no-calibrate"));
  }
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
      exit_code = sidecar::Failure("bench", st);
      if (exit_code == sidecar::kExitUsage) exit_code = kExitFailure;
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
