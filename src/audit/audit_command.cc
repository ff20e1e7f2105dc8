// `onceflow audit`: flags, the broker-script checks, the runs, the table and --json.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "audit/report.h"
#include "audit/runner.h"
#include "sidecar/commands.h"

namespace onceflow::audit {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitBroken = 1;
constexpr int kExitUsage = 2;

constexpr char kHelp[] = R"(onceflow audit — prove each mode's delivery guarantee on a real broker

Usage: onceflow audit [--mode eos|alos|both] [options]

Generates records (key, per-key seq, unique id) into a fresh input topic at a paced rate, runs
--instances `onceflow run` children in one group on it, follows a seeded fault schedule (SIGKILL
and restart an instance; SIGSTOP one past the session and transaction timeouts, then SIGCONT;
`scripts/kafka restart --hard`), and checks the output read with read_committed, during the run
and from the start afterwards. Topics are deleted at the end; child logs stay in the run folder.

Options:
  --mode eos|alos|both     guarantee to audit; both = the same seed and schedule for each
                           (default eos)
  --records N              original records to generate (default 20000)
  --keys N                 distinct keys (default 100)
  --partitions N           partitions of the input and the output (default 3)
  --instances N            `onceflow run` children (default 2)
  --kills N                SIGKILL + restart faults (default 0)
  --pauses N               SIGSTOP past the timeouts, then SIGCONT (default 0)
  --broker-restarts N      `scripts/kafka restart --hard` faults (default 0)
  --upstream-dup-rate R    chance, per record, of an upstream duplicate of an earlier record
                           (same id, new offset); > 0 turns on dedupe on the field "id"
                           (default 0)
  --seed N                 seeds the workload and the fault schedule (default 1)
  --rate N                 records per second (default: so the run lasts about 1.5 times as
                           long as its faults with 3 s gaps between them, at least 20 s)
  --commit-interval-ms N   the children's commit_interval_ms (default 1000)
  --pause-ms N             how long a paused instance stays stopped (default: the longer of
                           the session and transaction timeouts + 2000)
  --drain-timeout-s N      after the last fault, how long the group may take to commit the
                           input's end (default 180)
  --bootstrap HOST:PORT    the broker (default $ONCEFLOW_BOOTSTRAP, else 127.0.0.1:19092)
  --kafka-script PATH      scripts/kafka, for broker restarts (default $ONCEFLOW_KAFKA_SCRIPT,
                           else scripts/kafka under the current directory or above the
                           onceflow binary); it must manage the --bootstrap broker
  --run-dir DIR            configs, child logs and faults.log (default a new folder in $TMPDIR
                           or /tmp); each mode gets DIR/<mode>
  --json FILE              write the results as JSON
  --help                   this text

Exit status: 0 every run kept its mode's guarantee (eos: nothing lost, nothing duplicated,
per-key order kept, no aborted reads; alos: nothing lost), 1 a guarantee broke or a run failed,
2 usage error. See docs/guarantees.md.
)";

struct Flags {
  std::string mode = "eos";
  RunOptions run;
  std::string json;
  std::string run_dir;
  std::string kafka_script;
  int64_t drain_timeout_s = 180;
};

void HandleSignal(int /*sig*/) { RequestStop(); }

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::string SelfExe() {
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "" : p.string();
}

// scripts/kafka: the flag, $ONCEFLOW_KAFKA_SCRIPT, ./scripts/kafka, or scripts/kafka in a
// folder above the binary (build/<preset>/src/onceflow in a checkout).
std::string FindKafkaScript(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (std::string env = Env("ONCEFLOW_KAFKA_SCRIPT"); !env.empty()) return env;
  std::error_code ec;
  if (std::filesystem::exists("scripts/kafka", ec)) {
    return std::filesystem::absolute("scripts/kafka", ec).string();
  }
  std::filesystem::path dir = std::filesystem::path(SelfExe()).parent_path();
  for (int i = 0; i < 6 && !dir.empty() && dir != dir.root_path(); ++i) {
    if (std::filesystem::exists(dir / "scripts" / "kafka", ec)) {
      return (dir / "scripts" / "kafka").string();
    }
    dir = dir.parent_path();
  }
  return "";
}

// What `<script> bootstrap` prints, without the newline; nullopt if it fails.
std::optional<std::string> ScriptBootstrap(const std::string& script) {
  const std::string cmd = absl::StrCat("'", script, "' bootstrap 2>/dev/null");
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  if (::pclose(pipe) != 0) return std::nullopt;
  return std::string(absl::StripAsciiWhitespace(out));
}

int Usage(const std::string& message) {
  std::cerr << "onceflow audit: " << message << "\nRun 'onceflow audit --help' for usage.\n";
  return kExitUsage;
}

template <typename T>
bool ParseNumber(absl::string_view text, T* out) {
  if constexpr (std::is_floating_point_v<T>) {
    return absl::SimpleAtod(text, out);
  } else {
    return absl::SimpleAtoi(text, out);
  }
}

}  // namespace

int RunAudit(int argc, char** argv) {
  Flags f;
  f.run.bootstrap = Env("ONCEFLOW_BOOTSTRAP");
  if (f.run.bootstrap.empty()) f.run.bootstrap = "127.0.0.1:19092";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kHelp;
      return kExitOk;
    }
    std::string value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); absl::StartsWith(arg, "--") && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto next = [&]() -> std::optional<std::string> {
      if (has_value) return value;
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    auto number = [&](auto* out, double min, double max) -> std::optional<std::string> {
      std::optional<std::string> v = next();
      if (!v.has_value()) return absl::StrCat(arg, " needs a value");
      if (!ParseNumber(*v, out) || static_cast<double>(*out) < min ||
          static_cast<double>(*out) > max) {
        return absl::StrCat(arg, ": '", *v, "' is not a number in ", min, "..", max);
      }
      return std::nullopt;
    };
    std::optional<std::string> error;
    if (arg == "--mode") {
      std::optional<std::string> v = next();
      if (!v.has_value() || (*v != "eos" && *v != "alos" && *v != "both")) {
        return Usage("--mode must be eos, alos or both");
      }
      f.mode = *v;
    } else if (arg == "--records") {
      error = number(&f.run.records, 1, 1e9);
    } else if (arg == "--keys") {
      error = number(&f.run.keys, 1, 1e7);
    } else if (arg == "--partitions") {
      error = number(&f.run.partitions, 1, 1000);
    } else if (arg == "--instances") {
      error = number(&f.run.instances, 1, 64);
    } else if (arg == "--kills") {
      error = number(&f.run.kills, 0, 1e5);
    } else if (arg == "--pauses") {
      error = number(&f.run.pauses, 0, 1e4);
    } else if (arg == "--broker-restarts") {
      error = number(&f.run.broker_restarts, 0, 1e4);
    } else if (arg == "--upstream-dup-rate") {
      error = number(&f.run.upstream_dup_rate, 0, 0.99);
    } else if (arg == "--seed") {
      error = number(&f.run.seed, 0, 1.8e19);
    } else if (arg == "--rate") {
      error = number(&f.run.rate, 1, 1e7);
    } else if (arg == "--commit-interval-ms") {
      error = number(&f.run.commit_interval_ms, 1, 600000);
    } else if (arg == "--pause-ms") {
      error = number(&f.run.pause_ms, 1, 3.6e6);
    } else if (arg == "--drain-timeout-s") {
      error = number(&f.drain_timeout_s, 1, 86400);
    } else if (arg == "--bootstrap" || arg == "--kafka-script" || arg == "--run-dir" ||
               arg == "--json") {
      std::optional<std::string> v = next();
      if (!v.has_value() || v->empty()) return Usage(absl::StrCat(arg, " needs a value"));
      if (arg == "--bootstrap") f.run.bootstrap = *v;
      if (arg == "--kafka-script") f.kafka_script = *v;
      if (arg == "--run-dir") f.run_dir = *v;
      if (arg == "--json") f.json = *v;
    } else {
      return Usage(absl::StrCat("unknown argument '", argv[i], "'"));
    }
    if (error.has_value()) return Usage(*error);
  }
  f.run.drain_timeout_ms = f.drain_timeout_s * 1000;

  f.run.onceflow_exe = SelfExe();
  if (f.run.onceflow_exe.empty()) return Usage("cannot find the onceflow binary (/proc/self/exe)");
  if (f.run.broker_restarts > 0) {
    f.run.kafka_script = FindKafkaScript(f.kafka_script);
    if (f.run.kafka_script.empty() || ::access(f.run.kafka_script.c_str(), X_OK) != 0) {
      return Usage(absl::StrCat(
          "--broker-restarts needs scripts/kafka: ",
          f.run.kafka_script.empty() ? std::string("not found")
                                     : absl::StrCat("'", f.run.kafka_script, "' is not executable"),
          "; pass --kafka-script PATH or set ONCEFLOW_KAFKA_SCRIPT, or use --broker-restarts 0"));
    }
    std::optional<std::string> managed = ScriptBootstrap(f.run.kafka_script);
    if (!managed.has_value() || *managed != f.run.bootstrap) {
      return Usage(absl::StrCat(
          "--broker-restarts: ", f.run.kafka_script, " manages the broker at ",
          managed.value_or("(unknown: 'bootstrap' failed)"), ", not --bootstrap ", f.run.bootstrap,
          "; restarting it would not touch the broker under audit (set ONCEFLOW_KAFKA_PORT "
          "for the script, or use --broker-restarts 0)"));
    }
  }
  if (f.run_dir.empty()) {
    std::string tmp = Env("TMPDIR");
    if (tmp.empty()) tmp = "/tmp";
    f.run_dir = absl::StrCat(tmp, "/onceflow-audit-", ::getpid(), "-",
                             std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count());
  }
  f.run.progress = ::isatty(STDERR_FILENO) == 1;

  struct sigaction sa {};
  sa.sa_handler = HandleSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  std::cerr << "onceflow audit: run folder " << f.run_dir << "\n";
  const std::vector<std::string> modes =
      f.mode == "both" ? std::vector<std::string>{"eos", "alos"} : std::vector<std::string>{f.mode};
  std::vector<RunResult> results;
  int exit_code = kExitOk;
  for (const std::string& mode : modes) {
    RunOptions run = f.run;
    run.mode = mode;
    run.run_dir = absl::StrCat(f.run_dir, "/", mode);
    absl::StatusOr<RunResult> r = RunOnce(run);
    if (!r.ok()) {
      std::cerr << "onceflow audit: the " << mode << " run failed: " << r.status()
                << "\n  (logs in " << run.run_dir << ")\n";
      exit_code = kExitBroken;
      if (absl::IsCancelled(r.status())) break;
      continue;
    }
    if (!r->ok) {
      exit_code = kExitBroken;
      std::cerr << "onceflow audit: " << mode << " broke its guarantee: " << r->why << " (logs in "
                << r->run_dir << ")\n";
    }
    results.push_back(*std::move(r));
  }
  std::cout << FormatTable(results);
  if (!f.json.empty()) {
    std::ofstream out(f.json, std::ios::trunc);
    out << FormatJson(results);
    out.close();
    if (!out) {
      std::cerr << "onceflow audit: cannot write " << f.json << "\n";
      return kExitBroken;
    }
  }
  if (results.size() != modes.size()) exit_code = kExitBroken;
  return exit_code;
}

}  // namespace onceflow::audit
