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
    case FaultKind::kBrokerKill:
      return "broker-kill";
    case FaultKind::kRollingRestart:
      return "rolling-restart";
    case FaultKind::kCoordinatorKill:
      return "coordinator-kill";
    case FaultKind::kBrokerPause:
      return "broker-pause";
    case FaultKind::kScale:
      return "scale";
    case FaultKind::kNetDelay:
      return "net-delay";
    case FaultKind::kNetCut:
      return "net-cut";
    case FaultKind::kIsolate:
      return "isolate";
  }
  return "?";
}

bool IsNetFault(FaultKind kind) {
  return kind == FaultKind::kNetDelay || kind == FaultKind::kNetCut || kind == FaultKind::kIsolate;
}

bool IsBrokerFault(FaultKind kind) {
  return kind != FaultKind::kKill && kind != FaultKind::kPause && kind != FaultKind::kScale &&
         !IsNetFault(kind);
}

absl::string_view CoordinatorName(Coordinator c) {
  switch (c) {
    case Coordinator::kNone:
      return "none";
    case Coordinator::kGroup:
      return "group";
    case Coordinator::kTransaction:
      return "transaction";
  }
  return "?";
}

std::vector<Fault> MakeFaultSchedule(const FaultScheduleOptions& options, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<FaultKind> kinds;
  auto add = [&kinds](int n, FaultKind kind) {
    kinds.insert(kinds.end(), static_cast<size_t>(std::max(0, n)), kind);
  };
  add(options.kills, FaultKind::kKill);
  add(options.pauses, FaultKind::kPause);
  add(options.broker_restarts, FaultKind::kBrokerRestart);
  add(options.broker_kills, FaultKind::kBrokerKill);
  add(options.rolling_restarts, FaultKind::kRollingRestart);
  add(options.coordinator_kills, FaultKind::kCoordinatorKill);
  add(options.broker_pauses, FaultKind::kBrokerPause);
  // Last, so that a schedule without scales (then network faults) is the one it always was.
  add(options.scales, FaultKind::kScale);
  add(options.net_delays, FaultKind::kNetDelay);
  add(options.net_cuts, FaultKind::kNetCut);
  add(options.isolations, FaultKind::kIsolate);
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
  // The brokers' draws come from a generator of their own, so adding them left every draw
  // above (and so every schedule without broker faults) as it was.
  std::mt19937_64 broker_rng(seed ^ 0x62726f6b65727321ULL);  // "brokers!"
  std::uniform_int_distribution<int> broker(1, std::max(1, options.brokers));
  std::bernoulli_distribution transaction(0.5);
  for (size_t i = 0; i < kinds.size(); ++i) {
    Fault f;
    f.kind = kinds[i];
    f.at_ms = options.window_start_ms +
              static_cast<int64_t>((static_cast<double>(i) + within(rng)) * slot);
    // Drawn for every fault, so the victims of later faults do not depend on the kinds before.
    const int who = victim(rng);
    const int which_broker = broker(broker_rng);
    const bool txn = transaction(broker_rng);
    switch (f.kind) {
      case FaultKind::kKill:
      case FaultKind::kPause:
      case FaultKind::kNetDelay:
      case FaultKind::kNetCut:
      case FaultKind::kIsolate:
        f.instance = who;
        break;
      case FaultKind::kBrokerRestart:
        if (options.brokers > 1) f.broker = which_broker;
        break;
      case FaultKind::kBrokerKill:
      case FaultKind::kBrokerPause:
        f.broker = which_broker;
        break;
      case FaultKind::kRollingRestart:
      case FaultKind::kScale:
        break;
      case FaultKind::kCoordinatorKill:
        f.instance = who;
        f.coordinator =
            txn && options.transactions ? Coordinator::kTransaction : Coordinator::kGroup;
        break;
    }
    faults.push_back(f);
  }
  return faults;
}

}  // namespace onceflow::audit
