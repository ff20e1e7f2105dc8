// The audit's report: the side-by-side table `onceflow audit` prints and the --json document.
//
//   std::cout << FormatTable(results);
//   out << FormatJson(results);  // {"runs": [{"mode": "eos", "records": ..., "ok": true}, ...]}
#ifndef ONCEFLOW_AUDIT_REPORT_H_
#define ONCEFLOW_AUDIT_REPORT_H_

#include <string>
#include <vector>

#include "audit/runner.h"

namespace onceflow::audit {

// One row per run, then one line per fault with its stall.
std::string FormatTable(const std::vector<RunResult>& runs);

// The --json document. The fields the issue fixes come first, in its order; the rest are
// additions (seed, expected, p99_stall_ms, instance_exits, faults, ...).
std::string FormatJson(const std::vector<RunResult>& runs);

}  // namespace onceflow::audit

#endif  // ONCEFLOW_AUDIT_REPORT_H_
