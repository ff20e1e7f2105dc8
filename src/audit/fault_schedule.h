// The audit's fault schedule: which fault, when, against which instance. A pure function of
// its options and the seed (std::mt19937_64), so a run can be repeated exactly and
// `--mode both` puts the same faults at the same times into each mode.
//
//   FaultSchedule s = MakeFaultSchedule({.kills = 5, .pauses = 1, .instances = 2,
//                                        .window_start_ms = 2000, .window_end_ms = 40000},
//                                       /*seed=*/7);
//
// The window is cut into one slot per fault; each fault lands at a random point in the middle
// 60 % of its slot, so faults spread over the time records flow instead of bunching up, and
// which kind goes in which slot is shuffled.
#ifndef ONCEFLOW_AUDIT_FAULT_SCHEDULE_H_
#define ONCEFLOW_AUDIT_FAULT_SCHEDULE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace onceflow::audit {

enum class FaultKind { kKill, kPause, kBrokerRestart };

absl::string_view FaultKindName(FaultKind kind);

struct Fault {
  int64_t at_ms = 0;  // since the run started
  FaultKind kind = FaultKind::kKill;
  int instance = -1;  // kKill and kPause: the victim, 0..instances-1; -1 for the broker

  friend bool operator==(const Fault& a, const Fault& b) {
    return a.at_ms == b.at_ms && a.kind == b.kind && a.instance == b.instance;
  }
};

struct FaultScheduleOptions {
  int kills = 0;
  int pauses = 0;
  int broker_restarts = 0;
  // Instances to pick victims from. Default: 1.
  int instances = 1;
  // Faults land in [window_start_ms, window_end_ms).
  int64_t window_start_ms = 0;
  int64_t window_end_ms = 0;
};

// Sorted by at_ms.
std::vector<Fault> MakeFaultSchedule(const FaultScheduleOptions& options, uint64_t seed);

}  // namespace onceflow::audit

#endif  // ONCEFLOW_AUDIT_FAULT_SCHEDULE_H_
