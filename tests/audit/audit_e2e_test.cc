// `onceflow audit` end to end: the real binary against the real broker, one small audit per
// mode under kills, a pause past the timeouts and a hard broker restart, asserting each mode's
// guarantee from the --json report; and its usage errors.
//
// The broker restart needs scripts/kafka to manage $ONCEFLOW_BOOTSTRAP's broker; when it does
// not (a shared or remote broker), the audits run with --broker-restarts 0 and say so.
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/child_process.h"
#include "base/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/audit/audit_process.h"
#include "tests/testing/kafka_test.h"

namespace onceflow::audit {
namespace {

using ::onceflow::base::ChildProcess;
using ::testing::HasSubstr;

const std::string kScript = std::string(ONCEFLOW_SOURCE_DIR) + "/scripts/kafka";

// Whether scripts/kafka manages the broker under test (so restarting it is allowed).
bool ScriptManagesBroker() {
  FILE* pipe = ::popen(("'" + kScript + "' bootstrap 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return false;
  char buf[256] = {};
  const size_t n = std::fread(buf, 1, sizeof(buf) - 1, pipe);
  const bool ok = ::pclose(pipe) == 0;
  return ok && absl::StripAsciiWhitespace(std::string(buf, n)) == testing::Bootstrap();
}

class AuditE2eTest : public ::testing::Test {
 protected:
  using Outcome = AuditOutcome;

  Outcome RunAudit(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--bootstrap", testing::Bootstrap(), "--kafka-script",
                                     kScript};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunAuditProcess(args, ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                           std::chrono::seconds(230));
  }

  // 20,000 records, 2 instances, 5 kills, 1 pause, 1 broker restart (when allowed).
  std::vector<std::string> SmallAudit(const std::string& mode) {
    broker_restarts_ = ScriptManagesBroker() ? 1 : 0;
    if (broker_restarts_ == 0) {
      std::printf("note: %s does not manage the broker at %s; auditing without broker restarts\n",
                  kScript.c_str(), testing::Bootstrap().c_str());
    }
    return {"--mode",      mode, "--records",         "20000",
            "--instances", "2",  "--kills",           "5",
            "--pauses",    "1",  "--broker-restarts", absl::StrCat(broker_restarts_),
            "--seed",      "7"};
  }

  int broker_restarts_ = 0;
};

TEST_F(AuditE2eTest, ExactlyOnceHoldsUnderKillsPauseAndBrokerRestart) {
  std::vector<std::string> args = SmallAudit("eos");
  args.insert(args.end(), {"--upstream-dup-rate", "0.01"});
  const Outcome out = RunAudit(args);
  ASSERT_EQ(out.exit_code, 0) << out.log << out.json;
  EXPECT_EQ(JsonField(out.json, "ok"), 1) << out.json;
  EXPECT_EQ(JsonField(out.json, "records"), 20000);
  EXPECT_EQ(JsonField(out.json, "delivered"), 20000);
  EXPECT_EQ(JsonField(out.json, "lost"), 0);
  EXPECT_EQ(JsonField(out.json, "duplicates"), 0);
  EXPECT_EQ(JsonField(out.json, "order_violations"), 0);
  EXPECT_EQ(JsonField(out.json, "aborted_reads"), 0);
  // The faults bit: transactions were aborted, and their records sit in the log.
  EXPECT_GT(JsonField(out.json, "aborted_in_log"), 0) << out.json;
  EXPECT_EQ(JsonField(out.json, "processor_kills"), 5);
  EXPECT_EQ(JsonField(out.json, "pauses"), 1);
  EXPECT_EQ(JsonField(out.json, "broker_restarts"), broker_restarts_);
  // Dedupe dropped every upstream duplicate, and its state matches the output.
  EXPECT_GT(JsonField(out.json, "upstream_duplicates_injected"), 0);
  EXPECT_EQ(JsonField(out.json, "upstream_duplicates_dropped"),
            JsonField(out.json, "upstream_duplicates_injected"));
  EXPECT_EQ(JsonField(out.json, "dedupe_state_missing"), 0);
  EXPECT_EQ(JsonField(out.json, "dedupe_state_extra"), 0);
  EXPECT_EQ(JsonField(out.json, "committed_offsets_ok"), 1);
  EXPECT_GT(JsonField(out.json, "max_stall_ms"), 0);
  // Every output's running count equals its key's sequence number; the store agrees.
  EXPECT_EQ(JsonField(out.json, "counts_checked"), 20000);
  EXPECT_EQ(JsonField(out.json, "counts_high"), 0);
  EXPECT_EQ(JsonField(out.json, "counts_low"), 0);
  EXPECT_EQ(JsonField(out.json, "count_state_ahead"), 0);
  EXPECT_EQ(JsonField(out.json, "count_state_behind"), 0);
  std::printf("%s\n", out.log.c_str());
}

// Both modes with a transiently failing stage after the count stage and poison records the
// output topic refuses, beside kills and upstream duplicates: every retried record delivered
// once (eos) with its count right, every poison record in the dead-letter topic with its reason.
TEST_F(AuditE2eTest, TransformFaultsAndPoisonEndInRetriesAndDeadLetters) {
  // A poison record costs eos an abort whose epoch bump waits out transaction.timeout.ms
  // (10 s here; docs/guarantees.md), so they are few.
  const Outcome out =
      RunAudit({"--mode", "both", "--records", "6000", "--instances", "2", "--kills", "2",
                "--upstream-dup-rate", "0.02", "--transform-fault-rate", "0.03", "--poison-rate",
                "0.002", "--seed", "7"});
  ASSERT_EQ(out.exit_code, 0) << out.log << out.json;
  const size_t alos = out.json.find("\"mode\": \"alos\"");
  ASSERT_NE(alos, std::string::npos) << out.json;
  for (const size_t from : {size_t{0}, alos}) {
    SCOPED_TRACE(from == 0 ? "eos" : "alos");
    EXPECT_EQ(JsonField(out.json, "ok", from), 1) << out.json;
    EXPECT_EQ(JsonField(out.json, "lost", from), 0);
    EXPECT_EQ(JsonField(out.json, "counts_low", from), 0);
    EXPECT_EQ(JsonField(out.json, "count_state_behind", from), 0);
    EXPECT_GT(JsonField(out.json, "transient_retried", from), 100) << out.json;
    EXPECT_GE(JsonField(out.json, "poison_expected", from), 5) << out.json;
    EXPECT_EQ(JsonField(out.json, "poison_dead_lettered", from),
              JsonField(out.json, "poison_expected", from));
    EXPECT_EQ(JsonField(out.json, "poison_lost", from), 0);
    EXPECT_EQ(JsonField(out.json, "poison_in_output", from), 0);
    EXPECT_EQ(JsonField(out.json, "dead_letters_unexpected", from), 0);
  }
  // Exactly once: no duplicate output, dead letter or count.
  EXPECT_EQ(JsonField(out.json, "duplicates"), 0);
  EXPECT_EQ(JsonField(out.json, "dead_letter_duplicates"), 0);
  EXPECT_EQ(JsonField(out.json, "counts_high"), 0);
  EXPECT_EQ(JsonField(out.json, "count_state_ahead"), 0);
  EXPECT_EQ(JsonField(out.json, "upstream_duplicates_dropped"),
            JsonField(out.json, "upstream_duplicates_injected"));
  EXPECT_THAT(out.log, HasSubstr("reason: permanent: an output cannot be produced"));
  std::printf("%s\n", out.log.c_str());
}

// The same schedule under at-least-once: nothing lost, and the kills (which land while
// records flow, with up to --commit-interval-ms of produced but uncommitted output) replay
// records, so duplicates appear.
// Instances added and removed mid-run: a fourth instance joins (the group rebalances), later
// leaves on SIGTERM, twice, beside kills; exactly-once holds and the counts stay right.
TEST_F(AuditE2eTest, ExactlyOnceHoldsWhileTheGroupScalesOutAndIn) {
  // 6 partitions, so the fourth member gets some (with 3 it got none: range gives i3 nothing).
  const Outcome out = RunAudit({"--mode", "eos", "--records", "12000", "--partitions", "6",
                                "--instances", "3", "--kills", "2", "--scales", "4",
                                "--upstream-dup-rate", "0.01", "--seed", "5"});
  ASSERT_EQ(out.exit_code, 0) << out.log << out.json;
  EXPECT_EQ(JsonField(out.json, "ok"), 1) << out.json;
  EXPECT_EQ(JsonField(out.json, "delivered"), 12000);
  EXPECT_EQ(JsonField(out.json, "lost"), 0);
  EXPECT_EQ(JsonField(out.json, "duplicates"), 0);
  EXPECT_EQ(JsonField(out.json, "order_violations"), 0);
  EXPECT_EQ(JsonField(out.json, "scale_outs"), 2) << out.json;
  EXPECT_EQ(JsonField(out.json, "scale_ins"), 2) << out.json;
  EXPECT_EQ(JsonField(out.json, "processor_kills"), 2);
  EXPECT_EQ(JsonField(out.json, "upstream_duplicates_dropped"),
            JsonField(out.json, "upstream_duplicates_injected"));
  EXPECT_EQ(JsonField(out.json, "counts_high"), 0);
  EXPECT_EQ(JsonField(out.json, "counts_low"), 0);
  EXPECT_EQ(JsonField(out.json, "committed_offsets_ok"), 1);
  // The added instance took part: it was started (and stopped) as i3, held partitions and
  // processed records.
  EXPECT_THAT(out.log, HasSubstr("scale out: started i3"));
  EXPECT_THAT(out.log, HasSubstr("scale in: SIGTERM i3"));
  const std::string i3 =
      base::ReadFile(::testing::TempDir() +
                     "audit-ExactlyOnceHoldsWhileTheGroupScalesOutAndIn/eos/i3.log")
          .value_or("");
  EXPECT_THAT(i3, HasSubstr("assigned 1 partition(s)")) << i3;  // 6 over 4: 2, 2, 1, 1
  EXPECT_THAT(i3, ::testing::Not(HasSubstr("stopped (in=0 "))) << i3;
  std::printf("%s\n", out.log.c_str());
}

// The audit's generator survives a fatal error of its idempotent producer (librdkafka 2.0.2
// raises OUT_OF_ORDER_SEQUENCE_NUMBER on a broker failover; here injected before record 3000):
// it recovers with a new producer, sends again what the input lacks, and the run is judged.
// Without dedupe, so a record twice in the input would show as a duplicate unless counted.
TEST_F(AuditE2eTest, TheGeneratorRecoversFromAFatalProducerError) {
  const Outcome out =
      RunAudit({"--mode", "eos", "--records", "8000", "--instances", "2", "--kills", "1",
                "--seed", "11", "--inject-generator-fatal-at", "3000"});
  ASSERT_EQ(out.exit_code, 0) << out.log << out.json;
  EXPECT_EQ(JsonField(out.json, "ok"), 1) << out.json;
  EXPECT_EQ(JsonField(out.json, "generator_recoveries"), 1) << out.json;
  // At least the record whose send failed went again.
  EXPECT_GE(JsonField(out.json, "generator_resent"), 1) << out.json;
  // Every planned record in the input, no more (a repeat would be counted here).
  EXPECT_EQ(JsonField(out.json, "input_records"),
            8000 + JsonField(out.json, "input_duplicates"));
  EXPECT_EQ(JsonField(out.json, "delivered"), 8000);
  EXPECT_EQ(JsonField(out.json, "lost"), 0);
  EXPECT_EQ(JsonField(out.json, "duplicates"), 0);
  EXPECT_EQ(JsonField(out.json, "order_violations"), 0);
  EXPECT_EQ(JsonField(out.json, "counts_checked"), 8000);
  EXPECT_EQ(JsonField(out.json, "counts_high"), 0);
  EXPECT_EQ(JsonField(out.json, "counts_low"), 0);
  const std::string faults = base::ReadFile(::testing::TempDir() +
                                            "audit-TheGeneratorRecoversFromAFatalProducerError/"
                                            "eos/faults.log")
                                 .value_or("");
  EXPECT_THAT(faults, HasSubstr("OUT_OF_ORDER_SEQUENCE_NUMBER")) << faults;
  EXPECT_THAT(faults, HasSubstr("recovering (1 of at most 8)")) << faults;
  std::printf("%s\n", out.log.c_str());
}

TEST_F(AuditE2eTest, AtLeastOnceLosesNothingButDuplicates) {
  const Outcome out = RunAudit(SmallAudit("alos"));
  ASSERT_EQ(out.exit_code, 0) << out.log << out.json;
  EXPECT_EQ(JsonField(out.json, "ok"), 1) << out.json;
  EXPECT_EQ(JsonField(out.json, "lost"), 0);
  EXPECT_EQ(JsonField(out.json, "delivered"), 20000);
  EXPECT_GT(JsonField(out.json, "duplicates"), 0) << out.json;
  EXPECT_EQ(JsonField(out.json, "processor_kills"), 5);
  EXPECT_EQ(JsonField(out.json, "pauses"), 1);
  EXPECT_EQ(JsonField(out.json, "committed_offsets_ok"), 1);
  std::printf("%s\n", out.log.c_str());
}

TEST_F(AuditE2eTest, UsageErrorsExitTwo) {
  Outcome out = RunAudit({"--mode", "sometimes"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.log, HasSubstr("onceflow audit: --mode: sometimes not in {eos,alos,both}"));
  EXPECT_THAT(out.log, HasSubstr("Run 'onceflow audit --help' for usage."));
  out = RunAudit({"--records", "many"});
  EXPECT_EQ(out.exit_code, 2);
  out = RunAudit({"--poison-rate", "0.9"});
  EXPECT_EQ(out.exit_code, 2);
  out = RunAudit({"--transform-fault-rate", "-1"});
  EXPECT_EQ(out.exit_code, 2);
  out = RunAudit({"--records", "1000", "--inject-generator-fatal-at", "1000"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.log, HasSubstr("past the last of --records 1000"));
  out = RunAudit({"--broker-restarts", "1", "--kafka-script", "/nonexistent/kafka"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.log, HasSubstr("is not executable"));
  // A broker the script does not manage: restarting it would restart the wrong broker.
  out = RunAudit({"--broker-restarts", "1", "--bootstrap", "127.0.0.1:1"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.log, HasSubstr("not --bootstrap 127.0.0.1:1"));
  // The broker faults need the cluster.
  out = RunAudit({"--broker-kills", "1"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.log, HasSubstr("need a cluster: add --cluster 3"));
  out = RunAudit({"--net-cuts", "1"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.log, HasSubstr("need a cluster"));
  // Targets: an unknown placeholder, a command that is not told where the cluster is, and
  // onceflow's own fault stages under another target.
  out = RunAudit({"--target", "job {bootstrap} {instanse}"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.log, HasSubstr("unknown placeholder {instanse}"));
  out = RunAudit({"--target", "kafka-stream"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.log, HasSubstr("names neither {bootstrap} nor {config}"));
  out = RunAudit({"--target", "job {bootstrap}", "--poison-rate", "0.01"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.log, HasSubstr("not with --target command"));
}

// Any processor, through a command template: here onceflow itself, started by the template
// (`/bin/sh -c 'exec ...'`, so kills and pauses reach the processor, not a shell), is
// audited like the built-in target; and a processor that does not keep exactly-once (the same
// binary, its config switched to at-least-once by a wrapper script, audited as eos) is caught:
// exit 1, with the duplicates its kills made.
TEST_F(AuditE2eTest, ACommandTargetIsAuditedAndOneThatBreaksExactlyOnceIsCaught) {
  const std::string good = absl::StrCat(ONCEFLOW_CLI_BIN, " run --config {config}");
  Outcome out = RunAudit({"--mode", "eos", "--records", "8000", "--instances", "2", "--kills",
                          "3", "--seed", "11", "--target", good});
  ASSERT_EQ(out.exit_code, 0) << out.log << out.json;
  EXPECT_EQ(JsonField(out.json, "ok"), 1) << out.json;
  EXPECT_NE(out.json.find("\"target\": \"command\""), std::string::npos) << out.json;
  EXPECT_EQ(JsonField(out.json, "delivered"), 8000);
  EXPECT_EQ(JsonField(out.json, "duplicates"), 0);
  EXPECT_EQ(JsonField(out.json, "processor_kills"), 3);
  EXPECT_EQ(JsonField(out.json, "counts"), 0);  // a command's job writes no count header

  const std::string dir = ::testing::TempDir() + "/onceflow-audit-alos-wrapper";
  std::filesystem::create_directories(dir);
  const std::string wrapper = dir + "/as-alos";
  ASSERT_TRUE(base::WriteFile(wrapper, absl::StrCat("#!/bin/sh\n"
                                                    "sed 's/^mode: eos$/mode: alos/' \"$1\" > "
                                                    "\"$1.alos.yaml\"\n"
                                                    "exec '",
                                                    ONCEFLOW_CLI_BIN,
                                                    "' run --config \"$1.alos.yaml\"\n"))
                  .ok());
  std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
  out = RunAudit({"--mode", "eos", "--records", "8000", "--instances", "2", "--kills", "3",
                  "--seed", "11", "--target", wrapper + " {config}"});
  EXPECT_EQ(out.exit_code, 1) << out.log << out.json;
  EXPECT_EQ(JsonField(out.json, "ok"), 0) << out.json;
  EXPECT_GT(JsonField(out.json, "duplicates"), 0) << out.json;
  EXPECT_EQ(JsonField(out.json, "lost"), 0) << out.json;
  EXPECT_THAT(out.log, HasSubstr("broke its guarantee: duplicates"));
}

// Kafka Streams beside onceflow, under the same seed and schedule (a pause past the timeouts,
// two kills, upstream duplicates): the peer's audit mode (bench/peers/kafka-streams, AuditPeer,
// built by the audit on first use) with the same transform, so every check applies to both,
// its count and dedupe stores included.
TEST_F(AuditE2eTest, KafkaStreamsIsAuditedBesideOnceflowUnderTheSameSchedule) {
  const Outcome out = RunAuditProcess(
      {"--bootstrap", testing::Bootstrap(), "--kafka-script", kScript, "--target",
       "onceflow,kafka-streams", "--mode", "eos", "--records", "6000", "--instances", "2",
       "--kills", "2", "--pauses", "1", "--upstream-dup-rate", "0.01", "--seed", "9"},
      "KafkaStreamsIsAuditedBesideOnceflowUnderTheSameSchedule", std::chrono::minutes(7));
  ASSERT_EQ(out.exit_code, 0) << out.log << out.json;
  // The runs in order, onceflow's first; each object starts with its mode.
  ASSERT_LT(out.json.find("\"target\": \"onceflow\""),
            out.json.find("\"target\": \"kafka-streams\""))
      << out.json;
  ASSERT_NE(out.json.find("\"target\": \"kafka-streams\""), std::string::npos) << out.json;
  const size_t streams =
      out.json.rfind("{\"mode\": ", out.json.find("\"target\": \"kafka-streams\""));
  for (const size_t from : {size_t{0}, streams}) {
    EXPECT_EQ(JsonField(out.json, "ok", from), 1) << out.json;
    EXPECT_EQ(JsonField(out.json, "delivered", from), 6000);
    EXPECT_EQ(JsonField(out.json, "lost", from), 0);
    EXPECT_EQ(JsonField(out.json, "duplicates", from), 0);
    EXPECT_EQ(JsonField(out.json, "aborted_reads", from), 0);
    EXPECT_EQ(JsonField(out.json, "upstream_duplicates_dropped", from),
              JsonField(out.json, "upstream_duplicates_injected", from));
    EXPECT_GT(JsonField(out.json, "upstream_duplicates_injected", from), 0);
    EXPECT_EQ(JsonField(out.json, "dedupe_state_missing", from), 0);
    EXPECT_EQ(JsonField(out.json, "counts_checked", from), 6000);
    EXPECT_EQ(JsonField(out.json, "counts_high", from), 0);
    EXPECT_EQ(JsonField(out.json, "count_state_keys", from), 100);
    EXPECT_EQ(JsonField(out.json, "processor_kills", from), 2);
    EXPECT_EQ(JsonField(out.json, "pauses", from), 1);
  }
  std::printf("%s\n", out.log.c_str());
}

// A run that cannot be carried out (here: the cluster does not start, as a script that always
// fails stands in for it) exits 3, not 1: CI can tell the infrastructure from a broken guarantee.
TEST_F(AuditE2eTest, ARunThatCannotBeCarriedOutExitsThree) {
  const Outcome out = RunAudit({"--cluster", "3", "--broker-kills", "1", "--kafka-script",
                                "/bin/false"});
  EXPECT_EQ(out.exit_code, 3) << out.log;
  EXPECT_THAT(out.log, HasSubstr("the cluster did not start"));
}

}  // namespace
}  // namespace onceflow::audit
