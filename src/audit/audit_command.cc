// `onceflow audit`: the broker-script checks, the runs, the table and --json. The flags are
// parsed by the CLI (src/sidecar/main.cc) into AuditFlags.
#include "audit/audit_command.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "audit/report.h"
#include "audit/runner.h"
#include "audit/target.h"
#include "benchmark/systems.h"
#include "base/child_process.h"
#include "sidecar/command_output.h"

namespace onceflow::audit {

const char kAuditDescription[] =
    R"text(Proves each mode's delivery guarantee on a real broker.

Generates records (key, per-key seq, unique id) into a fresh input topic at a paced rate, runs
--instances `onceflow run` children in one group on it, follows a seeded fault schedule (SIGKILL
and restart an instance; SIGSTOP one past the session and transaction timeouts, then SIGCONT;
`scripts/kafka restart --hard`), and checks the output read with read_committed, during the run
and from the start afterwards. Topics are deleted at the end; child logs stay in the run folder.

The children count records per key in a state store (the count built-in; --no-state-count
leaves it out): each output carries its key's running count, which must equal the key's
sequence number, and the store (read back from its changelog) must agree with the output.
--transform-fault-rate R adds a stage that fails a share R of the records transiently twice
(they must be retried and delivered once); --poison-rate R makes a share R of the records
larger than the output topic takes (they must end in the dead-letter topic, with the reason in
its headers, and nothing else may).

With --cluster 3 it runs against scripts/kafka's three-broker cluster (starting it if it is not
running, and leaving it running: `scripts/kafka --cluster 3 stop`), with replication factor 3 and
min.insync.replicas=2 for the input, output and changelog, and adds the broker faults: a broker
SIGKILLed and kept down while its partitions fail over, then started (--broker-kills); every
broker restarted in turn, waiting for no under-replicated partition between (--rolling-restarts);
the broker that is the run's group or transaction coordinator killed (--coordinator-kills); a
broker SIGSTOPped past the request timeouts, then SIGCONT (--broker-pauses). Every broker fault
ends when no partition is under-replicated. faults.log has each fault's steps and times,
brokers.log what scripts/kafka said. And the network faults: the instances then reach the
brokers through a TCP proxy of the audit's (one port per broker, advertised by the brokers'
PROXIED listener), which adds latency to one instance's connections each way (--net-delays),
resets them all at once (--net-cuts), or cuts the instance off from the cluster past its
session and transaction timeouts, then heals (--isolations).

--target runs something else as the instances: kafka-streams (the Kafka Streams peer with the
same transform), or any command, given as a template with placeholders ({bootstrap}, {app},
{input}, {output}, {instance}, {state_dir}, ...); several targets run side by side under the
same seed and schedule.)text";

const char kAuditFooter[] =
    R"text(Client properties (-X, --command-config) go to every client: the audit's own and the
children's (their config's kafka: map; secret ones through the environment, never a file).

Exit status: 0 every run kept its mode's guarantee (eos: nothing lost, nothing duplicated,
per-key order kept, no aborted reads, no count doubled or lost, each poison record
dead-lettered once; alos: nothing lost, no count lost, each poison record dead-lettered), 1 a guarantee broke (a product bug;
also when another mode's run failed), 2 usage error, 3 a run failed and nothing broke (the
infrastructure: a broker that would not start or come back, a child that could not be launched,
an unreachable cluster, an interrupt). See docs/guarantees.md.)text";

namespace {

constexpr int kExitOk = kAuditExitOk;
constexpr int kExitBroken = kAuditExitBroken;
constexpr int kExitRunFailed = kAuditExitRunFailed;

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

// What `<script> [--cluster N] <command>` prints, without the last newline; nullopt if it
// fails.
std::optional<std::string> ScriptOutput(const std::string& script, int cluster,
                                        const std::string& command) {
  const std::string cmd =
      absl::StrCat("'", script, "'", cluster > 0 ? absl::StrCat(" --cluster ", cluster) : "", " ",
                   command, " 2>/dev/null");
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  if (::pclose(pipe) != 0) return std::nullopt;
  return std::string(absl::StripAsciiWhitespace(out));
}

int Usage(const std::string& message) { return sidecar::UsageError("audit", message); }

}  // namespace

// The --target flags as targets: a flag that is a comma-separated list of the built-in names
// is that list; any other is one command template.
absl::StatusOr<std::vector<Target>> ParseTargets(const std::vector<std::string>& flags) {
  std::vector<Target> targets;
  int commands = 0;
  for (const std::string& flag : flags) {
    std::vector<std::string> names = absl::StrSplit(flag, ',');
    const bool list = std::all_of(names.begin(), names.end(), [](const std::string& n) {
      const absl::string_view t = absl::StripAsciiWhitespace(n);
      return t == "onceflow" || t == "kafka-streams";
    });
    if (!list) names = {flag};
    for (const std::string& n : names) {
      absl::StatusOr<Target> t = ParseTarget(n);
      if (!t.ok()) return t.status();
      if (t->kind == TargetKind::kCommand) ++commands;
      targets.push_back(*std::move(t));
    }
  }
  if (targets.empty()) targets.push_back(Target{});
  if (commands > 1) {
    int n = 0;
    for (Target& t : targets) {
      if (t.kind == TargetKind::kCommand) t.name = absl::StrCat("command-", ++n);
    }
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (targets[i].name == targets[j].name) {
        return absl::InvalidArgumentError(absl::StrCat("--target ", targets[i].name, " twice"));
      }
    }
  }
  return targets;
}

int RunAudit(AuditFlags f) {
  RunOptions& ro = f.run;
  absl::StatusOr<std::vector<Target>> targets = ParseTargets(f.targets);
  if (!targets.ok()) return Usage(std::string(targets.status().message()));
  for (const Target& t : *targets) {
    if (t.kind == TargetKind::kOnceflow) continue;
    if (ro.poison_rate > 0 || ro.transform_fault_rate > 0) {
      return Usage(absl::StrCat("--poison-rate and --transform-fault-rate use onceflow's "
                                "dead-letter policy and chaos stage: not with --target ",
                                t.name));
    }
  }
  const int cluster_faults =
      ro.broker_kills + ro.rolling_restarts + ro.coordinator_kills + ro.broker_pauses;
  if (f.cluster == 0 && cluster_faults > 0) {
    return Usage(
        "--broker-kills, --rolling-restarts, --coordinator-kills and --broker-pauses need a "
        "cluster: add --cluster 3");
  }
  if (f.cluster > 0 && f.cluster < 3) return Usage("--cluster wants 3 brokers or more");
  if (ro.inject_generator_fatal_at >= ro.records) {
    return Usage(absl::StrCat("--inject-generator-fatal-at ", ro.inject_generator_fatal_at,
                              " is past the last of --records ", ro.records,
                              ": the error would never be raised"));
  }
  const int net_faults = ro.net_delays + ro.net_cuts + ro.isolations;
  if (f.cluster == 0 && net_faults > 0) {
    return Usage(
        "--net-delays, --net-cuts and --isolations need a cluster (the proxy the instances reach "
        "it through is set up with scripts/kafka's cluster): add --cluster 3");
  }
  ro.brokers = std::max(1, f.cluster);
  const bool needs_script = ro.broker_restarts > 0 || cluster_faults > 0 || f.cluster > 0;
  if (needs_script) {
    ro.kafka_script = FindKafkaScript(f.kafka_script);
    if (ro.kafka_script.empty() || ::access(ro.kafka_script.c_str(), X_OK) != 0) {
      return Usage(absl::StrCat(
          f.cluster > 0 ? "--cluster" : "--broker-restarts", " needs scripts/kafka: ",
          ro.kafka_script.empty() ? std::string("not found")
                                 : absl::StrCat("'", ro.kafka_script, "' is not executable"),
          "; pass --kafka-script PATH or set ONCEFLOW_KAFKA_SCRIPT",
          f.cluster > 0 ? "" : ", or use --broker-restarts 0"));
    }
  }
  if (f.cluster > 0) {
    // The cluster is started if it is not running (a no-op when it is), and left running.
    const std::vector<std::string> argv = {ro.kafka_script, "--cluster", absl::StrCat(f.cluster),
                                           "start"};
    std::cerr << "onceflow audit: " << absl::StrJoin(argv, " ") << "\n";
    absl::StatusOr<base::Completion> started =
        base::RunToCompletion(argv, std::chrono::minutes(5));
    if (!started.ok() || !started->exit.ok()) {
      std::cerr << "onceflow audit: the cluster did not start: "
                << (started.ok() ? started->exit.ToString() : started.status().ToString()) << "\n"
                << (started.ok() ? started->output : "") << "\n";
      return kExitRunFailed;
    }
    if (f.client.bootstrap.empty()) {
      std::optional<std::string> b = ScriptOutput(ro.kafka_script, f.cluster, "bootstrap");
      if (!b.has_value()) {
        std::cerr << "onceflow audit: " << ro.kafka_script << " --cluster " << f.cluster
                  << " bootstrap failed\n";
        return kExitRunFailed;
      }
      f.client.bootstrap = *b;
    }
    if (net_faults > 0) {
      std::optional<std::string> routes = ScriptOutput(ro.kafka_script, f.cluster, "proxy-routes");
      for (absl::string_view line :
           absl::StrSplit(routes.value_or(""), '\n', absl::SkipWhitespace())) {
        std::vector<absl::string_view> w = absl::StrSplit(line, ' ', absl::SkipEmpty());
        int node = 0, front = 0, back = 0;
        if (w.size() == 3 && absl::SimpleAtoi(w[0], &node) && absl::SimpleAtoi(w[1], &front) &&
            absl::SimpleAtoi(w[2], &back)) {
          ro.proxy_routes.push_back({front, back});
        }
      }
      if (static_cast<int>(ro.proxy_routes.size()) != f.cluster) {
        std::cerr << "onceflow audit: " << ro.kafka_script << " --cluster " << f.cluster
                  << " proxy-routes gave no route per broker: '" << routes.value_or("(failed)")
                  << "'\n";
        return kExitRunFailed;
      }
    }
  }
  absl::StatusOr<kafka::Properties> client = sidecar::ResolveClientProperties(f.client);
  if (!client.ok()) return Usage(std::string(client.status().message()));
  f.run.client = *client;
  f.run.bootstrap = client->at("bootstrap.servers");
  f.run.drain_timeout_ms = f.drain_timeout_s * 1000;

  f.run.onceflow_exe = SelfExe();
  if (f.run.onceflow_exe.empty()) return Usage("cannot find the onceflow binary (/proc/self/exe)");
  for (Target& t : *targets) {
    if (t.kind != TargetKind::kKafkaStreams) continue;
    // The peer lives in the checkout beside scripts/kafka (bench/peers/kafka-streams).
    const std::string script = FindKafkaScript(f.kafka_script);
    if (script.empty()) {
      return Usage(
          "--target kafka-streams needs the checkout (bench/peers/kafka-streams beside "
          "scripts/kafka): pass --kafka-script PATH or set ONCEFLOW_KAFKA_SCRIPT");
    }
    const std::string repo =
        std::filesystem::path(script).parent_path().parent_path().string();
    absl::StatusOr<std::string> jar = benchmark::EnsureStreamsPeerJar(repo, "");
    if (!jar.ok()) {
      std::cerr << "onceflow audit: the Kafka Streams peer: " << jar.status() << "\n";
      return kExitRunFailed;
    }
    t.jar = *jar;
  }
  if (ro.broker_restarts > 0 || cluster_faults > 0) {
    std::optional<std::string> managed = ScriptOutput(ro.kafka_script, f.cluster, "bootstrap");
    if (!managed.has_value() || *managed != ro.bootstrap) {
      return Usage(absl::StrCat(
          f.cluster > 0 ? "broker faults" : "--broker-restarts", ": ", ro.kafka_script,
          f.cluster > 0 ? absl::StrCat(" --cluster ", f.cluster) : "", " manages the broker(s) at ",
          managed.value_or("(unknown: 'bootstrap' failed)"), ", not --bootstrap ", ro.bootstrap,
          "; a fault would not touch the brokers under audit (",
          f.cluster > 0 ? "set ONCEFLOW_KAFKA_CLUSTER_PORT for the script, or leave out --bootstrap"
                        : "set ONCEFLOW_KAFKA_PORT for the script, or use --broker-restarts 0",
          ")"));
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

  struct sigaction sa {};
  sa.sa_handler = HandleSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  std::cerr << "onceflow audit: run folder " << f.run_dir << "\n";
  const std::vector<std::string> modes =
      f.mode == "both" ? std::vector<std::string>{"eos", "alos"} : std::vector<std::string>{f.mode};
  std::vector<RunResult> results;
  bool broke = false;
  bool run_failed = false;
  bool cancelled = false;
  for (const Target& target : *targets) {
    for (const std::string& mode : modes) {
      if (cancelled) break;
      RunOptions run = f.run;
      run.target = target;
      run.mode = mode;
      // A command's own job writes no onceflow-count header and keeps no count store.
      if (target.kind == TargetKind::kCommand) run.state_count = false;
      const std::string what =
          targets->size() > 1 ? absl::StrCat(target.name, " ", mode) : mode;
      run.run_dir = targets->size() > 1 ? absl::StrCat(f.run_dir, "/", target.name, "/", mode)
                                       : absl::StrCat(f.run_dir, "/", mode);
      absl::StatusOr<RunResult> r = RunOnce(run);
      if (!r.ok()) {
        std::cerr << "onceflow audit: the " << what << " run failed: " << r.status()
                  << "\n  (logs in " << run.run_dir << ")\n";
        run_failed = true;
        cancelled = absl::IsCancelled(r.status());
        continue;
      }
      if (!r->ok) {
        broke = true;
        std::cerr << "onceflow audit: " << what << " broke its guarantee: " << r->why
                  << " (logs in " << r->run_dir << ")\n";
      }
      results.push_back(*std::move(r));
    }
  }
  std::cout << FormatTable(results);
  if (!f.json.empty()) {
    std::ofstream out(f.json, std::ios::trunc);
    out << FormatJson(results);
    out.close();
    if (!out) {
      std::cerr << "onceflow audit: cannot write " << f.json << "\n";
      return broke ? kExitBroken : kExitRunFailed;
    }
  }
  if (broke) return kExitBroken;
  if (run_failed || results.size() != modes.size() * targets->size()) return kExitRunFailed;
  return kExitOk;
}

}  // namespace onceflow::audit
