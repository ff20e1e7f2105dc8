// `onceflow bench` end to end against the broker: a tiny run of raw and both onceflow modes
// (with a short latency run and --verify), then the JSON it wrote is checked field by field,
// and every count against the input.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/child_process.h"
#include "base/clock.h"
#include "base/file.h"
#include "base/retry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kafka/admin.h"
#include "kafka/handles.h"
#include "tests/testing/kafka_test.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::testing {
namespace {

using ::onceflow::base::ChildProcess;

constexpr int64_t kRecords = 3000;

// The result object of `system` in the JSON (the text from its "system" key to its closing
// brace; results hold no nested objects).
std::string ResultOf(const std::string& json, const std::string& system) {
  const std::string key = absl::StrCat("{\"system\": \"", system, "\"");
  const size_t at = json.find(key);
  if (at == std::string::npos) return "";
  return json.substr(at, json.find('}', at) - at + 1);
}

// The raw text of a field's value ("null", a number, a quoted string...), or "" if absent.
std::string Field(const std::string& object, const std::string& name) {
  const std::string key = absl::StrCat("\"", name, "\": ");
  const size_t at = object.find(key);
  if (at == std::string::npos) return "";
  const size_t start = at + key.size();
  size_t end = object.find_first_of(",}", start);
  if (object[start] == '[') end = object.find(']', start) + 1;
  return object.substr(start, end - start);
}

// Runs `onceflow bench --bootstrap <broker> ARGS... --json <dir>/NAME.json` to completion
// (at most 240 s), expects exit 0, and returns the JSON it wrote ("" after a failure, with the
// log in the failure message).
std::string RunBench(const std::vector<std::string>& args, const std::string& name) {
  const std::string dir = ::testing::TempDir();
  const std::string json = absl::StrCat(dir, "/", name, ".json");
  const std::string log = absl::StrCat(dir, "/", name, ".log");
  std::remove(json.c_str());
  std::remove(log.c_str());
  std::vector<std::string> argv = {ONCEFLOW_CLI_BIN, "bench", "--bootstrap", Bootstrap()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--json", json});
  absl::StatusOr<ChildProcess> child = ChildProcess::Start(argv, base::SpawnOptions::ToLog(log));
  EXPECT_TRUE(child.ok()) << child.status();
  if (!child.ok()) return "";
  absl::StatusOr<ChildProcess::Exit> exit = child->Wait(std::chrono::seconds(240));
  EXPECT_TRUE(exit.ok()) << exit.status();
  if (!exit.ok()) return "";
  EXPECT_FALSE(exit->signaled);
  EXPECT_EQ(exit->code, 0) << base::ReadFile(log).value_or("(no log)");
  if (exit->signaled || exit->code != 0) return "";
  return base::ReadFile(json).value_or("");
}

double Number(const std::string& object, const std::string& name) {
  double v = -1;
  EXPECT_TRUE(absl::SimpleAtod(Field(object, name), &v)) << name << " in " << object;
  return v;
}

TEST(BenchCommandTest, TinyRunWritesCompleteJsonAndCountsAddUp) {
  const std::string text = RunBench({"--systems", "raw,onceflow-alos,onceflow-eos", "--records",
                                      absl::StrCat(kRecords), "--repeat", "1", "--partitions", "3",
                                      "--no-calibrate", "--latency-seconds", "1",
                                      "--rate-fraction", "0.2", "--verify"},
                                     "bench");
  ASSERT_FALSE(text.empty());
  ASSERT_THAT(text, ::testing::StartsWith("{\"config\": {")) << text;
  EXPECT_THAT(text, ::testing::HasSubstr("\"results\": ["));
  EXPECT_EQ(Field(text, "records"), absl::StrCat(kRecords));  // the config's, first in the file
  for (const std::string system : {"raw", "onceflow-alos", "onceflow-eos"}) {
    SCOPED_TRACE(system);
    const std::string r = ResultOf(text, system);
    ASSERT_FALSE(r.empty()) << text;
    for (const std::string field :
         {"records", "bytes", "records_per_sec", "mb_per_sec", "cpu_sec_per_million", "p50_ms",
          "p99_ms", "p999_ms", "size", "partitions", "threads", "commit_interval_ms", "runs",
          "records_per_sec_min", "records_per_sec_max", "output_records", "latency_rate",
          "latency_samples"}) {
      const std::string v = Field(r, field);
      EXPECT_FALSE(v.empty()) << field << " missing in " << r;
      EXPECT_NE(v, "null") << field << " is null in " << r;
    }
    // Every input record processed once, every output readable once under read_committed.
    EXPECT_EQ(Number(r, "records"), kRecords);
    EXPECT_EQ(Number(r, "bytes"), kRecords * 1024);
    EXPECT_EQ(Number(r, "output_records"), kRecords);
    EXPECT_EQ(Number(r, "runs"), 1);
    EXPECT_GT(Number(r, "records_per_sec"), 0);
    EXPECT_NEAR(Number(r, "mb_per_sec"), Number(r, "records_per_sec") * 1024 / 1e6, 0.01);
    EXPECT_GT(Number(r, "cpu_sec_per_million"), 0);
    // Percentiles in order, and every paced record read back.
    EXPECT_LE(Number(r, "p50_ms"), Number(r, "p99_ms"));
    EXPECT_LE(Number(r, "p99_ms"), Number(r, "p999_ms"));
    EXPECT_GT(Number(r, "latency_samples"), 0);
  }
  EXPECT_EQ(Number(ResultOf(text, "raw"), "ratio_to_raw"), 1.0);
  EXPECT_GT(Number(ResultOf(text, "onceflow-eos"), "transactions"), 0);
  // Commits per second: eos transactions, alos offset commits; none for raw.
  EXPECT_GT(Number(ResultOf(text, "onceflow-eos"), "commits_per_sec"), 0);
  EXPECT_GT(Number(ResultOf(text, "onceflow-alos"), "commits_per_sec"), 0);
  EXPECT_EQ(Field(ResultOf(text, "raw"), "commits_per_sec"), "null");
  // The share of the span spent committing: a fraction, for onceflow only.
  for (const std::string system : {"onceflow-alos", "onceflow-eos"}) {
    EXPECT_GT(Number(ResultOf(text, system), "commit_share"), 0) << system;
    EXPECT_LT(Number(ResultOf(text, system), "commit_share"), 1) << system;
  }
  EXPECT_EQ(Field(ResultOf(text, "raw"), "commit_share"), "null");

  // Nothing left behind: every topic of this bench run (named after its run id) is deleted.
  // Deleting is asynchronous (the broker's metadata lags the controller's), so the check waits
  // for the metadata to show none of them, at most 30 s.
  const std::string run_id = Field(text, "run_id");
  ASSERT_GT(run_id.size(), 2u);
  const std::string prefix = absl::StrCat("onceflow-bench-", run_id.substr(1, run_id.size() - 2));
  absl::StatusOr<std::unique_ptr<kafka::Admin>> admin =
      kafka::Admin::Create({{"bootstrap.servers", Bootstrap()}});
  ASSERT_TRUE(admin.ok());
  base::Clock& clock = base::SystemClock();
  EXPECT_OK(base::RetryUntil(
      clock.SteadyNow() + std::chrono::seconds(30), clock,
      [&](int) -> absl::Status {
        const rd_kafka_metadata_t* raw = nullptr;
        const rd_kafka_resp_err_t err =
            rd_kafka_metadata((*admin)->handle(), 1, nullptr, &raw, 10000);
        kafka::MetadataPtr md(raw);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          return absl::UnavailableError(absl::StrCat("metadata: ", rd_kafka_err2str(err)));
        }
        std::vector<std::string> left;
        for (int i = 0; i < md->topic_cnt; ++i) {
          if (absl::StartsWith(md->topics[i].topic, prefix)) left.push_back(md->topics[i].topic);
        }
        if (left.empty()) return absl::OkStatus();
        return absl::UnavailableError(absl::StrCat("left behind: ", absl::StrJoin(left, ", ")));
      },
      {.what = "bench topics deleted", .max_backoff = std::chrono::seconds(1)}));
}

// The latency runs of `system`: the objects of its "latency" array.
std::vector<std::string> LatencyRuns(const std::string& json, const std::string& system) {
  std::vector<std::string> runs;
  const size_t at = json.find(absl::StrCat("{\"system\": \"", system, "\""));
  if (at == std::string::npos) return runs;
  size_t pos = json.find("\"latency\": [", at);
  const size_t end = json.find(']', json.find("\"latency\": [", at));
  while (pos != std::string::npos) {
    pos = json.find('{', pos);
    if (pos == std::string::npos || pos > end) break;
    const size_t close = json.find('}', pos);
    runs.push_back(json.substr(pos, close - pos + 1));
    pos = close;
  }
  return runs;
}

class BenchInputTopicTest : public KafkaTest {};

// --input-topic runs on an existing topic (its records and partitions, not preloaded, left in
// place), and --rates runs every system at the same fixed input rates, each run saying whether
// the paced producer kept its rate.
TEST_F(BenchInputTopicTest, RunsOnAnExistingTopicAndMeasuresLatencyAtFixedRates) {
  const std::string topic = CreateTopic("bench-existing", 2);
  ProduceInput(topic, 2, 700);  // 1,400 records
  const std::string text =
      RunBench({"--systems", "onceflow-alos,onceflow-eos", "--input-topic", topic, "--repeat", "1",
                "--no-calibrate", "--rates", "500,200", "--latency-seconds", "1"},
               "bench-rates");
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(Field(text, "input_topic"), absl::StrCat("\"", topic, "\""));
  EXPECT_EQ(Field(text, "latency_rates"), "[500, 200]");
  for (const std::string system : {"onceflow-alos", "onceflow-eos"}) {
    SCOPED_TRACE(system);
    const std::string r = ResultOf(text, system);
    ASSERT_FALSE(r.empty()) << text;
    EXPECT_EQ(Number(r, "records"), 1400);
    EXPECT_EQ(Number(r, "partitions"), 2);
    // The single-run latency fields are for --rate-fraction only.
    EXPECT_EQ(Field(r, "p99_ms"), "null");
    const std::vector<std::string> runs = LatencyRuns(text, system);
    ASSERT_EQ(runs.size(), 2u) << text;
    // Ascending rates; every paced record read back; 200 and 500 records/s are kept easily.
    EXPECT_EQ(Number(runs[0], "target_rate"), 200);
    EXPECT_EQ(Number(runs[1], "target_rate"), 500);
    EXPECT_EQ(Number(runs[0], "samples"), 200);
    EXPECT_EQ(Number(runs[1], "samples"), 500);
    for (const std::string& run : runs) {
      EXPECT_EQ(Field(run, "rate_kept"), "true") << run;
      // Acknowledged within the run and a round trip.
      EXPECT_GE(Number(run, "rate"), 0.8 * Number(run, "target_rate")) << run;
      EXPECT_LE(Number(run, "p50_ms"), Number(run, "p99_ms")) << run;
      EXPECT_GT(Number(run, "commits_per_sec"), 0) << run;
    }
  }
  // The topic is still there, whole.
  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> left, ReadAll(topic, Isolation::kReadCommitted));
  EXPECT_EQ(left.size(), 1400u);
}

}  // namespace
}  // namespace onceflow::testing
