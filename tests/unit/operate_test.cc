// What operators touch, without a broker: durations, the metrics address, client properties,
// access errors, progress lines, the Prometheus exposition (and that docs/sidecar.md agrees with
// it on every metric's type), JSON logs and librdkafka's lines through onceflow's logger, the
// config's JSON Schema, and build info.
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "kafka/admin.h"
#include "kafka/error.h"
#include "kafka/log_bridge.h"
#include "onceflow/version.h"
#include "runtime/log.h"
#include "sidecar/access.h"
#include "sidecar/build_info.h"
#include "sidecar/client_properties.h"
#include "sidecar/config_schema.h"
#include "sidecar/duration.h"
#include "sidecar/listen_address.h"
#include "sidecar/metrics_text.h"
#include "sidecar/progress.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::sidecar {
namespace {

using ::onceflow::testing::IsOk;
using ::onceflow::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Captures what the process writes to stderr while it lives.
class StderrCapture {
 public:
  StderrCapture() {
    path_ = absl::StrCat(::testing::TempDir(), "/stderr-", ::getpid(), "-", counter_++);
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  ~StderrCapture() { Restore(); }
  std::string Text() {
    Restore();
    return ReadText(path_);
  }

 private:
  void Restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }
  static inline int counter_ = 0;
  std::string path_;
  int saved_ = -1;
};

// ---------------------------------------------------------------- durations

TEST(DurationTest, UnitsAndCombinations) {
  const std::pair<const char*, int64_t> good[] = {
      {"0s", 0},          {"250ms", 250},        {"5s", 5000},
      {"2m", 120000},     {"1h", 3600000},       {"1d", 86400000},
      {"1h30m", 5400000}, {"1m30s500ms", 90500}, {"1d12h", 129600000},
      {"90s", 90000},
  };
  for (const auto& [text, ms] : good) {
    SCOPED_TRACE(text);
    ASSERT_OK_AND_ASSIGN(std::chrono::milliseconds d, ParseDuration(text));
    EXPECT_EQ(d.count(), ms);
  }
  for (const char* bad : {"", "5", "s", "-5s", "1.5s", "5 s", "5S", "1w", "30m1h", "1s1s", "5sms",
                          "99999999999999999999s"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ParseDuration(bad), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  }
}

// ---------------------------------------------------------------- metrics address

TEST(ListenAddressTest, Ipv4Ipv6AndNames) {
  struct Case {
    const char* text;
    int family;
    const char* host;
    int port;
  };
  const Case good[] = {
      {"127.0.0.1:9464", AF_INET, "127.0.0.1", 9464}, {"0.0.0.0:1", AF_INET, "0.0.0.0", 1},
      {"localhost:9464", AF_INET, "127.0.0.1", 9464}, {"*:9464", AF_INET, "0.0.0.0", 9464},
      {":9464", AF_INET, "127.0.0.1", 9464},          {"[::]:9464", AF_INET6, "::", 9464},
      {"[::1]:65535", AF_INET6, "::1", 65535},        {"[fe80::1]:80", AF_INET6, "fe80::1", 80},
  };
  for (const Case& c : good) {
    SCOPED_TRACE(c.text);
    ASSERT_OK_AND_ASSIGN(ListenAddress a, ParseListenAddress(c.text));
    EXPECT_EQ(a.family, c.family);
    EXPECT_EQ(a.host, c.host);
    EXPECT_EQ(a.port, c.port);
  }
  EXPECT_EQ(ParseListenAddress("[::1]:9464")->ToString(), "[::1]:9464");
  // Port 0 (any free port) only where asked for: --metrics-address, not the config.
  EXPECT_THAT(ParseListenAddress("127.0.0.1:0"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(ParseListenAddress("127.0.0.1:0", true), IsOk());
  for (const char* bad :
       {"9464", "127.0.0.1", "127.0.0.1:x", "127.0.0.1:70000", "::1:9464", "[::1]", "[nope]:1",
        "metrics.example:9464", "1.2.3:9464", "127.0.0.1:+9"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ParseListenAddress(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(bad)));
  }
}

// ---------------------------------------------------------------- client properties

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

TEST(ClientPropertiesTest, FilesThenDashXThenBootstrap) {
  const std::string file =
      absl::StrCat(::testing::TempDir(), "/client-", ::getpid(), ".properties");
  std::ofstream(file) << "# comment\n! also a comment\n\nsecurity.protocol = SASL_SSL\n"
                         "sasl.password=from-file\nbootstrap.servers=file:9092\n"
                         "client.id: colon-form\n";
  ClientFlags flags;
  flags.command_configs = {file};
  flags.properties = {"sasl.password=from-x", "linger.ms=5=5"};
  ASSERT_OK_AND_ASSIGN(kafka::Properties props, ResolveClientProperties(flags, Env({})));
  EXPECT_EQ(props.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(props.at("sasl.password"), "from-x");  // -X wins over the file
  EXPECT_EQ(props.at("linger.ms"), "5=5");         // the first '=' splits
  EXPECT_EQ(props.at("client.id"), "colon-form");
  EXPECT_EQ(props.at("bootstrap.servers"), "file:9092");
  flags.bootstrap = "flag:9092";  // --bootstrap wins over both
  EXPECT_EQ(ResolveClientProperties(flags, Env({}))->at("bootstrap.servers"), "flag:9092");

  // Without any: $ONCEFLOW_BOOTSTRAP, else the local broker; metadata.broker.list is renamed.
  EXPECT_EQ(
      ResolveClientProperties({}, Env({{"ONCEFLOW_BOOTSTRAP", "env:1"}}))->at("bootstrap.servers"),
      "env:1");
  EXPECT_EQ(ResolveClientProperties({}, Env({}))->at("bootstrap.servers"), "127.0.0.1:19092");
  ClientFlags old;
  old.properties = {"metadata.broker.list=old:1"};
  ASSERT_OK_AND_ASSIGN(props, ResolveClientProperties(old, Env({})));
  EXPECT_EQ(props.at("bootstrap.servers"), "old:1");
  EXPECT_EQ(props.count("metadata.broker.list"), 0u);
  std::remove(file.c_str());
}

TEST(ClientPropertiesTest, ErrorsNeverShowValues) {
  EXPECT_THAT(
      ParseProperties("ok=1\nsasl.password hunter2\n", "c.properties"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("c.properties:2: expected key=value"), Not(HasSubstr("hunter2")))));
  ClientFlags flags;
  flags.properties = {"=hunter2"};
  EXPECT_THAT(ResolveClientProperties(flags, Env({})),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("hunter2"))));
  flags.properties = {};
  flags.command_configs = {"/nonexistent/client.properties"};
  EXPECT_THAT(ResolveClientProperties(flags, Env({})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--command-config /nonexistent/client.properties: cannot read")));
}

// ---------------------------------------------------------------- access errors

TEST(AccessTest, NamesPrincipalResourceAndOperation) {
  const kafka::Properties sasl = {
      {"bootstrap.servers", "k:9093"},     {"security.protocol", "sasl_ssl"},
      {"sasl.mechanism", "SCRAM-SHA-512"}, {"sasl.username", "orders"},
      {"sasl.password", "hunter2"},        {"ssl.ca.location", "/etc/ca.pem"}};
  EXPECT_EQ(DescribePrincipal(sasl), "User:orders");
  EXPECT_EQ(DescribePrincipal({}), "User:ANONYMOUS (PLAINTEXT: no authentication)");
  EXPECT_THAT(
      DescribePrincipal({{"security.protocol", "SSL"}, {"ssl.certificate.location", "/c.pem"}}),
      HasSubstr("TLS client certificate"));

  const absl::Status topic =
      kafka::CodeToStatus(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, "metadata of topic in");
  ASSERT_TRUE(IsAccessDenied(topic));
  const absl::Status explained = ExplainAccess(topic, sasl, {"Topic", "in", {"Describe", "Read"}});
  EXPECT_THAT(explained,
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("User:orders is not allowed to Describe, Read Topic 'in' "
                                       "(TOPIC_AUTHORIZATION_FAILED); grant it with: kafka-acls.sh "
                                       "--bootstrap-server k:9093 --add --allow-principal "
                                       "User:orders --operation Describe --operation Read "
                                       "--topic in"),
                             Not(HasSubstr("hunter2")))));
  // The Kafka error code stays with the status (exit codes and callers read it).
  EXPECT_EQ(kafka::KafkaErrorCode(explained), RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);

  EXPECT_THAT(ExplainAccess(kafka::CodeToStatus(RD_KAFKA_RESP_ERR__AUTHENTICATION, "connecting",
                                                "SASL authentication error"),
                            sasl, {}),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       AllOf(HasSubstr("authentication as User:orders (SASL_SSL, SCRAM-SHA-512) "
                                       "at k:9093 was refused"),
                             Not(HasSubstr("hunter2")))));
  EXPECT_THAT(ExplainAccess(kafka::CodeToStatus(RD_KAFKA_RESP_ERR__SSL, "connecting",
                                                "certificate verify failed"),
                            sasl, {}),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("not trusted by ssl.ca.location /etc/ca.pem")));
  EXPECT_THAT(
      ExplainAccess(kafka::CodeToStatus(RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
                                        "init_transactions"),
                    sasl, {"TransactionalId", "app-0", {"Write", "Describe"}}),
      StatusIs(absl::StatusCode::kPermissionDenied,
               HasSubstr("--operation Write --operation Describe --transactional-id "
                         "app-0")));
  // Anything else passes unchanged.
  const absl::Status other = absl::UnavailableError("down");
  EXPECT_EQ(ExplainAccess(other, sasl, {}), other);
}

// ---------------------------------------------------------------- progress

struct FakeTerminal {
  std::chrono::steady_clock::time_point now{};
  std::string written;
  Progress Make(ProgressMode mode, bool terminal, int64_t total = 100) {
    return Progress(
        "bench", total, "runs", mode, terminal, [this] { return now; },
        [this](absl::string_view text) { written += std::string(text); });
  }
};

TEST(ProgressTest, LogLinesEveryTenSecondsWithTheTimeLeft) {
  FakeTerminal t;
  Progress p = t.Make(ProgressMode::kAlways, /*terminal=*/false);
  t.now += 5s;
  p.Update(10);
  EXPECT_EQ(t.written, "");  // not yet 10 s
  t.now += 5s;
  p.Update(25, "output seen 20");
  EXPECT_EQ(t.written, "bench: 25/100 runs (25%), 10s elapsed, ~30s left; output seen 20\n");
  t.now += 3s;
  p.Update(30);
  EXPECT_THAT(t.written, Not(HasSubstr("30/100")));  // within 10 s of the last line
  p.Note("onceflow-eos: run 1/3");
  t.now += 97s;
  p.Update(100);
  p.Finish();
  EXPECT_THAT(t.written, HasSubstr("onceflow-eos: run 1/3\n"));
  EXPECT_THAT(t.written, HasSubstr("bench: 100/100 runs (100%), 1m50s elapsed\n"));
}

TEST(ProgressTest, TerminalRewritesOneLineAndAutoFollowsTheTerminal) {
  FakeTerminal t;
  {
    Progress p = t.Make(ProgressMode::kAuto, /*terminal=*/true, 4);
    p.Update(1);
    t.now += 1s;
    p.Update(2);
    p.Finish();
  }
  EXPECT_THAT(t.written,
              HasSubstr("\r\033[Kbench: 1/4 runs (25%), 0s elapsed, time left not known yet"));
  EXPECT_THAT(t.written, HasSubstr("\r\033[Kbench: 2/4 runs (50%), 1s elapsed, ~1s left"));

  FakeTerminal log;
  {
    Progress p = log.Make(ProgressMode::kAuto, /*terminal=*/false);
    EXPECT_FALSE(p.enabled());
    log.now += 60s;
    p.Update(50);
    p.Note("a note");
    p.Finish();
  }
  EXPECT_EQ(log.written, "");  // auto: nothing in a log

  FakeTerminal never;
  {
    Progress p = never.Make(ProgressMode::kNever, /*terminal=*/true);
    p.Update(50);
    p.Finish();
  }
  EXPECT_EQ(never.written, "");
  EXPECT_THAT(ParseProgressMode("sometimes"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

// ---------------------------------------------------------------- metrics

// Every "# TYPE name type" of an exposition.
std::map<std::string, std::string> ExposedTypes(const std::string& text) {
  std::map<std::string, std::string> types;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, "# TYPE ")) continue;
    const std::vector<std::string> parts = absl::StrSplit(line, ' ');
    if (parts.size() == 2) types[parts[0]] = parts[1];
  }
  return types;
}

ProcessorMetrics SomeMetrics() {
  ProcessorMetrics m;
  m.stats.records_in = 7;
  m.lag.push_back({{"in", Partition(0)}, 3});
  KafkaClientStatistics consumer;
  consumer.client = "consumer";
  consumer.queue_messages = 4;
  consumer.queue_bytes = 400;
  consumer.brokers.push_back({"127.0.0.1:9092/1", 0.0015, 0.004});
  m.kafka.push_back(consumer);
  m.ready = true;
  m.running = true;
  return m;
}

TEST(MetricsTest, LabelsBuildInfoAndProcessMetrics) {
  const std::string text = RenderPrometheus(SomeMetrics(), {"orders", "orders-0", "eos"},
                                            GetBuildInfo(), ReadProcessStats());
  EXPECT_THAT(text,
              HasSubstr("onceflow_records_in_total{application=\"orders\",instance_id=\"orders-0\","
                        "mode=\"eos\"} 7\n"));
  // Prometheus owns `instance` (the scrape target): onceflow must not set it.
  EXPECT_THAT(text, Not(HasSubstr("instance=\"")));
  EXPECT_THAT(text,
              HasSubstr(absl::StrCat("onceflow_build_info{version=\"", kVersion, "\",commit=\"")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("librdkafka=\"", rd_kafka_version_str(), "\"")));
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_start_time_seconds",
                           "process_open_fds", "process_max_fds"}) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("\n", name, " "))) << name;
  }
  // A start time in seconds since the epoch, not rounded to 6 digits.
  const ProcessStats stats = ReadProcessStats();
  ASSERT_TRUE(stats.ok);
  EXPECT_GT(stats.start_time_seconds, 1.6e9);
  EXPECT_GT(stats.resident_memory_bytes, 0);
  EXPECT_GT(stats.open_fds, 2);
}

TEST(MetricsTest, LibrdkafkaStatisticsOnlyWhenThereAreSome) {
  const std::string text =
      RenderPrometheus(SomeMetrics(), {"a", "i", "eos"}, GetBuildInfo(), ReadProcessStats());
  const std::string labels = "application=\"a\",instance_id=\"i\",mode=\"eos\"";
  EXPECT_THAT(text, HasSubstr(absl::StrCat("onceflow_kafka_broker_rtt_seconds{", labels,
                                           ",client=\"consumer\",broker=\"127.0.0.1:9092/1\"} "
                                           "0.0015\n")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("onceflow_kafka_broker_rtt_p99_seconds{", labels,
                                           ",client=\"consumer\",broker=\"127.0.0.1:9092/1\"} "
                                           "0.004\n")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("onceflow_kafka_queue_messages{", labels,
                                           ",client=\"consumer\"} 4\n")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("onceflow_kafka_queue_bytes{", labels,
                                           ",client=\"consumer\"} 400\n")));
  ProcessorMetrics without = SomeMetrics();
  without.kafka.clear();
  EXPECT_THAT(RenderPrometheus(without, {"a", "i", "eos"}, GetBuildInfo(), ReadProcessStats()),
              Not(HasSubstr("onceflow_kafka_")));
}

// docs/sidecar.md's metrics table and the exposition agree on every metric's name and type.
TEST(MetricsTest, DocsAndExpositionAgreeOnEveryType) {
  const std::map<std::string, std::string> exposed = ExposedTypes(
      RenderPrometheus(SomeMetrics(), {"a", "i", "eos"}, GetBuildInfo(), ReadProcessStats()));
  std::map<std::string, std::string> documented;
  const std::string doc = ReadText(absl::StrCat(ONCEFLOW_SOURCE_DIR, "/docs/sidecar.md"));
  for (absl::string_view line : absl::StrSplit(doc, '\n')) {
    // | `onceflow_records_in_total` | counter | ... |
    const std::vector<std::string> cells = absl::StrSplit(line, '|');
    if (cells.size() < 4) continue;
    absl::string_view name = absl::StripAsciiWhitespace(cells[1]);
    if (!absl::ConsumePrefix(&name, "`") || !absl::ConsumeSuffix(&name, "`")) continue;
    if (!absl::StartsWith(name, "onceflow_") && !absl::StartsWith(name, "process_")) continue;
    const std::string type(absl::StripAsciiWhitespace(cells[2]));
    documented[std::string(name)] =
        type.substr(0, type.find(','));  // "gauge, extra labels ..." -> gauge
  }
  EXPECT_EQ(documented, exposed);
}

// ---------------------------------------------------------------- logs

TEST(LogTest, JsonLinesWithFieldsAndEscapes) {
  runtime::SetLogFormat(runtime::LogFormat::kJson);
  StderrCapture capture;
  runtime::Log(runtime::LogLevel::kWarn, "quote \" and\nnewline");
  runtime::LogAs(runtime::LogLevel::kError, "librdkafka", "Connect failed",
                 {{"client", "app#consumer-1"}, {"facility", "FAIL"}});
  const std::string text = capture.Text();
  runtime::SetLogFormat(runtime::LogFormat::kText);
  const std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << text;
  for (const std::string& line : lines) {
    google::protobuf::Struct parsed;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &parsed).ok()) << line;
  }
  EXPECT_THAT(
      lines[0],
      HasSubstr(R"("level":"warn","logger":"onceflow","message":"quote \" and\nnewline"})"));
  EXPECT_THAT(
      lines[1],
      HasSubstr(
          R"("level":"error","logger":"librdkafka","client":"app#consumer-1","facility":"FAIL","message":"Connect failed"})"));
}

TEST(LogTest, LibrdkafkaLinesGoThroughOnceflowsLogger) {
  EXPECT_EQ(kafka::LogLevelFromSyslog(3), runtime::LogLevel::kError);
  EXPECT_EQ(kafka::LogLevelFromSyslog(4), runtime::LogLevel::kWarn);
  EXPECT_EQ(kafka::LogLevelFromSyslog(5), runtime::LogLevel::kInfo);
  EXPECT_EQ(kafka::LogLevelFromSyslog(6), runtime::LogLevel::kDebug);
  EXPECT_EQ(kafka::LogLevelFromSyslog(7), runtime::LogLevel::kDebug);

  // A client that cannot connect: librdkafka logs the failure (level 3, FAIL).
  StderrCapture capture;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<kafka::Admin> admin,
                         kafka::Admin::Create({{"bootstrap.servers", "127.0.0.1:1"},
                                               {"client.id", "log-bridge-test"}}));
    EXPECT_THAT(admin->Ping(1500ms), Not(IsOk()));
  }
  const std::string text = capture.Text();
  EXPECT_THAT(text, HasSubstr("ERROR librdkafka: [log-bridge-test#producer-"));
  EXPECT_THAT(text, HasSubstr("] [FAIL] "));
  // librdkafka's own format ("%3|1795613859.498|FAIL|...") never reaches stderr.
  EXPECT_THAT(text, Not(HasSubstr("%3|")));
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StrContains(line, "Z ERROR ") || absl::StrContains(line, "Z WARN ") ||
                absl::StrContains(line, "Z INFO "))
        << line;
  }
}

// ---------------------------------------------------------------- schema and build info

TEST(SchemaTest, JsonSchemaOfEveryKeyWithDescriptions) {
  const std::string schema = PipelineConfigSchema();
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(schema, &parsed).ok()) << schema;
  const auto& top = parsed.fields();
  EXPECT_EQ(top.at("$schema").string_value(), "http://json-schema.org/draft-07/schema#");
  const auto& properties = top.at("properties").struct_value().fields();
  const google::protobuf::Descriptor& config = *v1::PipelineConfig::descriptor();
  for (int i = 0; i < config.field_count(); ++i) {
    const std::string name = config.field(i)->name();
    ASSERT_EQ(properties.count(name), 1u) << name;
    // The .proto's comments are embedded: every top-level key has one.
    EXPECT_FALSE(
        properties.at(name).struct_value().fields().at("description").string_value().empty())
        << name;
  }
  EXPECT_THAT(schema, HasSubstr("\"exactly_once_v2\""));
  EXPECT_THAT(schema, HasSubstr("\"additionalProperties\": false"));
  EXPECT_THAT(schema, HasSubstr("#/definitions/TransformConfig"));
}

TEST(BuildInfoTest, VersionCommitAndLibraries) {
  const BuildInfo& info = GetBuildInfo();
  EXPECT_EQ(info.version, ONCEFLOW_VERSION_STRING);
  EXPECT_FALSE(info.commit.empty());
  EXPECT_EQ(info.librdkafka, rd_kafka_version_str());
  EXPECT_THAT(info.rocksdb, ::testing::StartsWith("7."));
  EXPECT_THAT(info.protobuf, ::testing::StartsWith("3."));
  EXPECT_THAT(VersionText(info),
              ::testing::StartsWith(absl::StrCat("onceflow ", kVersion, " (commit ")));
}

}  // namespace
}  // namespace onceflow::sidecar
