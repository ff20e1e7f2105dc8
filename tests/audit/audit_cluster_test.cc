// `onceflow audit --cluster 3` end to end (label cluster): the real binary against
// scripts/kafka's three-broker cluster, which the audit starts if it is not running (scripts/test
// starts and stops it around this label). Each broker fault kind once over the two tests (eos:
// rolling restart, transaction coordinator kill; alos: broker kill, broker pause), a small
// workload, asserting each mode's guarantee and that every fault ran, from the --json report.
// About 6 min for both on a 2-core machine.
//
// The cluster's ports and folder are scripts/kafka's (ONCEFLOW_KAFKA_CLUSTER_PORT,
// ONCEFLOW_KAFKA_CLUSTER_DIR); $ONCEFLOW_BOOTSTRAP (the single broker of the other labels) is
// not used.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/audit/audit_process.h"

namespace onceflow::audit {
namespace {

const std::string kScript = std::string(ONCEFLOW_SOURCE_DIR) + "/scripts/kafka";

// 20,000 records, 2 instances, one kill of an instance, and the broker faults given, with
// shorter outages than the defaults (a pause of 12 s still outlasts the session and
// transaction timeouts; librdkafka's 30 s request timeout is the big audit's business).
std::vector<std::string> ClusterAudit(const std::string& mode, const std::string& seed,
                                      const std::vector<std::string>& faults) {
  std::vector<std::string> args = {"--cluster",        "3",       "--kafka-script",
                                   kScript,            "--mode",  mode,
                                   "--records",        "20000",   "--instances",
                                   "2",                "--kills", "1",
                                   "--broker-down-ms", "5000",    "--broker-pause-ms",
                                   "12000",            "--seed",  seed};
  args.insert(args.end(), faults.begin(), faults.end());
  return args;
}

std::string TestName() { return ::testing::UnitTest::GetInstance()->current_test_info()->name(); }

// Exactly-once through a rolling restart of every broker and the kill of an instance's
// transaction coordinator (seed 3 aims the coordinator kill, its first fault, at i0's
// transactional id: with seed 1 it came last, after the generator, on a slow machine).
TEST(AuditClusterTest, ExactlyOnceHoldsUnderRollingRestartAndTransactionCoordinatorKill) {
  const AuditOutcome out = RunAuditProcess(
      ClusterAudit("eos", "3", {"--rolling-restarts", "1", "--coordinator-kills", "1",
                           "--upstream-dup-rate", "0.01"}),
      TestName(), std::chrono::minutes(6));
  ASSERT_EQ(out.exit_code, 0) << out.log << out.json;
  EXPECT_EQ(JsonField(out.json, "ok"), 1) << out.json;
  EXPECT_EQ(JsonField(out.json, "brokers"), 3);
  EXPECT_EQ(JsonField(out.json, "delivered"), 20000);
  EXPECT_EQ(JsonField(out.json, "lost"), 0);
  EXPECT_EQ(JsonField(out.json, "duplicates"), 0);
  EXPECT_EQ(JsonField(out.json, "order_violations"), 0);
  EXPECT_EQ(JsonField(out.json, "aborted_reads"), 0);
  EXPECT_EQ(JsonField(out.json, "dedupe_state_missing"), 0);
  EXPECT_EQ(JsonField(out.json, "dedupe_state_extra"), 0);
  EXPECT_EQ(JsonField(out.json, "committed_offsets_ok"), 1);
  EXPECT_EQ(JsonField(out.json, "processor_kills"), 1);
  EXPECT_EQ(JsonField(out.json, "rolling_restarts"), 1);
  EXPECT_EQ(JsonField(out.json, "coordinator_kills"), 1);
  EXPECT_THAT(out.log, ::testing::HasSubstr("(transaction coordinator of "));
  std::printf("%s\n", out.log.c_str());
}

// At-least-once through a broker SIGKILLed (its leaderships fail over) and a broker paused
// past the session and transaction timeouts: nothing lost.
TEST(AuditClusterTest, AtLeastOnceLosesNothingUnderBrokerKillAndBrokerPause) {
  const AuditOutcome out = RunAuditProcess(
      ClusterAudit("alos", "1", {"--broker-kills", "1", "--broker-pauses", "1"}), TestName(),
      std::chrono::minutes(5));
  ASSERT_EQ(out.exit_code, 0) << out.log << out.json;
  EXPECT_EQ(JsonField(out.json, "ok"), 1) << out.json;
  EXPECT_EQ(JsonField(out.json, "lost"), 0);
  EXPECT_EQ(JsonField(out.json, "delivered"), 20000);
  EXPECT_EQ(JsonField(out.json, "committed_offsets_ok"), 1);
  EXPECT_EQ(JsonField(out.json, "broker_kills"), 1);
  EXPECT_EQ(JsonField(out.json, "broker_pauses"), 1);
  std::printf("%s\n", out.log.c_str());
}

}  // namespace
}  // namespace onceflow::audit
