// `onceflow audit`: its flags (parsed by the CLI in src/sidecar/main.cc) and the command itself:
// the broker-script checks, one run per mode, the table and --json. See `onceflow audit --help`
// and docs/guarantees.md.
//
//   AuditFlags flags;
//   flags.mode = "both";
//   return RunAudit(flags);   // 0 every guarantee held, 1 one broke, 2 usage, 3 a run failed
#ifndef ONCEFLOW_AUDIT_AUDIT_COMMAND_H_
#define ONCEFLOW_AUDIT_AUDIT_COMMAND_H_

#include <cstdint>
#include <string>
#include <vector>

#include "audit/runner.h"
#include "sidecar/client_properties.h"

namespace onceflow::audit {

// The command's description and options, for `onceflow audit --help`.
extern const char kAuditDescription[];
extern const char kAuditFooter[];

struct AuditFlags {
  // "eos", "alos" or "both".
  std::string mode = "eos";
  // --target, each: "onceflow", "kafka-streams", a comma-separated list of those, or a
  // command template (target.h). Each target runs every mode, with the same seed. Default:
  // onceflow.
  std::vector<std::string> targets;
  // What each run does; run.bootstrap and run.client are filled from `client`, run.mode from
  // `mode`.
  RunOptions run;
  sidecar::ClientFlags client;
  std::string json;
  std::string run_dir;
  std::string kafka_script;
  int64_t drain_timeout_s = 180;
  // --cluster N: run against scripts/kafka's N-node cluster (started if it is not running);
  // 0 = the single broker. Default: 0.
  int cluster = 0;
};

// Exit codes of `onceflow audit`.
inline constexpr int kAuditExitOk = 0;
// A guarantee broke (in at least one mode): a product bug.
inline constexpr int kAuditExitBroken = 1;
inline constexpr int kAuditExitUsage = 2;
// A run could not be carried out (a broker or the cluster would not start or come back, a
// child could not be launched, the cluster could not be reached, interrupted) and no mode broke
// its guarantee: an infrastructure failure, to be retried, not a product bug.
inline constexpr int kAuditExitRunFailed = 3;

int RunAudit(AuditFlags flags);

}  // namespace onceflow::audit

#endif  // ONCEFLOW_AUDIT_AUDIT_COMMAND_H_
