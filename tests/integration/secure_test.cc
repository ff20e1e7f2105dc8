// onceflow against a secured cluster, for real: the SASL_SSL listener scripts/kafka adds with
// ONCEFLOW_KAFKA_SECURE=1 (SCRAM-SHA-512 over TLS, a test CA, ACLs with KRaft's
// StandardAuthorizer; users admin, onceflow, notxn, noacl, see scripts/kafka).
//
// The sidecar runs exactly once with its own user (minimal ACLs); a wrong password, an untrusted
// broker certificate, a user without the topic ACLs and one without the transactional-id ACL
// each end with exit 5 and a message naming the principal, the resource and the operation,
// with nothing consumed, nothing produced and nothing committed; no password appears in any log
// line, error, /metrics or validate output. The Kafka-talking commands (ping, topic, offsets,
// bench, audit) take the same credentials through --command-config and -X.
//
// Topics and groups are named "secure-..." (the ACLs are on that prefix) and are created and
// read back through the PLAINTEXT listener, whose clients are super users.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kafka/admin.h"
#include "kafka/config.h"
#include "base/child_process.h"
#include "base/file.h"
#include "tests/testing/pipeline_test.h"
#include "tests/testing/status_matchers.h"

namespace onceflow {
namespace {

using ::onceflow::base::ChildProcess;
using ::onceflow::base::SpawnOptions;
using ::onceflow::testing::Isolation;
using ::onceflow::testing::ReadRecord;
using ::onceflow::testing::UniqueName;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

using namespace std::chrono_literals;

// A child's log, or "" when it cannot be read (it is only shown in failure messages).
std::string ReadLog(const std::string& path) { return base::ReadFile(path).value_or(""); }

constexpr int kRecords = 2000;

// scripts/kafka's secure folder: $ONCEFLOW_KAFKA_SECURE_DIR, else $ONCEFLOW_KAFKA_DIR/secure,
// else build/kafka/secure in the checkout.
std::string SecureDir() {
  if (const char* dir = std::getenv("ONCEFLOW_KAFKA_SECURE_DIR"); dir != nullptr && *dir) {
    return dir;
  }
  if (const char* dir = std::getenv("ONCEFLOW_KAFKA_DIR"); dir != nullptr && *dir) {
    return absl::StrCat(dir, "/secure");
  }
  return absl::StrCat(ONCEFLOW_SOURCE_DIR, "/build/kafka/secure");
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A user's client properties, from <secure dir>/<user>.properties.
std::map<std::string, std::string> UserProperties(const std::string& user) {
  std::map<std::string, std::string> props;
  for (absl::string_view line :
       absl::StrSplit(Slurp(SecureDir() + "/" + user + ".properties"), '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    if (eq != absl::string_view::npos) {
      props[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
  }
  return props;
}

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

// GET http://127.0.0.1:port/path: the body, or nullopt if nothing answers with 200.
std::optional<std::string> HttpGet(int port, const std::string& path) {
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
  if (!absl::StartsWith(resp, "HTTP/1.1 200")) return std::nullopt;
  const size_t body = resp.find("\r\n\r\n");
  return body == std::string::npos ? "" : resp.substr(body + 4);
}

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

class SecureTest : public testing::PipelineTest {
 protected:
  static void SetUpTestSuite() {
    PipelineTest::SetUpTestSuite();
    secure_ready_ = std::filesystem::exists(SecureDir() + "/admin.properties");
  }

  void SetUp() override {
    PipelineTest::SetUp();
    ASSERT_TRUE(secure_ready_) << "no secured listener: " << SecureDir()
                               << "/admin.properties is missing. Start the broker with it: "
                                  "ONCEFLOW_KAFKA_SECURE=1 scripts/kafka restart (scripts/test "
                                  "does)";
    // The topics are made through $ONCEFLOW_BOOTSTRAP and used through the secure listener:
    // both must be the same cluster.
    std::map<std::string, std::string> admin_props = UserProperties("admin");
    ASSERT_OK_AND_ASSIGN(
        std::unique_ptr<kafka::Admin> secure,
        kafka::Admin::Create(kafka::Properties(admin_props.begin(), admin_props.end())));
    const absl::Status ping = secure->Ping(30s);
    // librdkafka before 2.6.1 repeats the client nonce in SCRAM's client-final message, which
    // Kafka 4.x brokers reject as wrong credentials (librdkafka#4895).
    const bool scram_bug = absl::StrContains(ping.message(), "invalid credentials");
    ASSERT_TRUE(ping.ok()) << "the secure listener " << admin_props.at("bootstrap.servers")
                           << " does not answer (" << ping << "); "
                           << (scram_bug ? absl::StrCat("if the broker is Kafka 4.x: librdkafka ",
                                                        kafka::LibrdkafkaVersion(),
                                                        " is older than 2.6.1, which cannot log in "
                                                        "with SCRAM to 4.x (librdkafka#4895); "
                                                        "run this label against Kafka 3.9, as "
                                                        "scripts/test does")
                                         : std::string("start the broker with it: "
                                                       "ONCEFLOW_KAFKA_SECURE=1 scripts/kafka "
                                                       "restart"));
    const std::string secure_cluster = ClusterId(secure->handle());
    const std::string plain_cluster = ClusterId(admin().handle());
    ASSERT_EQ(secure_cluster, plain_cluster)
        << "$ONCEFLOW_BOOTSTRAP (" << testing::Bootstrap() << ") and the secure listener ("
        << admin_props.at("bootstrap.servers") << ", from " << SecureDir()
        << ") are different clusters";
    in_ = CreateTopic("secure-in", 2);
    out_ = CreateTopic("secure-out", 2);
    app_ = UniqueName("secure-app");
    std::vector<std::pair<std::string, std::string>> input;
    for (int i = 0; i < kRecords; ++i)
      input.emplace_back(absl::StrCat("k", i % 37), absl::StrCat("v", i));
    ProduceKeyValues(in_, input, 2);
  }

  // Every secret of the test broker: the users' passwords, the CA's and the broker's keys.
  static std::vector<std::string> Secrets() {
    std::vector<std::string> secrets;
    for (const char* user : {"admin", "onceflow", "notxn", "noacl"}) {
      secrets.push_back(UserProperties(user).at("sasl.password"));
    }
    for (const char* key : {"ca.key", "broker.key"}) {
      // The base64 body's first line is enough to recognise a key.
      const std::vector<std::string> lines = absl::StrSplit(Slurp(SecureDir() + "/" + key), '\n');
      if (lines.size() > 1) secrets.push_back(lines[1]);
    }
    return secrets;
  }

  static void ExpectNoSecret(const std::string& text, const std::string& where) {
    for (const std::string& secret : Secrets()) {
      ASSERT_FALSE(secret.empty());
      EXPECT_THAT(text, Not(HasSubstr(secret))) << "a secret in " << where;
    }
  }

  // A config for `user`, its password through ${KAFKA_PASSWORD}, the CA from `ca`.
  std::string Config(const std::string& user, const std::string& extra = "",
                     const std::string& ca = "ca.crt") {
    const std::map<std::string, std::string> props = UserProperties("onceflow");
    return WriteConfig(absl::StrCat(
        "application_id: ", app_, "\ninstance_id: i0\nbootstrap_servers: ",
        props.at("bootstrap.servers"), "\ninputs: [", in_, "]\noutput: ", out_,
        "\nmode: exactly_once_v2\ncommit_interval_ms: 100ms\nstate:\n  dir: ", TempDir("state"),
        "\nlog:\n  level: debug\n",
        // No fixed port: parallel tests (and other processes) would collide on 9464. The test
        // that scrapes passes --metrics-address.
        "metrics:\n  address: \"off\"\n", extra,
        "kafka:\n  security.protocol: SASL_SSL\n  sasl.mechanisms: SCRAM-SHA-512\n"
        "  sasl.username: ",
        user, "\n  sasl.password: ${KAFKA_PASSWORD}\n  ssl.ca.location: ", SecureDir(), "/", ca,
        "\nconsumer:\n  session.timeout.ms: \"6000\"\n"));
  }

  Outcome Run(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
              std::chrono::seconds timeout = 90s) {
    const std::string log = LogPath(absl::StrCat("run-", ++runs_));
    std::filesystem::remove(log);
    absl::StatusOr<ChildProcess> child = ChildProcess::Start(args, SpawnOptions::ToLog(log, env));
    EXPECT_TRUE(child.ok()) << child.status();
    if (!child.ok()) return {};
    absl::StatusOr<ChildProcess::Exit> exit = child->Wait(timeout);
    EXPECT_TRUE(exit.ok()) << exit.status() << "\n" << ReadLog(log);
    if (!exit.ok()) return {};
    EXPECT_FALSE(exit->signaled);
    return {exit->code, ReadLog(log)};
  }

  Outcome Cli(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
    args.insert(args.begin(), ONCEFLOW_CLI_BIN);
    return Run(args, env, 120s);
  }

  // Nothing was consumed, produced or committed: the input is whole, the output empty (even
  // read_uncommitted), and the group has no committed offset.
  void ExpectNothingProcessed() {
    ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> input, ReadAll(in_, Isolation::kReadCommitted));
    EXPECT_EQ(input.size(), static_cast<size_t>(kRecords));
    ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> output,
                         ReadAll(out_, Isolation::kReadUncommitted));
    EXPECT_TRUE(output.empty());
    ASSERT_OK_AND_ASSIGN(std::vector<TopicPartitionOffset> committed, CommittedOffsets(app_, in_));
    for (const TopicPartitionOffset& c : committed) EXPECT_TRUE(c.offset.is_logical()) << c.offset;
  }

  // Every input record is in the output once, and the group committed the input's end.
  void ExpectExactlyOnce() {
    ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> output, ReadAll(out_, Isolation::kReadCommitted));
    std::set<std::string> values;
    for (const ReadRecord& r : output) values.insert(r.value);
    EXPECT_EQ(output.size(), static_cast<size_t>(kRecords));
    EXPECT_EQ(values.size(), static_cast<size_t>(kRecords));
    ASSERT_OK_AND_ASSIGN(std::vector<TopicPartitionOffset> committed, CommittedOffsets(app_, in_));
    int64_t total = 0;
    for (const TopicPartitionOffset& c : committed)
      total += c.offset.is_logical() ? 0 : c.offset.value();
    EXPECT_EQ(total, kRecords);
  }

  static std::string ClusterId(rd_kafka_t* rk) {
    char* id = rd_kafka_clusterid(rk, 10000);
    const std::string out = id != nullptr ? id : "";
    if (id != nullptr) rd_kafka_mem_free(rk, id);
    return out;
  }

  static bool secure_ready_;
  std::string in_, out_, app_;
  int runs_ = 0;
};

bool SecureTest::secure_ready_ = false;

// The sidecar's own user, with only the ACLs onceflow needs, runs exactly once; /metrics, the
// log (at debug) and validate show no secret.
TEST_F(SecureTest, SidecarRunsExactlyOnceWithItsOwnUser) {
  const std::string password = UserProperties("onceflow").at("sasl.password");
  const int port = FreePort();
  const std::string config = Config("onceflow");
  const std::map<std::string, std::string> env = {{"KAFKA_PASSWORD", password}};

  const Outcome validate = Cli({"validate", "--config", config}, env);
  EXPECT_EQ(validate.exit_code, 0) << validate.output;
  EXPECT_THAT(validate.output, HasSubstr("OK (application"));
  ExpectNoSecret(validate.output, "validate's output");

  const std::string log = LogPath("sidecar");
  std::filesystem::remove(log);
  ASSERT_OK_AND_ASSIGN(
      ChildProcess child,
      ChildProcess::Start(
          SidecarArgs(config, {"--metrics-address", absl::StrCat("127.0.0.1:", port)}),
          SpawnOptions::ToLog(log, env)));
  WaitForCommittedAtLeast(app_, in_, kRecords, 90s);
  std::optional<std::string> metrics = HttpGet(port, "/metrics");
  ASSERT_TRUE(metrics.has_value()) << ReadLog(log);
  EXPECT_THAT(*metrics, HasSubstr(absl::StrCat("onceflow_records_in_total{application=\"", app_,
                                               "\",instance_id=\"i0\",mode=\"eos\"} ", kRecords)));
  ExpectNoSecret(*metrics, "/metrics");
  ASSERT_THAT(child.Signal(SIGTERM), ::onceflow::testing::IsOk());
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit exit, child.Wait(60s));
  EXPECT_EQ(exit.code, 0) << ReadLog(log);
  const std::string text = ReadLog(log);
  EXPECT_THAT(text, HasSubstr("transactional.id=" + app_ + "-i0"));
  ExpectNoSecret(text, "the sidecar's log");
  ExpectExactlyOnce();
}

TEST_F(SecureTest, WrongPasswordEndsWithExitFiveAndProcessesNothing) {
  const Outcome run = Run(SidecarArgs(Config("onceflow"), {"--until-drained"}),
                          {{"KAFKA_PASSWORD", "not-the-password"}});
  EXPECT_EQ(run.exit_code, 5) << run.output;
  EXPECT_THAT(run.output,
              AllOf(HasSubstr("onceflow run: authentication as User:onceflow (SASL_SSL, "
                              "SCRAM-SHA-512)"),
                    HasSubstr("was refused: check sasl.username and sasl.password")));
  EXPECT_THAT(run.output, Not(HasSubstr("not-the-password")));
  ExpectNoSecret(run.output, "the sidecar's output");
  ExpectNothingProcessed();
}

TEST_F(SecureTest, UntrustedBrokerCertificateEndsWithExitFiveAndProcessesNothing) {
  const Outcome run =
      Run(SidecarArgs(Config("onceflow", "", "untrusted-ca.crt"), {"--until-drained"}),
          {{"KAFKA_PASSWORD", UserProperties("onceflow").at("sasl.password")}});
  EXPECT_EQ(run.exit_code, 5) << run.output;
  EXPECT_THAT(run.output,
              AllOf(HasSubstr("onceflow run: TLS handshake with"),
                    HasSubstr("is not trusted by ssl.ca.location"), HasSubstr("untrusted-ca.crt"),
                    HasSubstr("certificate verify failed")));
  ExpectNoSecret(run.output, "the sidecar's output");
  ExpectNothingProcessed();
}

TEST_F(SecureTest, UserWithoutTopicAclEndsWithExitFiveNamingPrincipalResourceOperation) {
  const Outcome run = Run(SidecarArgs(Config("noacl"), {"--until-drained"}),
                          {{"KAFKA_PASSWORD", UserProperties("noacl").at("sasl.password")}});
  EXPECT_EQ(run.exit_code, 5) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr(absl::StrCat("onceflow run: User:noacl is not allowed to Describe, Read "
                                     "Topic '",
                                     in_,
                                     "' (TOPIC_AUTHORIZATION_FAILED); grant it with: "
                                     "kafka-acls.sh")));
  EXPECT_THAT(run.output, HasSubstr("--allow-principal User:noacl --operation Describe "
                                    "--operation Read --topic " +
                                    in_));
  ExpectNoSecret(run.output, "the sidecar's output");
  ExpectNothingProcessed();
}

TEST_F(SecureTest, UserWithoutTransactionalIdAclEndsWithExitFiveAndProcessesNothing) {
  const Outcome run = Run(SidecarArgs(Config("notxn"), {"--until-drained"}),
                          {{"KAFKA_PASSWORD", UserProperties("notxn").at("sasl.password")}});
  EXPECT_EQ(run.exit_code, 5) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr(absl::StrCat("onceflow run: User:notxn is not allowed to Write, Describe "
                                     "TransactionalId '",
                                     app_, "-i0' (TRANSACTIONAL_ID_AUTHORIZATION_FAILED)")));
  ExpectNoSecret(run.output, "the sidecar's output");
  ExpectNothingProcessed();
}

// A config error near the secret shows neither it nor any other value that came through ${...}.
TEST_F(SecureTest, ConfigErrorsShowNoSecret) {
  const std::string password = UserProperties("onceflow").at("sasl.password");
  const std::pair<std::string, std::string> cases[] = {
      // librdkafka refuses the value; onceflow does not repeat it.
      {"producer:\n  compression.type: \"${KAFKA_PASSWORD}\"\n", "producer.compression.type"},
      // The loader refuses the value's type.
      {"max_records_per_transaction: ${KAFKA_PASSWORD}\n", "max_records_per_transaction"},
  };
  for (const auto& [extra, key] : cases) {
    SCOPED_TRACE(key);
    const std::string config = Config("onceflow", extra);
    for (const char* command : {"validate", "run"}) {
      const Outcome out = Cli({command, "--config", config}, {{"KAFKA_PASSWORD", password}});
      EXPECT_EQ(out.exit_code, 2) << out.output;
      EXPECT_THAT(out.output, HasSubstr(key));
      ExpectNoSecret(out.output, absl::StrCat(command, "'s error"));
    }
  }
}

// ping, topic and offsets through --command-config and -X; refusals exit 5 and say why.
TEST_F(SecureTest, KafkaCommandsTakeClientProperties) {
  const std::string dir = SecureDir();
  const std::string user = dir + "/onceflow.properties";
  Outcome out = Cli({"ping", "--command-config", user});
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_THAT(out.output, HasSubstr("answers metadata requests"));

  // -X wins over the file: a wrong password, given on the command line, is refused unshown.
  out = Cli({"ping", "--command-config", user, "-X", "sasl.password=wrong-on-purpose"});
  EXPECT_EQ(out.exit_code, 5) << out.output;
  EXPECT_THAT(out.output, HasSubstr("authentication as User:onceflow"));
  EXPECT_THAT(out.output, Not(HasSubstr("wrong-on-purpose")));

  out = Cli({"ping", "--command-config", user, "-Xssl.ca.location=" + dir + "/untrusted-ca.crt"});
  EXPECT_EQ(out.exit_code, 5) << out.output;
  EXPECT_THAT(out.output, HasSubstr("TLS handshake"));

  // Everything through -X alone, with --bootstrap-server.
  const std::map<std::string, std::string> p = UserProperties("onceflow");
  const std::string topic = UniqueName("secure-cli");
  out = Cli({"topic", "create", topic, "--partitions", "2", "--bootstrap-server",
             p.at("bootstrap.servers"), "-X", "security.protocol=SASL_SSL", "-X",
             "sasl.mechanisms=SCRAM-SHA-512", "-X", "sasl.username=onceflow", "-X",
             "sasl.password=" + p.at("sasl.password"), "-X", "ssl.ca.location=" + dir + "/ca.crt"});
  EXPECT_EQ(out.exit_code, 0) << out.output;
  out = Cli({"offsets", "--group", app_, "--topic", topic, "--command-config", user});
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_THAT(out.output, HasSubstr("no committed offset"));
  out = Cli({"offsets", "--group", app_, "--topic", topic, "--command-config",
             dir + "/noacl.properties"});
  EXPECT_EQ(out.exit_code, 5) << out.output;
  EXPECT_THAT(out.output, HasSubstr("User:noacl is not allowed to Describe Topic '" + topic));
  out = Cli({"topic", "delete", topic, "--command-config", dir + "/noacl.properties"});
  EXPECT_EQ(out.exit_code, 5) << out.output;
  // The application's user may not delete topics (it needs no Delete ACL); the admin may.
  out = Cli({"topic", "delete", topic, "-b", p.at("bootstrap.servers"), "--command-config",
             dir + "/admin.properties"});
  EXPECT_EQ(out.exit_code, 0) << out.output;
  for (const std::string& text : {out.output}) ExpectNoSecret(text, "a command's output");
}

// bench and audit reach the secured cluster with the same flags, their children included.
TEST_F(SecureTest, BenchAndAuditTakeClientProperties) {
  const std::string admin = SecureDir() + "/admin.properties";
  const std::string json = TempDir("bench") + "/bench.json";
  Outcome out = Cli({"bench", "--command-config", admin, "--systems", "raw,onceflow-eos",
                     "--records", "2000", "--repeat", "1", "--partitions", "1", "--no-latency",
                     "--verify", "--progress", "always", "--json", json});
  EXPECT_EQ(out.exit_code, 0) << out.output;
  const std::string results = ReadLog(json);
  EXPECT_THAT(results, HasSubstr("\"system\": \"onceflow-eos\""));
  EXPECT_THAT(results, HasSubstr("\"output_records\": 2000"));
  EXPECT_THAT(out.output, HasSubstr("runs ("));  // the progress line: "... 3/4 runs (75%) ..."
  ExpectNoSecret(out.output, "bench's output");

  const std::string audit_json = TempDir("audit") + "/audit.json";
  const std::string run_dir = TempDir("audit-run");
  out = Cli({"audit", "--command-config", admin, "--mode", "eos", "--records", "1000",
             "--instances", "1", "--rate", "500", "--run-dir", run_dir, "--json", audit_json,
             "--progress", "always"});
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_THAT(ReadLog(audit_json), HasSubstr("\"lost\": 0"));
  EXPECT_THAT(out.output, HasSubstr("records sent ("));
  ExpectNoSecret(out.output, "audit's output");
  // The children's configs name the secret, never hold it.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(run_dir)) {
    if (!entry.is_regular_file()) continue;
    ExpectNoSecret(ReadLog(entry.path().string()), entry.path().string());
  }
}

}  // namespace
}  // namespace onceflow
