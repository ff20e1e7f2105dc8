// `onceflow audit`: the broker-script checks, the runs, the table and --json. The flags are
// parsed by the CLI (src/sidecar/main.cc) into AuditFlags.
#include "audit/audit_command.h"

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

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "audit/report.h"
#include "audit/runner.h"
#include "sidecar/command_output.h"

namespace onceflow::audit {

const char kAuditDescription[] =
    R"text(Proves each mode's delivery guarantee on a real broker.

Generates records (key, per-key seq, unique id) into a fresh input topic at a paced rate, runs
--instances `onceflow run` children in one group on it, follows a seeded fault schedule (SIGKILL
and restart an instance; SIGSTOP one past the session and transaction timeouts, then SIGCONT;
`scripts/kafka restart --hard`), and checks the output read with read_committed, during the run
and from the start afterwards. Topics are deleted at the end; child logs stay in the run folder.)text";

const char kAuditFooter[] =
    R"text(Client properties (-X, --command-config) go to every client: the audit's own and the
children's (their config's kafka: map; secret ones through the environment, never a file).

Exit status: 0 every run kept its mode's guarantee (eos: nothing lost, nothing duplicated,
per-key order kept, no aborted reads; alos: nothing lost), 1 a guarantee broke or a run failed,
2 usage error. See docs/guarantees.md.)text";

namespace {

constexpr int kExitOk = 0;
constexpr int kExitBroken = 1;

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

int Usage(const std::string& message) { return sidecar::UsageError("audit", message); }

}  // namespace

int RunAudit(AuditFlags f) {
  absl::StatusOr<kafka::Properties> client = sidecar::ResolveClientProperties(f.client);
  if (!client.ok()) return Usage(std::string(client.status().message()));
  f.run.client = *client;
  f.run.bootstrap = client->at("bootstrap.servers");
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
