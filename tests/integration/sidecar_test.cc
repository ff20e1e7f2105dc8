// `onceflow run --config` against a real broker: SIGTERM mid-stream exits 0 and a restart
// duplicates nothing; /metrics, /healthz and /readyz over HTTP while records flow, with
// librdkafka's statistics when asked for; poison
// records reach the dead-letter topic with every header, in onceflow's and Kafka Connect's
// naming.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/child_process.h"
#include "base/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kafka/producer.h"
#include "onceflow/status_macros.h"
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

using namespace std::chrono_literals;

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// GET http://127.0.0.1:port/path: (status, body), or nullopt if nothing answers.
std::optional<std::pair<int, std::string>> HttpGet(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  const std::string req = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: x\r\n\r\n");
  (void)!::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) resp.append(buf, static_cast<size_t>(n));
  ::close(fd);
  int status = 0;
  std::vector<std::string> first = absl::StrSplit(resp.substr(0, resp.find("\r\n")), ' ');
  if (first.size() < 2 || !absl::SimpleAtoi(first[1], &status)) return std::nullopt;
  const size_t body = resp.find("\r\n\r\n");
  return std::make_pair(status, body == std::string::npos ? "" : resp.substr(body + 4));
}

// The value of the sample `name{...}` in a Prometheus text body (labels ignored).
std::optional<double> Sample(const std::string& body, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    if (!absl::StartsWith(line, name + "{")) continue;
    double v = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &v)) return v;
  }
  return std::nullopt;
}

class SidecarTest : public testing::PipelineTest {
 protected:
  std::string Header(const std::string& app, const std::string& in, const std::string& out,
                     const std::string& state_dir) {
    return absl::StrCat("application_id: ", app, "\ninstance_id: sidecar-test\n",
                        "bootstrap_servers: ", testing::Bootstrap(), "\ninputs: [", in,
                        "]\noutput: ", out, "\ncommit_interval_ms: 50\nstate:\n  dir: ", state_dir,
                        "\nconsumer:\n  session.timeout.ms: \"6000\"\n");
  }

  // The `errors` section that dead-letters failed records to `dlq`.
  static std::string DeadLetterTo(const std::string& dlq) {
    return absl::StrCat("errors:\n  policy: dlq\n  dead_letter_topic: ", dlq, "\n");
  }

  // Runs `onceflow run --until-drained` on `config` to its end; its log is LogPath(log).
  absl::StatusOr<ChildProcess::Exit> RunUntilDrained(const std::string& config,
                                                     const std::string& log) {
    ONCEFLOW_ASSIGN_OR_RETURN(ChildProcess child,
                              ChildProcess::Start(SidecarArgs(config, {"--until-drained"}),
                                                  SpawnOptions::ToLog(LogPath(log))));
    return child.Wait(120s);
  }
};

// SIGTERM mid-stream: finish the transaction, commit, leave the group, exit 0; a restart picks
// up where it stopped and the output holds every input exactly once.
TEST_F(SidecarTest, SigtermMidStreamExitsZeroAndRestartDuplicatesNothing) {
  const std::string in = CreateTopic("sc-term-in", 3);
  const std::string out = CreateTopic("sc-term-out", 3);
  const std::string app = UniqueName("sc-term");
  constexpr int kRecords = 60000;
  std::vector<std::pair<std::string, std::string>> input;
  for (int i = 0; i < kRecords; ++i)
    input.emplace_back(absl::StrCat("k", i % 97), absl::StrCat("v", i));
  ProduceKeyValues(in, input, 3);
  const std::string config = WriteConfig(
      Header(app, in, out, TempDir("state")) +
      "transforms:\n  - headers:\n      set: {via: onceflow}\nmetrics:\n  address: \"off\"\n");

  ASSERT_OK_AND_ASSIGN(
      ChildProcess first,
      ChildProcess::Start(SidecarArgs(config), SpawnOptions::ToLog(LogPath("first"))));
  WaitForCommittedAtLeast(app, in, 1000, 60s);
  ASSERT_OK(first.Signal(SIGTERM));
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit exit, first.Wait(60s));
  EXPECT_FALSE(exit.signaled);
  EXPECT_EQ(exit.code, 0) << "log " << LogPath("first");
  ASSERT_OK_AND_ASSIGN(const std::string first_log, base::ReadFile(LogPath("first")));
  EXPECT_THAT(first_log, HasSubstr("stopped (in="));

  ASSERT_OK_AND_ASSIGN(ChildProcess second,
                       ChildProcess::Start(SidecarArgs(config, {"--until-drained"}),
                                           SpawnOptions::ToLog(LogPath("second"))));
  ASSERT_OK_AND_ASSIGN(exit, second.Wait(120s));
  EXPECT_EQ(exit.code, 0) << "log " << LogPath("second");

  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> output, ReadAll(out, Isolation::kReadCommitted));
  std::map<std::string, int> seen;
  for (const ReadRecord& r : output) {
    ++seen[r.value];
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0], std::make_pair(std::string("via"), std::string("onceflow")));
  }
  EXPECT_EQ(output.size(), static_cast<size_t>(kRecords));
  EXPECT_EQ(seen.size(), static_cast<size_t>(kRecords));
}

// /metrics counters move as records flow; /healthz and /readyz answer; unknown paths 404.
TEST_F(SidecarTest, MetricsEndpointCountsWhatFlows) {
  const std::string in = CreateTopic("sc-metrics-in", 2);
  const std::string out = CreateTopic("sc-metrics-out", 2);
  const std::string dlq = CreateTopic("sc-metrics-dlq", 1);
  const std::string app = UniqueName("sc-metrics");
  const int port = FreePort();
  const std::string config = WriteConfig(absl::StrCat(
      Header(app, in, out, TempDir("state")), "dedupe:\n  key: key\n  window: 1h\n",
      "transforms:\n  - json_to_proto:\n      descriptor_set: ", ONCEFLOW_ORDERS_DESC,
      "\n      message: onceflow.examples.Order\n", "errors:\n  policy: dlq\n  dead_letter_topic: ",
      dlq, "\n", "metrics:\n  address: 127.0.0.1:", port, "\n"));
  ASSERT_OK_AND_ASSIGN(
      ChildProcess child,
      ChildProcess::Start(SidecarArgs(config), SpawnOptions::ToLog(LogPath("child"))));

  // Ready once partitions are assigned and state restored.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  std::optional<std::pair<int, std::string>> ready;
  while (std::chrono::steady_clock::now() < deadline) {
    ready = HttpGet(port, "/readyz");
    if (ready.has_value() && ready->first == 200) break;
    std::this_thread::sleep_for(100ms);  // polling the endpoint for a condition
  }
  ASSERT_TRUE(ready.has_value() && ready->first == 200) << "log " << LogPath("child");
  auto health = HttpGet(port, "/healthz");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->first, 200);
  auto missing = HttpGet(port, "/nope");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->first, 404);
  auto before = HttpGet(port, "/metrics");
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(Sample(before->second, "onceflow_records_in_total"), 0);

  // 40 orders, 10 of them repeated (same key), 5 that are not orders.
  std::vector<std::pair<std::string, std::string>> input;
  for (int i = 0; i < 40; ++i) {
    input.emplace_back(absl::StrCat("o-", i),
                       absl::StrCat(R"({"order_id": "o-)", i, R"(", "quantity": 1})"));
  }
  for (int i = 0; i < 10; ++i) {
    input.emplace_back(absl::StrCat("o-", i),
                       absl::StrCat(R"({"order_id": "o-)", i, R"(", "quantity": 1})"));
  }
  for (int i = 0; i < 5; ++i) input.emplace_back(absl::StrCat("bad-", i), "not an order");
  ProduceKeyValues(in, input, 1);  // one partition: the repeats meet their originals

  std::optional<double> in_total;
  std::string body;
  while (std::chrono::steady_clock::now() < deadline + 30s) {
    auto m = HttpGet(port, "/metrics");
    if (m.has_value()) {
      body = m->second;
      in_total = Sample(body, "onceflow_records_in_total");
      if (in_total == 55 && Sample(body, "onceflow_transactions_committed_total") >= 1 &&
          Sample(body, "onceflow_records_out_total") == 40) {
        break;
      }
    }
    std::this_thread::sleep_for(100ms);  // polling the endpoint for a condition
  }
  EXPECT_EQ(in_total, 55) << body;
  EXPECT_EQ(Sample(body, "onceflow_records_out_total"), 40) << body;
  EXPECT_EQ(Sample(body, "onceflow_records_deduplicated_total"), 10) << body;
  EXPECT_EQ(Sample(body, "onceflow_records_dead_lettered_total"), 5) << body;
  EXPECT_EQ(Sample(body, "onceflow_ready"), 1);
  EXPECT_THAT(body, HasSubstr("onceflow_commit_latency_seconds_bucket{"));
  EXPECT_THAT(body, HasSubstr("onceflow_end_to_end_latency_seconds_count{"));
  EXPECT_THAT(body, HasSubstr(absl::StrCat("onceflow_consumer_lag_records{application=\"", app)));

  ASSERT_OK(child.Signal(SIGTERM));
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit exit, child.Wait(60s));
  EXPECT_EQ(exit.code, 0);
  (void)admin().DeleteTopics({absl::StrCat(app, "-dedupe-changelog")}, 30s);
}

// kafka: {statistics.interval.ms: 500} turns on librdkafka's figures in /metrics: the
// consumer's broker round-trip time (its fetches are round trips every interval) and the
// client queues.
TEST_F(SidecarTest, LibrdkafkaStatisticsReachTheMetrics) {
  const std::string in = CreateTopic("sc-stats-in", 1);
  const std::string out = CreateTopic("sc-stats-out", 1);
  const std::string app = UniqueName("sc-stats");
  const int port = FreePort();
  const std::string config = WriteConfig(absl::StrCat(
      Header(app, in, out, TempDir("state")), "kafka:\n  statistics.interval.ms: \"500\"\n",
      "metrics:\n  address: 127.0.0.1:", port, "\n"));
  ASSERT_OK_AND_ASSIGN(
      ChildProcess child,
      ChildProcess::Start(SidecarArgs(config), SpawnOptions::ToLog(LogPath("child"))));
  ProduceKeyValues(in, {{"k", "v"}}, 1);

  const std::string consumer_rtt =
      absl::StrCat("onceflow_kafka_broker_rtt_seconds{application=\"", app,
                   "\",instance_id=\"sidecar-test\",mode=\"eos\",client=\"consumer\",broker=\"");
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  std::string body;
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = HttpGet(port, "/metrics");
    if (m.has_value() && m->first == 200) {
      body = m->second;
      if (absl::StrContains(body, consumer_rtt)) break;
    }
    std::this_thread::sleep_for(100ms);  // polling the endpoint for a condition
  }
  ASSERT_THAT(body, HasSubstr(consumer_rtt)) << "log " << LogPath("child");
  EXPECT_THAT(body, HasSubstr("# TYPE onceflow_kafka_broker_rtt_p99_seconds gauge\n"));
  std::optional<double> rtt = Sample(body, "onceflow_kafka_broker_rtt_seconds");
  ASSERT_TRUE(rtt.has_value());
  EXPECT_GT(*rtt, 0);
  EXPECT_LT(*rtt, 30);  // seconds, not microseconds
  EXPECT_THAT(body, HasSubstr("onceflow_kafka_queue_messages{"));
  EXPECT_THAT(body, HasSubstr("onceflow_kafka_queue_bytes{"));

  ASSERT_OK(child.Signal(SIGTERM));
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit exit, child.Wait(60s));
  EXPECT_EQ(exit.code, 0);
}

// Poison records reach the dead-letter topic in the same transaction, with every header —
// onceflow's names, then Kafka Connect's.
TEST_F(SidecarTest, PoisonRecordsReachTheDeadLetterTopicWithEveryHeader) {
  for (const std::string style : {"onceflow", "kafka_connect"}) {
    SCOPED_TRACE(style);
    const std::string in = CreateTopic("sc-dlq-in", 1);
    const std::string out = CreateTopic("sc-dlq-out", 1);
    const std::string dlq = CreateTopic("sc-dlq-dlq", 1);
    const std::string app = UniqueName("sc-dlq");
    ProduceKeyValues(in, {{"o-1", R"({"order_id": "o-1"})"},
                          {"bad-1", "this is not json"},
                          {"o-2", R"({"order_id": "o-2"})"},
                          {"bad-2", R"({"order_id": "o-3", "quantity": "many"})"}});
    const int64_t started_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
    const std::string config = WriteConfig(absl::StrCat(
        Header(app, in, out, TempDir("state")),
        "transforms:\n  - json_to_proto:\n      descriptor_set: ", ONCEFLOW_ORDERS_DESC,
        "\n      message: onceflow.examples.Order\n", DeadLetterTo(dlq), "  header_style: ", style,
        "\nmetrics:\n  address: \"off\"\n"));
    ASSERT_OK_AND_ASSIGN(ChildProcess::Exit exit, RunUntilDrained(config, "child"));
    ASSERT_EQ(exit.code, 0) << "log " << LogPath("child");

    ASSERT_OK_AND_ASSIGN(auto outputs, ReadAll(out, Isolation::kReadCommitted));
    EXPECT_EQ(outputs.size(), 2u);
    ASSERT_OK_AND_ASSIGN(auto dead, ReadAll(dlq, Isolation::kReadCommitted));
    ASSERT_EQ(dead.size(), 2u);
    const std::string p = style == "onceflow" ? "" : "__connect.errors.";
    auto name = [&](const std::string& onceflow, const std::string& connect) {
      return style == "onceflow" ? onceflow : p + connect;
    };
    const int64_t offsets[] = {1, 3};
    for (size_t i = 0; i < dead.size(); ++i) {
      std::map<std::string, std::string> h(dead[i].headers.begin(), dead[i].headers.end());
      EXPECT_EQ(dead[i].key, absl::StrCat("bad-", i + 1));
      EXPECT_EQ(h[name("original-topic", "topic")], in);
      EXPECT_EQ(h[name("original-partition", "partition")], "0");
      EXPECT_EQ(h[name("original-offset", "offset")], absl::StrCat(offsets[i]));
      EXPECT_EQ(h[name("error-class", "exception.class.name")], "permanent");
      EXPECT_THAT(h[name("error-message", "exception.message")],
                  HasSubstr("as onceflow.examples.Order"));
      EXPECT_EQ(h[name("retry-count", "onceflow.retry-count")], "0");
      EXPECT_EQ(h[name("instance-id", "onceflow.instance-id")], "sidecar-test");
      int64_t failed_at = 0;
      ASSERT_TRUE(absl::SimpleAtoi(h[name("failed-at", "onceflow.failed-at")], &failed_at));
      EXPECT_GE(failed_at, started_ms);
      int64_t original_ts = 0;
      ASSERT_TRUE(absl::SimpleAtoi(h[name("original-timestamp", "onceflow.original-timestamp")],
                                   &original_ts));
      EXPECT_GT(original_ts, 0);
    }
  }
}

// The records that crashed the sidecar in a loop (std::regex on a 60 KB value), and one nested
// 100,000 levels deep: `onceflow run` keeps going, the deep one is dead-lettered with the
// reason, the rest are filtered as the regex says.
TEST_F(SidecarTest, HostileRecordsAreFilteredOrDeadLetteredNotACrash) {
  const std::string in = CreateTopic("sc-hostile-in", 1);
  const std::string out = CreateTopic("sc-hostile-out", 1);
  const std::string dlq = CreateTopic("sc-hostile-dlq", 1);
  const std::string app = UniqueName("sc-hostile");
  const std::string big(60 * 1024, 'x');
  ProduceKeyValues(in, {{"big-foo", absl::StrCat(R"({"note": ")", big, R"(foo"})")},
                        {"big", absl::StrCat(R"({"note": ")", big, R"("})")},
                        {"deep", std::string(100000, '[')},
                        {"small-foo", R"({"note": "a foo"})"}});
  const std::string config = WriteConfig(
      absl::StrCat(Header(app, in, out, TempDir("state")),
                   "transforms:\n  - filter:\n      json_field: note\n      matches: \".*foo.*\"\n",
                   DeadLetterTo(dlq), "metrics:\n  address: \"off\"\n"));
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit exit, RunUntilDrained(config, "child"));
  ASSERT_EQ(exit.code, 0) << "log " << LogPath("child");

  ASSERT_OK_AND_ASSIGN(auto outputs, ReadAll(out, Isolation::kReadCommitted));
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs[0].key, "big-foo");
  EXPECT_EQ(outputs[1].key, "small-foo");
  ASSERT_OK_AND_ASSIGN(auto dead, ReadAll(dlq, Isolation::kReadCommitted));
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].key, "deep");
  std::map<std::string, std::string> h(dead[0].headers.begin(), dead[0].headers.end());
  EXPECT_EQ(h["error-message"],
            "filter: json_field note: JSON nested deeper than 100 arrays and objects at byte 100");
}

}  // namespace
}  // namespace onceflow
