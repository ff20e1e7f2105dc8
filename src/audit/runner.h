// One audit run: a fresh input and output topic, a paced generator, M `onceflow run` children
// under a supervisor, a seeded fault schedule, a live read_committed consumer on the output,
// and after the run the read-back and the check. The topics (and the dedupe changelog) are
// deleted and every child is stopped before RunOnce returns, whatever happened.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(RunResult r, RunOnce(options));
//   if (!r.ok) ...  // r.why says which guarantee broke
//
// Thread-safety: RunOnce runs on the calling thread (it starts and joins its own generator
// and live-consumer threads). Call it from the main thread: children are bound to the thread
// that started them (see base/child_process.h).
#ifndef ONCEFLOW_AUDIT_RUNNER_H_
#define ONCEFLOW_AUDIT_RUNNER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "audit/checker.h"
#include "audit/fault_schedule.h"
#include "audit/target.h"
#include "kafka/config.h"
#include "sidecar/progress.h"

namespace onceflow::audit {

struct RunOptions {
  // What runs as each instance (target.h). Default: onceflow.
  Target target;
  // "eos" or "alos".
  std::string mode = "eos";
  // Original records to generate. Default: 20000.
  int64_t records = 20000;
  // Distinct keys. Default: 100.
  int keys = 100;
  // Partitions of the input and of the output. Default: 3.
  int partitions = 3;
  // `onceflow run` children in the group. Default: 2.
  int instances = 2;
  int kills = 0;
  int pauses = 0;
  int broker_restarts = 0;
  // The cluster's broker faults (fault_schedule.h); each needs brokers >= 3.
  int broker_kills = 0;
  int rolling_restarts = 0;
  int coordinator_kills = 0;
  int broker_pauses = 0;
  // Scale-outs and scale-ins, in turn (FaultKind::kScale): one more instance, i<instances>,
  // started, later stopped with SIGTERM.
  int scales = 0;
  // Network faults (cluster only): the children reach the brokers through the audit's proxy
  // (net_proxy.h) at `proxy_routes`' front ports. A delay adds `net_delay_ms` each way for
  // `net_delay_for_ms`; an isolation lasts as long as a pause.
  int net_delays = 0;
  int net_cuts = 0;
  int isolations = 0;
  int net_delay_ms = 500;
  int64_t net_delay_for_ms = 10000;
  // scripts/kafka proxy-routes: {front port, the broker's PROXIED port} per broker.
  std::vector<std::pair<int, int>> proxy_routes;
  // Brokers of the cluster under audit (scripts/kafka --cluster N, node ids 1..N); 1 = the
  // single broker. With N > 1 the input, output and changelog topics get replication factor 3
  // and min.insync.replicas 2. Default: 1.
  int brokers = 1;
  // How long a killed broker stays down (kBrokerKill, kCoordinatorKill). Default: 8000.
  int64_t broker_down_ms = 8000;
  // How long a paused broker stays stopped (kBrokerPause). Default: 35000.
  int64_t broker_pause_ms = 35000;
  // Probability that an original is followed by an upstream duplicate of an earlier one; when
  // > 0 the children dedupe on the JSON field "id". Default: 0.
  double upstream_dup_rate = 0;
  // The children count records per key in a state store (the `count` built-in, store
  // "count") and write the count into each output's onceflow-count header; the checker checks
  // it against the key's sequence and the store against the output. Default: true.
  bool state_count = true;
  // Share of input records whose first two transform attempts fail transiently (the `chaos`
  // built-in after `count`, seeded by `seed`); the children retry them (max_attempts 4,
  // backoff 10 ms doubling). Default: 0.
  double transform_fault_rate = 0;
  // Probability that an original is a poison record, larger than the output topic takes
  // (workload.h); the children then dead-letter it. Default: 0.
  double poison_rate = 0;
  // For testing the audit itself: the generator's producer raises a fatal error (librdkafka's
  // OUT_OF_ORDER_SEQUENCE_NUMBER) just before it sends plan record N, as librdkafka 2.0.2's
  // idempotent producer can on a broker failover; the generator must recover (runner.cc).
  // -1 = never. Default: -1.
  int64_t inject_generator_fatal_at = -1;
  // Seeds the workload and the fault schedule. Default: 1.
  uint64_t seed = 1;
  // The broker's bootstrap servers, for the children's config and messages.
  std::string bootstrap;
  // librdkafka properties of every client, the audit's own and the children's (through their
  // config's `kafka:` map; secret ones through the environment, see ExportSecrets), with
  // bootstrap.servers. Empty: {bootstrap.servers: bootstrap}.
  kafka::Properties client;
  // Records per second the generator sends; 0 = chosen so the run lasts about 1.5 times as
  // long as the faults take with their settle gaps (at least 20 s). Default: 0.
  double rate = 0;
  // The children's commit_interval_ms, both modes. Default: 1000 (see docs/guarantees.md).
  int commit_interval_ms = 1000;
  // The children's consumer session.timeout.ms. Default: 6000 (the broker's minimum).
  int session_timeout_ms = 6000;
  // The children's producer transaction.timeout.ms. Default: 10000.
  int transaction_timeout_ms = 10000;
  // How long a paused instance stays stopped; 0 = longer than both timeouts above by 2 s.
  int pause_ms = 0;
  // After the generator and the faults are done, how long to wait for the group to commit the
  // input's end. Default: 180000.
  int64_t drain_timeout_ms = 180000;
  // This run's folder (configs, child logs, state, faults.log). Created if missing.
  std::string run_dir;
  // The `onceflow` binary to run the children with.
  std::string onceflow_exe;
  // scripts/kafka, for broker faults.
  std::string kafka_script;
  // Progress on stderr (sidecar/progress.h); the fault lines always go to faults.log.
  sidecar::ProgressMode progress = sidecar::ProgressMode::kAuto;
};

struct FaultEvent {
  // The schedule's fault; `instance` is the one hit (a pause moves from a planned victim that
  // holds no partitions to one that does).
  Fault planned;
  // The broker hit (node id), -1 for none or every one: the planned one, or for a
  // kCoordinatorKill the coordinator found when it started.
  int broker = -1;
  int64_t started_ms = 0;  // since the run started
  int64_t ended_ms = 0;
  std::string detail;
  int64_t stall_ms = -1;
};

struct RunResult {
  std::string target = "onceflow";
  std::string mode;
  uint64_t seed = 0;
  int64_t records = 0;
  CheckResult check;
  int processor_kills = 0;
  int pauses = 0;
  int broker_restarts = 0;
  int broker_kills = 0;
  int rolling_restarts = 0;
  int coordinator_kills = 0;
  int broker_pauses = 0;
  int scale_outs = 0;
  int scale_ins = 0;
  int net_delays = 0;
  int net_cuts = 0;
  int isolations = 0;
  int net_faults() const { return net_delays + net_cuts + isolations; }
  int brokers = 1;
  int broker_faults() const {
    return broker_restarts + broker_kills + rolling_restarts + coordinator_kills + broker_pauses;
  }
  // Exits of children the audit did not cause (it counts them and restarts the child), by
  // "code N" / "signal N".
  int instance_exits = 0;
  std::map<std::string, int> exit_reasons;
  // Fatal errors of the generator's producer it recovered from, and the records it sent again
  // then (those not acknowledged and not found in the input).
  int generator_recoveries = 0;
  int64_t generator_resent = 0;
  std::vector<FaultEvent> faults;
  // The group's committed input offsets equal the input's end offsets after the run.
  bool committed_offsets_ok = false;
  bool drained = false;
  bool dedupe = false;
  // The children ran the count stage; they dead-letter into a topic the checker read.
  bool counts = false;
  bool dead_letter_topic = false;
  double transform_fault_rate = 0;
  double poison_rate = 0;
  double rate = 0;
  double seconds = 0;
  std::string run_dir;
  bool ok = false;
  // Why ok is false: the guarantees that broke, comma-separated.
  std::string why;
};

// Asks a RunOnce in progress to stop early (async-signal-safe: an atomic store). The run then
// cleans up and returns kCancelled.
void RequestStop();

absl::StatusOr<RunResult> RunOnce(const RunOptions& options);

// Puts the secret properties of `client` (kafka::IsSecretProperty) into this process's
// environment as ONCEFLOW_AUDIT_SECRET_<n>, the names the children's configs refer to, so no
// secret is written to a file. Not thread-safe (setenv): RunOnce calls it before it starts
// threads.
void ExportSecrets(const kafka::Properties& client);

}  // namespace onceflow::audit

#endif  // ONCEFLOW_AUDIT_RUNNER_H_
