// The audit's fault schedule: which fault, when, against which instance or broker. A pure
// function of its options and the seed (std::mt19937_64), so a run can be repeated exactly and
// `--mode both` puts the same faults at the same times into each mode.
//
//   FaultSchedule s = MakeFaultSchedule({.kills = 5, .pauses = 1, .instances = 2,
//                                        .window_start_ms = 2000, .window_end_ms = 40000},
//                                       /*seed=*/7);
//
// The window is cut into one slot per fault; each fault lands at a random point in the middle
// 60 % of its slot, so faults spread over the time records flow instead of bunching up, and
// which kind goes in which slot is shuffled.
//
// The broker-level kinds of a cluster (broker kill, rolling restart, coordinator kill, broker
// pause) draw their broker and coordinator from a second generator seeded from the same seed,
// so a seed's schedule without them is the one it always was.
#ifndef ONCEFLOW_AUDIT_FAULT_SCHEDULE_H_
#define ONCEFLOW_AUDIT_FAULT_SCHEDULE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace onceflow::audit {

enum class FaultKind {
  // An `onceflow run` instance: SIGKILL and restart.
  kKill,
  // An instance: SIGSTOP past its session and transaction timeouts, then SIGCONT.
  kPause,
  // The single broker (`scripts/kafka restart --hard`), or on a cluster one broker
  // (`broker N restart --hard`): a crash and an immediate restart.
  kBrokerRestart,
  // Cluster only. One broker SIGKILLed and kept down while its partitions fail over to the
  // others, then started; the fault ends when no partition is under-replicated.
  kBrokerKill,
  // Cluster only. Every broker in turn stopped cleanly and started, waiting for no partition to
  // be under-replicated before the next.
  kRollingRestart,
  // Cluster only. Like kBrokerKill, against the broker that is, when the fault starts, the
  // run's group coordinator or one instance's transaction coordinator (`coordinator`).
  kCoordinatorKill,
  // Cluster only. One broker SIGSTOPped past the clients' request timeouts (its sockets stay
  // open, so requests to it hang rather than fail), then SIGCONT.
  kBrokerPause,
  // Scale out or in, in turn: the first starts one more instance (it joins the group, a
  // rebalance follows), the next stops it with SIGTERM (it commits what it holds and leaves;
  // the fault ends when it has exited), and so on. Not an instance's failure: nothing is
  // killed.
  kScale,
  // Network faults, cluster only: the instance's connections to every broker go through the
  // audit's proxy (net_proxy.h). kNetDelay adds latency to them each way for a while; kNetCut
  // resets them all at once (the instance reconnects); kIsolate partitions the instance from
  // the cluster (nothing gets through either way) past its session and transaction timeouts,
  // then heals.
  kNetDelay,
  kNetCut,
  kIsolate,
};

absl::string_view FaultKindName(FaultKind kind);

// Whether the fault hits a broker (so it runs scripts/kafka) rather than an instance (a kill, a
// pause, a network fault) or the group's size (a scale).
bool IsBrokerFault(FaultKind kind);

// Whether the fault is a network fault (kNetDelay, kNetCut, kIsolate).
bool IsNetFault(FaultKind kind);

// Which coordinator a kCoordinatorKill aims at.
enum class Coordinator { kNone, kGroup, kTransaction };

absl::string_view CoordinatorName(Coordinator c);

struct Fault {
  int64_t at_ms = 0;  // since the run started
  FaultKind kind = FaultKind::kKill;
  // kKill, kPause and the network faults: the victim, 0..instances-1. kCoordinatorKill: the instance whose
  // transactional id names the transaction coordinator. -1 for the other broker kinds.
  int instance = -1;
  // kBrokerRestart on a cluster, kBrokerKill and kBrokerPause: the broker's node id,
  // 1..brokers. -1 otherwise (the single broker, every broker, or a coordinator found at run
  // time).
  int broker = -1;
  // kCoordinatorKill: which coordinator. kNone otherwise.
  Coordinator coordinator = Coordinator::kNone;

  friend bool operator==(const Fault& a, const Fault& b) {
    return a.at_ms == b.at_ms && a.kind == b.kind && a.instance == b.instance &&
           a.broker == b.broker && a.coordinator == b.coordinator;
  }
};

struct FaultScheduleOptions {
  int kills = 0;
  int pauses = 0;
  int broker_restarts = 0;
  // The cluster's broker faults; each needs brokers >= 3.
  int broker_kills = 0;
  int rolling_restarts = 0;
  int coordinator_kills = 0;
  int broker_pauses = 0;
  // Scale-outs and scale-ins together (they alternate, starting with an out).
  int scales = 0;
  // Network faults; each needs brokers >= 3 (the proxy is in front of the cluster).
  int net_delays = 0;
  int net_cuts = 0;
  int isolations = 0;
  // Instances to pick victims from. Default: 1.
  int instances = 1;
  // Brokers of the cluster (node ids 1..brokers); 1 = the single broker. Default: 1.
  int brokers = 1;
  // Whether the instances run transactions (eos): a kCoordinatorKill may then aim at a
  // transaction coordinator, else always at the group coordinator. The choice is drawn either
  // way, so both modes' schedules match in everything else. Default: true.
  bool transactions = true;
  // Faults land in [window_start_ms, window_end_ms).
  int64_t window_start_ms = 0;
  int64_t window_end_ms = 0;
};

// Sorted by at_ms.
std::vector<Fault> MakeFaultSchedule(const FaultScheduleOptions& options, uint64_t seed);

}  // namespace onceflow::audit

#endif  // ONCEFLOW_AUDIT_FAULT_SCHEDULE_H_
