// `onceflow run --config` with a plugin that fails transiently (tests/testing/flaky_plugin.c),
// against a real broker: a record that fails fewer times than errors.max_attempts is retried
// and comes out exactly once, with nothing dead-lettered; a record that keeps failing is
// retried max_attempts - 1 times, then dead-lettered as "transient" with retry-count 4. Together:
// retries happen, and they are bounded.
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/child_process.h"
#include "base/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kafka/producer.h"
#include "tests/testing/pipeline_test.h"
#include "tests/testing/status_matchers.h"

namespace onceflow {
namespace {

using ::onceflow::base::ChildProcess;
using ::onceflow::base::SpawnOptions;
using ::onceflow::testing::IsOk;
using ::onceflow::testing::Isolation;
using ::onceflow::testing::ReadRecord;
using ::onceflow::testing::UniqueName;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using namespace std::chrono_literals;

constexpr int kRecords = 20;
constexpr int kPartitions = 2;

class SidecarRetryTest : public testing::PipelineTest {
 protected:
  // kRecords records k0..k19 / v0..v19, spread over the input's partitions (so offsets repeat
  // across partitions: the plugin counts attempts per topic, partition and offset).
  void ProduceInput(const std::string& in) {
    std::vector<std::pair<std::string, std::string>> input;
    for (int i = 0; i < kRecords; ++i)
      input.emplace_back(absl::StrCat("k", i), absl::StrCat("v", i));
    ProduceKeyValues(in, input, kPartitions);
  }

  // A pipeline: in -> flaky plugin (fail_times) -> out; at most 5 attempts with 10..50 ms
  // backoff, then the dead-letter topic.
  std::string Config(const std::string& app, const std::string& in, const std::string& out,
                     const std::string& dlq, int fail_times) {
    return WriteConfig(absl::StrCat(
        "application_id: ", app, "\ninstance_id: retry-test\n",
        "bootstrap_servers: ", testing::Bootstrap(), "\ninputs: [", in, "]\noutput: ", out,
        "\ncommit_interval_ms: 50\nstate:\n  dir: ", TempDir("state"),
        "\nconsumer:\n  session.timeout.ms: \"6000\"\n", "transforms:\n  - plugin:\n      path: ",
        ONCEFLOW_FLAKY_PLUGIN, "\n      config: {fail_times: \"", fail_times, "\"}\n",
        "errors:\n  policy: dlq\n  dead_letter_topic: ", dlq,
        "\n  max_attempts: 5\n  base_backoff_ms: 10\n  max_backoff_ms: 50\n",
        "metrics:\n  address: \"off\"\n"));
  }

  // Runs `config` with --until-drained; expects exit 0.
  void RunUntilDrained(const std::string& config, const std::string& log) {
    ASSERT_OK_AND_ASSIGN(ChildProcess child,
                         ChildProcess::Start(SidecarArgs(config, {"--until-drained"}),
                                             SpawnOptions::ToLog(LogPath(log))));
    ASSERT_OK_AND_ASSIGN(ChildProcess::Exit exit, child.Wait(120s));
    EXPECT_FALSE(exit.signaled) << "log " << LogPath(log);
    ASSERT_OK_AND_ASSIGN(const std::string text, base::ReadFile(LogPath(log)));
    ASSERT_EQ(exit.code, 0) << "log " << LogPath(log) << "\n" << text;
    EXPECT_THAT(text, HasSubstr("stopped (in="));
  }
};

// Each record fails twice (transient), the third attempt passes: every record comes out once,
// nothing is dead-lettered, and the plugin saw each record exactly three times.
TEST_F(SidecarRetryTest, TransientErrorsAreRetriedThenSucceed) {
  const std::string in = CreateTopic("sc-retry-in", kPartitions);
  const std::string out = CreateTopic("sc-retry-out", kPartitions);
  const std::string dlq = CreateTopic("sc-retry-dlq", 1);
  const std::string app = UniqueName("sc-retry");
  ProduceInput(in);

  RunUntilDrained(Config(app, in, out, dlq, /*fail_times=*/2), "retry");

  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> output, ReadAll(out, Isolation::kReadCommitted));
  std::map<std::string, int> seen;
  for (const ReadRecord& r : output) {
    ++seen[r.value];
    EXPECT_EQ(r.key, absl::StrCat("k", r.value.substr(1)));
    std::map<std::string, std::string> h(r.headers.begin(), r.headers.end());
    EXPECT_EQ(h["flaky-attempts"], "3") << r.value;  // failed twice, passed on the third
  }
  EXPECT_EQ(output.size(), static_cast<size_t>(kRecords));
  ASSERT_EQ(seen.size(), static_cast<size_t>(kRecords));
  for (int i = 0; i < kRecords; ++i) EXPECT_EQ(seen[absl::StrCat("v", i)], 1) << "v" << i;

  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> dead, ReadAll(dlq, Isolation::kReadCommitted));
  EXPECT_THAT(dead, IsEmpty());
}

// Each record fails 9 times, more than max_attempts (5): the host gives up after the 5th
// attempt (4 retries) and dead-letters every record as transient; nothing reaches the output.
TEST_F(SidecarRetryTest, RetriesAreBoundedByMaxAttempts) {
  const std::string in = CreateTopic("sc-giveup-in", kPartitions);
  const std::string out = CreateTopic("sc-giveup-out", kPartitions);
  const std::string dlq = CreateTopic("sc-giveup-dlq", 1);
  const std::string app = UniqueName("sc-giveup");
  ProduceInput(in);

  RunUntilDrained(Config(app, in, out, dlq, /*fail_times=*/9), "giveup");

  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> output, ReadAll(out, Isolation::kReadCommitted));
  EXPECT_THAT(output, IsEmpty());

  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> dead, ReadAll(dlq, Isolation::kReadCommitted));
  EXPECT_EQ(dead.size(), static_cast<size_t>(kRecords));
  std::set<std::string> values;
  for (const ReadRecord& r : dead) {
    SCOPED_TRACE(r.value);
    values.insert(r.value);
    std::map<std::string, std::string> h(r.headers.begin(), r.headers.end());
    EXPECT_EQ(h["original-topic"], in);
    EXPECT_EQ(h["error-class"], "transient");
    EXPECT_EQ(h["retry-count"], "4");
    // The last attempt's reason: the 5th of 9 failures.
    EXPECT_THAT(h["error-message"], HasSubstr("flaky: attempt 5 of "));
    EXPECT_THAT(h["error-message"], HasSubstr("(fail_times 9)"));
    EXPECT_EQ(h.count("flaky-attempts"), 0u);
  }
  EXPECT_EQ(values.size(), static_cast<size_t>(kRecords));
}

}  // namespace
}  // namespace onceflow
