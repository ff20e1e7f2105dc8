// The fault schedule's broker kinds (the three-broker cluster's), without a broker: counts,
// targets, reproducibility, and that a seed's schedule without them did not change.
#include "audit/fault_schedule.h"

#include <map>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onceflow::audit {
namespace {

FaultScheduleOptions ClusterOptions() {
  return {.kills = 3,
          .pauses = 1,
          .broker_restarts = 1,
          .broker_kills = 4,
          .rolling_restarts = 2,
          .coordinator_kills = 6,
          .broker_pauses = 3,
          .instances = 3,
          .brokers = 3,
          .window_start_ms = 5000,
          .window_end_ms = 300000};
}

TEST(FaultScheduleClusterTest, EveryKindCountedWithItsTarget) {
  const std::vector<Fault> a = MakeFaultSchedule(ClusterOptions(), 9);
  ASSERT_EQ(a.size(), 20u);
  std::map<FaultKind, int> count;
  std::map<Coordinator, int> coordinators;
  for (size_t i = 0; i < a.size(); ++i) {
    const Fault& f = a[i];
    ++count[f.kind];
    EXPECT_GE(f.at_ms, 5000);
    EXPECT_LT(f.at_ms, 300000);
    if (i > 0) {
      EXPECT_GT(f.at_ms, a[i - 1].at_ms);
    }
    EXPECT_EQ(IsBrokerFault(f.kind), f.kind != FaultKind::kKill && f.kind != FaultKind::kPause);
    switch (f.kind) {
      case FaultKind::kKill:
      case FaultKind::kPause:
        EXPECT_THAT(f.instance, ::testing::AllOf(::testing::Ge(0), ::testing::Lt(3)));
        EXPECT_EQ(f.broker, -1);
        EXPECT_EQ(f.coordinator, Coordinator::kNone);
        break;
      case FaultKind::kBrokerRestart:  // on a cluster: one broker, restarted at once
      case FaultKind::kBrokerKill:
      case FaultKind::kBrokerPause:
        EXPECT_EQ(f.instance, -1);
        EXPECT_THAT(f.broker, ::testing::AllOf(::testing::Ge(1), ::testing::Le(3)));
        EXPECT_EQ(f.coordinator, Coordinator::kNone);
        break;
      case FaultKind::kRollingRestart:
      case FaultKind::kScale:  // none asked for here
      case FaultKind::kNetDelay:
      case FaultKind::kNetCut:
      case FaultKind::kIsolate:
        EXPECT_EQ(f.instance, -1);
        EXPECT_EQ(f.broker, -1);  // every broker
        EXPECT_EQ(f.coordinator, Coordinator::kNone);
        break;
      case FaultKind::kCoordinatorKill:
        EXPECT_THAT(f.instance, ::testing::AllOf(::testing::Ge(0), ::testing::Lt(3)));
        EXPECT_EQ(f.broker, -1);  // found when the fault starts
        EXPECT_NE(f.coordinator, Coordinator::kNone);
        ++coordinators[f.coordinator];
        break;
    }
  }
  EXPECT_EQ(count[FaultKind::kKill], 3);
  EXPECT_EQ(count[FaultKind::kPause], 1);
  EXPECT_EQ(count[FaultKind::kBrokerRestart], 1);
  EXPECT_EQ(count[FaultKind::kBrokerKill], 4);
  EXPECT_EQ(count[FaultKind::kRollingRestart], 2);
  EXPECT_EQ(count[FaultKind::kCoordinatorKill], 6);
  EXPECT_EQ(count[FaultKind::kBrokerPause], 3);
  // Seed 9 aims at both kinds of coordinator.
  EXPECT_GT(coordinators[Coordinator::kGroup], 0);
  EXPECT_GT(coordinators[Coordinator::kTransaction], 0);
}

TEST(FaultScheduleClusterTest, ReproducibleForASeedDifferentForAnother) {
  const std::vector<Fault> a = MakeFaultSchedule(ClusterOptions(), 42);
  EXPECT_EQ(MakeFaultSchedule(ClusterOptions(), 42), a);
  EXPECT_NE(MakeFaultSchedule(ClusterOptions(), 43), a);
}

TEST(FaultScheduleClusterTest, EveryBrokerIsHitOverManyFaults) {
  FaultScheduleOptions o = ClusterOptions();
  o.broker_kills = 60;
  std::map<int, int> hit;
  for (const Fault& f : MakeFaultSchedule(o, 5)) {
    if (f.kind == FaultKind::kBrokerKill) {
      ++hit[f.broker];
    }
  }
  EXPECT_EQ(hit.size(), 3u);
  for (const auto& [broker, n] : hit) EXPECT_GT(n, 5) << "broker " << broker;
}

TEST(FaultScheduleClusterTest, WithoutTransactionsOnlyTheGroupCoordinator) {
  FaultScheduleOptions o = ClusterOptions();
  o.transactions = false;
  const std::vector<Fault> with = MakeFaultSchedule(ClusterOptions(), 9);
  const std::vector<Fault> without = MakeFaultSchedule(o, 9);
  ASSERT_EQ(with.size(), without.size());
  for (size_t i = 0; i < with.size(); ++i) {
    // The same schedule (--mode both) but for the coordinator an alos run can aim at.
    EXPECT_EQ(with[i].at_ms, without[i].at_ms);
    EXPECT_EQ(with[i].kind, without[i].kind);
    EXPECT_EQ(with[i].broker, without[i].broker);
    if (without[i].kind == FaultKind::kCoordinatorKill) {
      EXPECT_EQ(without[i].coordinator, Coordinator::kGroup);
    }
  }
}

// The schedule of seed 42 before the broker kinds existed (commit f4e36a5): the broker
// generator is a second one, so old seeds reproduce old runs.
TEST(FaultScheduleClusterTest, ASeedsScheduleWithoutBrokerKindsIsUnchanged) {
  const std::vector<Fault> a = MakeFaultSchedule({.kills = 5,
                                                  .pauses = 2,
                                                  .broker_restarts = 1,
                                                  .instances = 3,
                                                  .window_start_ms = 2000,
                                                  .window_end_ms = 40000},
                                                 42);
  const std::vector<Fault> before = {
      {.at_ms = 4012, .kind = FaultKind::kKill, .instance = 0},
      {.at_ms = 8812, .kind = FaultKind::kKill, .instance = 0},
      {.at_ms = 13942, .kind = FaultKind::kPause, .instance = 2},
      {.at_ms = 19016, .kind = FaultKind::kKill, .instance = 2},
      {.at_ms = 24645, .kind = FaultKind::kKill, .instance = 2},
      {.at_ms = 27979, .kind = FaultKind::kBrokerRestart, .instance = -1},
      {.at_ms = 31634, .kind = FaultKind::kKill, .instance = 2},
      {.at_ms = 36625, .kind = FaultKind::kPause, .instance = 1},
  };
  EXPECT_EQ(a, before);
}

// Scales are drawn like the other kinds, aimed at no instance or broker, and a seed's schedule
// without them is unchanged.
TEST(FaultScheduleClusterTest, ScalesAreScheduledAndLeaveOtherSchedulesAlone) {
  const FaultScheduleOptions base{.kills = 5,
                                  .pauses = 2,
                                  .broker_restarts = 1,
                                  .instances = 3,
                                  .window_start_ms = 2000,
                                  .window_end_ms = 40000};
  FaultScheduleOptions with = base;
  with.scales = 4;
  const std::vector<Fault> s = MakeFaultSchedule(with, 42);
  ASSERT_EQ(s.size(), 12u);
  int scales = 0;
  for (const Fault& f : s) {
    if (f.kind != FaultKind::kScale) continue;
    ++scales;
    EXPECT_EQ(f.instance, -1);
    EXPECT_EQ(f.broker, -1);
    EXPECT_FALSE(IsBrokerFault(f.kind));
  }
  EXPECT_EQ(scales, 4);
  EXPECT_EQ(MakeFaultSchedule(with, 42), s);
  with.scales = 0;
  EXPECT_EQ(MakeFaultSchedule(with, 42), MakeFaultSchedule(base, 42));
  EXPECT_EQ(FaultKindName(FaultKind::kScale), "scale");
}

// Network faults aim at an instance, are neither broker faults nor scales, and a seed's
// schedule without them is unchanged.
TEST(FaultScheduleClusterTest, NetworkFaultsAimAtAnInstanceAndLeaveOtherSchedulesAlone) {
  const FaultScheduleOptions base{.kills = 3,
                                  .broker_kills = 2,
                                  .scales = 2,
                                  .instances = 3,
                                  .brokers = 3,
                                  .window_start_ms = 2000,
                                  .window_end_ms = 60000};
  FaultScheduleOptions with = base;
  with.net_delays = 2;
  with.net_cuts = 3;
  with.isolations = 1;
  const std::vector<Fault> s = MakeFaultSchedule(with, 7);
  ASSERT_EQ(s.size(), 13u);
  std::map<FaultKind, int> count;
  for (const Fault& f : s) {
    if (!IsNetFault(f.kind)) continue;
    ++count[f.kind];
    EXPECT_THAT(f.instance, ::testing::AllOf(::testing::Ge(0), ::testing::Lt(3)));
    EXPECT_EQ(f.broker, -1);
    EXPECT_FALSE(IsBrokerFault(f.kind));
  }
  EXPECT_EQ(count[FaultKind::kNetDelay], 2);
  EXPECT_EQ(count[FaultKind::kNetCut], 3);
  EXPECT_EQ(count[FaultKind::kIsolate], 1);
  EXPECT_FALSE(IsNetFault(FaultKind::kKill));
  EXPECT_FALSE(IsNetFault(FaultKind::kBrokerPause));
  with.net_delays = with.net_cuts = with.isolations = 0;
  EXPECT_EQ(MakeFaultSchedule(with, 7), MakeFaultSchedule(base, 7));
  EXPECT_EQ(FaultKindName(FaultKind::kNetDelay), "net-delay");
  EXPECT_EQ(FaultKindName(FaultKind::kNetCut), "net-cut");
  EXPECT_EQ(FaultKindName(FaultKind::kIsolate), "isolate");
}

}  // namespace
}  // namespace onceflow::audit
