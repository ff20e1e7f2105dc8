#include "audit/fault_schedule.h"

#include <algorithm>
#include <random>

namespace onceflow::audit {

absl::string_view FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kKill:
      return "kill";
    case FaultKind::kPause:
      return "pause";
    case FaultKind::kBrokerRestart:
      return "broker-restart";
  }
  return "?";
}

std::vector<Fault> MakeFaultSchedule(const FaultScheduleOptions& options, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<FaultKind> kinds;
  kinds.insert(kinds.end(), static_cast<size_t>(std::max(0, options.kills)), FaultKind::kKill);
  kinds.insert(kinds.end(), static_cast<size_t>(std::max(0, options.pauses)), FaultKind::kPause);
  kinds.insert(kinds.end(), static_cast<size_t>(std::max(0, options.broker_restarts)),
               FaultKind::kBrokerRestart);
  // std::shuffle's algorithm may change between standard library versions; a hand-written
  // Fisher-Yates keeps a seed's schedule stable (the distributions are libstdc++'s).
  for (size_t i = kinds.size(); i > 1; --i) {
    std::uniform_int_distribution<size_t> pick(0, i - 1);
    std::swap(kinds[i - 1], kinds[pick(rng)]);
  }
  std::vector<Fault> faults;
  if (kinds.empty()) return faults;
  const double span = static_cast<double>(options.window_end_ms - options.window_start_ms);
  const double slot = span / static_cast<double>(kinds.size());
  std::uniform_real_distribution<double> within(0.2, 0.8);
  std::uniform_int_distribution<int> victim(0, std::max(1, options.instances) - 1);
  for (size_t i = 0; i < kinds.size(); ++i) {
    Fault f;
    f.kind = kinds[i];
    f.at_ms = options.window_start_ms +
              static_cast<int64_t>((static_cast<double>(i) + within(rng)) * slot);
    // Drawn for every fault, so the victims of later faults do not depend on the kinds before.
    const int who = victim(rng);
    f.instance = f.kind == FaultKind::kBrokerRestart ? -1 : who;
    faults.push_back(f);
  }
  return faults;
}

}  // namespace onceflow::audit
