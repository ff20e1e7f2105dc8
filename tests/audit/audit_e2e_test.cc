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
#include "tests/testing/kafka_test.h"

namespace onceflow::audit {
namespace {

using ::onceflow::base::ChildProcess;
using ::testing::HasSubstr;

const std::string kScript = std::string(ONCEFLOW_SOURCE_DIR) + "/scripts/kafka";

// The number after "field": in a one-run --json report; -1 when absent.
int64_t Field(const std::string& json, const std::string& field) {
  const std::string needle = "\"" + field + "\": ";
  const size_t at = json.find(needle);
  if (at == std::string::npos) return -1;
  const size_t start = at + needle.size();
  const std::string rest = json.substr(start, json.find_first_of(",}", start) - start);
  if (rest == "true") return 1;
  if (rest == "false") return 0;
  double v = 0;
  return absl::SimpleAtod(rest, &v) ? static_cast<int64_t>(v) : -1;
}

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
  struct Outcome {
    int exit_code = -1;
    std::string json;
    std::string log;
  };

  Outcome RunAudit(const std::vector<std::string>& extra) {
    const std::string dir = ::testing::TempDir() + "audit-" +
                            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::vector<std::string> args = {ONCEFLOW_CLI_BIN, "audit", "--bootstrap", testing::Bootstrap(),
                                     "--run-dir",      dir,     "--json",      dir + ".json",
                                     "--kafka-script", kScript};
    args.insert(args.end(), extra.begin(), extra.end());
    Outcome out;
    const std::string log = dir + ".log";
    std::filesystem::remove_all(dir);  // a previous run's logs would be appended to
    std::remove((dir + ".json").c_str());
    std::remove(log.c_str());
    absl::StatusOr<ChildProcess> child = ChildProcess::Start(args, base::SpawnOptions::ToLog(log));
    EXPECT_TRUE(child.ok()) << child.status();
    if (!child.ok()) return out;
    absl::StatusOr<ChildProcess::Exit> exit = child->Wait(std::chrono::seconds(230));
    EXPECT_TRUE(exit.ok()) << exit.status();
    if (exit.ok()) out.exit_code = exit->signaled ? 128 + exit->signal : exit->code;
    // A failed audit may write no report: the checks on an empty one fail and print the log.
    out.json = base::ReadFile(dir + ".json").value_or("");
    out.log = base::ReadFile(log).value_or("");
    return out;
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
  EXPECT_EQ(Field(out.json, "ok"), 1) << out.json;
  EXPECT_EQ(Field(out.json, "records"), 20000);
  EXPECT_EQ(Field(out.json, "delivered"), 20000);
  EXPECT_EQ(Field(out.json, "lost"), 0);
  EXPECT_EQ(Field(out.json, "duplicates"), 0);
  EXPECT_EQ(Field(out.json, "order_violations"), 0);
  EXPECT_EQ(Field(out.json, "aborted_reads"), 0);
  // The faults bit: transactions were aborted, and their records sit in the log.
  EXPECT_GT(Field(out.json, "aborted_in_log"), 0) << out.json;
  EXPECT_EQ(Field(out.json, "processor_kills"), 5);
  EXPECT_EQ(Field(out.json, "pauses"), 1);
  EXPECT_EQ(Field(out.json, "broker_restarts"), broker_restarts_);
  // Dedupe dropped every upstream duplicate, and its state matches the output.
  EXPECT_GT(Field(out.json, "upstream_duplicates_injected"), 0);
  EXPECT_EQ(Field(out.json, "upstream_duplicates_dropped"),
            Field(out.json, "upstream_duplicates_injected"));
  EXPECT_EQ(Field(out.json, "dedupe_state_missing"), 0);
  EXPECT_EQ(Field(out.json, "dedupe_state_extra"), 0);
  EXPECT_EQ(Field(out.json, "committed_offsets_ok"), 1);
  EXPECT_GT(Field(out.json, "max_stall_ms"), 0);
  std::printf("%s\n", out.log.c_str());
}

// The same schedule under at-least-once: nothing lost, and the kills (which land while
// records flow, with up to --commit-interval-ms of produced but uncommitted output) replay
// records, so duplicates appear.
TEST_F(AuditE2eTest, AtLeastOnceLosesNothingButDuplicates) {
  const Outcome out = RunAudit(SmallAudit("alos"));
  ASSERT_EQ(out.exit_code, 0) << out.log << out.json;
  EXPECT_EQ(Field(out.json, "ok"), 1) << out.json;
  EXPECT_EQ(Field(out.json, "lost"), 0);
  EXPECT_EQ(Field(out.json, "delivered"), 20000);
  EXPECT_GT(Field(out.json, "duplicates"), 0) << out.json;
  EXPECT_EQ(Field(out.json, "processor_kills"), 5);
  EXPECT_EQ(Field(out.json, "pauses"), 1);
  EXPECT_EQ(Field(out.json, "committed_offsets_ok"), 1);
  std::printf("%s\n", out.log.c_str());
}

TEST_F(AuditE2eTest, UsageErrorsExitTwo) {
  Outcome out = RunAudit({"--mode", "sometimes"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.log, HasSubstr("onceflow audit: --mode: sometimes not in {eos,alos,both}"));
  EXPECT_THAT(out.log, HasSubstr("Run 'onceflow audit --help' for usage."));
  out = RunAudit({"--records", "many"});
  EXPECT_EQ(out.exit_code, 2);
  out = RunAudit({"--broker-restarts", "1", "--kafka-script", "/nonexistent/kafka"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.log, HasSubstr("is not executable"));
  // A broker the script does not manage: restarting it would restart the wrong broker.
  out = RunAudit({"--broker-restarts", "1", "--bootstrap", "127.0.0.1:1"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.log, HasSubstr("not --bootstrap 127.0.0.1:1"));
}

}  // namespace
}  // namespace onceflow::audit
