// `onceflow audit`: its flags (parsed by the CLI in src/sidecar/main.cc) and the command itself:
// the broker-script checks, one run per mode, the table and --json. See `onceflow audit --help`
// and docs/guarantees.md.
//
//   AuditFlags flags;
//   flags.mode = "both";
//   return RunAudit(flags);   // 0 every guarantee held, 1 one broke or a run failed, 2 usage
#ifndef ONCEFLOW_AUDIT_AUDIT_COMMAND_H_
#define ONCEFLOW_AUDIT_AUDIT_COMMAND_H_

#include <cstdint>
#include <string>

#include "audit/runner.h"
#include "sidecar/client_properties.h"

namespace onceflow::audit {

// The command's description and options, for `onceflow audit --help`.
extern const char kAuditDescription[];
extern const char kAuditFooter[];

struct AuditFlags {
  // "eos", "alos" or "both".
  std::string mode = "eos";
  // What each run does; run.bootstrap and run.client are filled from `client`, run.mode from
  // `mode`.
  RunOptions run;
  sidecar::ClientFlags client;
  std::string json;
  std::string run_dir;
  std::string kafka_script;
  int64_t drain_timeout_s = 180;
};

int RunAudit(AuditFlags flags);

}  // namespace onceflow::audit

#endif  // ONCEFLOW_AUDIT_AUDIT_COMMAND_H_
