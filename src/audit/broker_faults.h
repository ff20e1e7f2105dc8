// The broker faults' steps: what scripts/kafka is asked to do, and the waits between, for each
// broker-level fault kind (fault_schedule.h), and the small machine that walks through them
// from the audit's supervision loop without blocking it.
//
//   BrokerFaultOptions o{.script = "scripts/kafka", .brokers = 3};
//   BrokerFaultRun run(PlanBrokerFault(FaultKind::kBrokerKill, /*broker=*/2, o), log_path);
//   while (true) {                           // the supervision loop, every 20 ms
//     ONCEFLOW_ASSIGN_OR_RETURN(bool done, run.Poll());
//     if (done) break;
//   }
//
// A step is a scripts/kafka command (its output appended to the log) or a wait. A command that
// fails (a broker that does not start, under-replicated partitions that stay) fails the fault:
// that is the run's infrastructure failing, not a guarantee breaking.
//
// Thread-safety: a BrokerFaultRun belongs to the thread that made it (it starts children).
#ifndef ONCEFLOW_AUDIT_BROKER_FAULTS_H_
#define ONCEFLOW_AUDIT_BROKER_FAULTS_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "audit/fault_schedule.h"
#include "base/child_process.h"

namespace onceflow::audit {

struct BrokerFaultOptions {
  // scripts/kafka.
  std::string script;
  // The cluster's brokers; 1 = the single broker (only kBrokerRestart applies). Default: 1.
  int brokers = 1;
  // How long a killed broker stays down before it is started again: its partitions' leadership
  // fails over to the others meanwhile (after the 3 s broker session). Default: 8000.
  int64_t down_ms = 8000;
  // How long a paused broker stays stopped. Default: 35000 (past librdkafka's 30 s
  // request.timeout.ms, so requests to it time out rather than only stall).
  int64_t pause_ms = 35000;
  // How long `wait-replicated` may take after a broker is back (seconds). Default: 180.
  int replicated_timeout_s = 180;
};

struct BrokerStep {
  // A scripts/kafka command (argv); empty for a wait.
  std::vector<std::string> argv;
  // A wait's length.
  int64_t wait_ms = 0;
};

// The steps of a broker-level fault against node `broker` (1..brokers; ignored by
// kRollingRestart, and by kBrokerRestart on the single broker).
// REQUIRES: IsBrokerFault(kind); brokers >= 3 for every kind but kBrokerRestart.
std::vector<BrokerStep> PlanBrokerFault(FaultKind kind, int broker, const BrokerFaultOptions& o);

// The steps in a line, for faults.log: "broker 2 kill; wait 8000 ms; broker 2 start; ...".
std::string DescribeSteps(const std::vector<BrokerStep>& steps);

// Walks through the steps; see the file comment.
class BrokerFaultRun {
 public:
  BrokerFaultRun() = default;
  BrokerFaultRun(std::vector<BrokerStep> steps, std::string log_path);
  BrokerFaultRun(BrokerFaultRun&&) = default;
  BrokerFaultRun& operator=(BrokerFaultRun&&) = default;

  // Starts the next step when the last one is done. true once every step is done; an error
  // (kUnavailable, naming the command and the log) when a command failed or could not start.
  absl::StatusOr<bool> Poll();

  // Whether a command runs now.
  bool busy() const { return child_.running(); }

 private:
  std::vector<BrokerStep> steps_;
  std::string log_path_;
  size_t next_ = 0;
  base::ChildProcess child_;
  std::string child_what_;
  std::chrono::steady_clock::time_point wait_until_;
  bool waiting_ = false;
};

}  // namespace onceflow::audit

#endif  // ONCEFLOW_AUDIT_BROKER_FAULTS_H_
