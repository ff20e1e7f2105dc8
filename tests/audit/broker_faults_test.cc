// The broker faults' plans: which scripts/kafka commands, in which order, with which waits.
#include "audit/broker_faults.h"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onceflow::audit {
namespace {

using ::testing::ElementsAre;

const BrokerFaultOptions kCluster{.script = "k", .brokers = 3, .down_ms = 8000, .pause_ms = 35000};

TEST(PlanBrokerFaultTest, TheSingleBrokerIsRestartedHard) {
  const BrokerFaultOptions single{.script = "k"};
  const std::vector<BrokerStep> steps = PlanBrokerFault(FaultKind::kBrokerRestart, -1, single);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_THAT(steps[0].argv, ElementsAre("k", "restart", "--hard"));
}

TEST(PlanBrokerFaultTest, EachKindsStepsOnACluster) {
  struct Case {
    FaultKind kind;
    int broker;
    std::string steps;
  };
  for (const Case& c : std::vector<Case>{
           {FaultKind::kBrokerRestart, 2,
            "broker 2 restart --hard; wait-replicated 180"},
           {FaultKind::kBrokerKill, 3,
            "broker 3 kill; wait 8000 ms; broker 3 start; wait-replicated 180"},
           {FaultKind::kCoordinatorKill, 1,
            "broker 1 kill; wait 8000 ms; broker 1 start; wait-replicated 180"},
           {FaultKind::kBrokerPause, 2,
            "broker 2 pause; wait 35000 ms; broker 2 resume; wait-replicated 180"},
           {FaultKind::kRollingRestart, -1,
            "broker 1 restart; wait-replicated 180; broker 2 restart; wait-replicated 180; "
            "broker 3 restart; wait-replicated 180"},
       }) {
    EXPECT_EQ(DescribeSteps(PlanBrokerFault(c.kind, c.broker, kCluster)), c.steps)
        << FaultKindName(c.kind);
  }
}

TEST(PlanBrokerFaultTest, CommandsNameTheCluster) {
  const std::vector<BrokerStep> steps = PlanBrokerFault(FaultKind::kBrokerKill, 2, kCluster);
  ASSERT_EQ(steps.size(), 4u);
  EXPECT_THAT(steps[0].argv, ElementsAre("k", "--cluster", "3", "broker", "2", "kill"));
  EXPECT_TRUE(steps[1].argv.empty());
  EXPECT_EQ(steps[1].wait_ms, 8000);
  EXPECT_THAT(steps[3].argv, ElementsAre("k", "--cluster", "3", "wait-replicated", "180"));
}

TEST(BrokerFaultRunTest, RunsCommandsAndWaitsInOrderAndFailsOnAFailedCommand) {
  const std::string log = ::testing::TempDir() + "broker_fault_run.log";
  BrokerFaultRun ok({{.argv = {"/bin/true"}}, {.argv = {}, .wait_ms = 1}, {.argv = {"/bin/true"}}},
                    log);
  absl::StatusOr<bool> done = false;
  for (int i = 0; i < 1000 && done.ok() && !*done; ++i) {
    done = ok.Poll();
    if (done.ok() && !*done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // real children
    }
  }
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_TRUE(*done);

  BrokerFaultRun failing({{.argv = {"/bin/false"}}, {.argv = {"/bin/true"}}}, log);
  absl::StatusOr<bool> failed = false;
  for (int i = 0; i < 1000 && failed.ok() && !*failed; ++i) {
    failed = failing.Poll();
    if (failed.ok() && !*failed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(failed.status().message()), ::testing::HasSubstr("/bin/false"));
}

}  // namespace
}  // namespace onceflow::audit
