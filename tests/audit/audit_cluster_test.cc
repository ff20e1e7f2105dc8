// `onceflow audit --cluster 3` end to end (label cluster): the real binary against
// scripts/kafka's three-broker cluster, which the audit starts if it is not running (scripts/test
// starts and stops it around this label). Each broker fault kind once over the first two tests
// (eos: rolling restart, transaction coordinator kill; alos: broker kill, broker pause), each
// network fault kind in the third (eos), a small workload, asserting each mode's guarantee and
// that every fault ran, from the --json report. About 8 min for the three on a 2-core machine.
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

// Exactly-once through the network faults: one instance's connections delayed, all of one
// instance's connections reset, and one instance cut off from every broker past its session
// and transaction timeouts, then healed (it comes back a zombie and must be fenced). The
// instances reach the brokers only through the audit's proxy (the brokers advertise its ports),
// so a cut closes real connections.
TEST(AuditClusterTest, ExactlyOnceHoldsUnderNetworkDelayCutAndIsolation) {
  const AuditOutcome out = RunAuditProcess(
      ClusterAudit("eos", "5",
                   {"--net-delays", "1", "--net-cuts", "1", "--isolations", "1",
                    "--net-delay-for-ms", "6000"}),
      TestName(), std::chrono::minutes(5));
  ASSERT_EQ(out.exit_code, 0) << out.log << out.json;
  EXPECT_EQ(JsonField(out.json, "ok"), 1) << out.json;
  EXPECT_EQ(JsonField(out.json, "delivered"), 20000);
  EXPECT_EQ(JsonField(out.json, "lost"), 0);
  EXPECT_EQ(JsonField(out.json, "duplicates"), 0);
  EXPECT_EQ(JsonField(out.json, "order_violations"), 0);
  EXPECT_EQ(JsonField(out.json, "counts_high"), 0);
  EXPECT_EQ(JsonField(out.json, "counts_low"), 0);
  EXPECT_EQ(JsonField(out.json, "committed_offsets_ok"), 1);
  EXPECT_EQ(JsonField(out.json, "net_delays"), 1);
  EXPECT_EQ(JsonField(out.json, "net_cuts"), 1);
  EXPECT_EQ(JsonField(out.json, "isolations"), 1);
  EXPECT_THAT(out.log, ::testing::ContainsRegex("cut i[0-9]'s [1-9][0-9]* connection"));
  EXPECT_THAT(out.log, ::testing::ContainsRegex("isolate +i[0-9] cut off from every broker"));
  // The isolation took hold: the victim (one that held partitions) went silent on them until
  // the group gave them away after its 6 s session timeout. Were the instances reaching the
  // brokers around the proxy, nothing would stall.
  const size_t isolate = out.json.find("\"kind\": \"isolate\"");
  ASSERT_NE(isolate, std::string::npos) << out.json;
  EXPECT_GE(JsonField(out.json, "stall_ms", isolate), 5000) << out.json;
  std::printf("%s\n", out.log.c_str());
}

}  // namespace
}  // namespace onceflow::audit
