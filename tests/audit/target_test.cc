// The audit's targets: parsing --target, placeholders, and each kind's command line.
#include "audit/target.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onceflow::audit {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::map<std::string, std::string> Values() {
  std::map<std::string, std::string> v;
  for (const std::string& name : TargetPlaceholders()) v[name] = name + "-value";
  v["bootstrap"] = "127.0.0.1:29392,127.0.0.1:29393";
  v["instance"] = "i2";
  v["guarantee"] = "exactly_once_v2";
  v["dedupe_field"] = "id";
  return v;
}

TEST(ParseTargetTest, NamesAndCommands) {
  EXPECT_EQ(ParseTarget("onceflow")->kind, TargetKind::kOnceflow);
  EXPECT_EQ(ParseTarget("onceflow")->name, "onceflow");
  EXPECT_EQ(ParseTarget(" kafka-streams ")->kind, TargetKind::kKafkaStreams);
  absl::StatusOr<Target> cmd = ParseTarget("my-job --brokers {bootstrap} --id {instance}");
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  EXPECT_EQ(cmd->kind, TargetKind::kCommand);
  EXPECT_EQ(cmd->name, "command");
  EXPECT_EQ(cmd->command, "my-job --brokers {bootstrap} --id {instance}");
  // onceflow's own config names the cluster too.
  EXPECT_EQ(ParseTarget("/opt/onceflow run --config {config}")->kind, TargetKind::kCommand);
}

TEST(ParseTargetTest, RefusesWhatCannotRun) {
  EXPECT_THAT(ParseTarget("").status().message(), HasSubstr("empty"));
  // A typo of a name is a command without {bootstrap}.
  EXPECT_THAT(ParseTarget("kafka-stream").status().message(), HasSubstr("names neither {bootstrap} nor {config}"));
  EXPECT_THAT(ParseTarget("job {bootstrap} {instanse}").status().message(),
              HasSubstr("unknown placeholder {instanse}"));
  EXPECT_THAT(ParseTarget("job {bootstrap} {instance").status().message(),
              HasSubstr("unclosed placeholder"));
}

TEST(ExpandPlaceholdersTest, ReplacesQuotesAndKeepsLiteralBraces) {
  const auto v = Values();
  EXPECT_EQ(*ExpandPlaceholders("--app {app} --json '{{\"a\":1}}'", v, false),
            "--app app-value --json '{\"a\":1}'");
  EXPECT_EQ(*ExpandPlaceholders("--id {instance}", v, true), "--id 'i2'");
  std::map<std::string, std::string> tricky = v;
  tricky["app"] = "it's $(rm -rf x)";
  EXPECT_EQ(*ExpandPlaceholders("{app}", tricky, true), "'it'\\''s $(rm -rf x)'");
  EXPECT_FALSE(ExpandPlaceholders("{app}", {}, true).ok());
}

TEST(InstanceArgvTest, ACommandRunsUnderTheShellWithQuotedValues) {
  const Target t = *ParseTarget("my-job --brokers {bootstrap} --state {state_dir}");
  absl::StatusOr<std::vector<std::string>> argv = InstanceArgv(t, Values(), {}, true);
  ASSERT_TRUE(argv.ok()) << argv.status();
  EXPECT_THAT(*argv, ElementsAre("/bin/sh", "-c",
                                 "exec my-job --brokers '127.0.0.1:29392,127.0.0.1:29393' "
                                 "--state 'state_dir-value'"));
}

TEST(InstanceArgvTest, TheStreamsPeerGetsItsAuditFlags) {
  Target t = *ParseTarget("kafka-streams");
  t.jar = "/peer.jar";
  absl::StatusOr<std::vector<std::string>> argv = InstanceArgv(
      t, Values(), {{"bootstrap.servers", "x"}, {"security.protocol", "SASL_SSL"}}, true);
  ASSERT_TRUE(argv.ok()) << argv.status();
  const std::vector<std::string> want = {
      "java", "-Xms256m", "-Xmx256m", "-cp", "/peer.jar", "onceflow.bench.AuditPeer",
      "--bootstrap", "127.0.0.1:29392,127.0.0.1:29393", "--application-id", "app-value",
      "--input", "input-value", "--output", "output-value", "--instance", "i2", "--state-dir",
      "state_dir-value", "--guarantee", "exactly_once_v2", "--commit-interval-ms",
      "commit_interval_ms-value", "--session-timeout-ms", "session_timeout_ms-value",
      "--transaction-timeout-ms", "transaction_timeout_ms-value", "--dedupe-field", "id",
      "--count", "--property", "security.protocol=SASL_SSL"};
  EXPECT_EQ(*argv, want);
  auto no_dedupe = Values();
  no_dedupe["dedupe_field"] = "";
  argv = InstanceArgv(t, no_dedupe, {}, false);
  ASSERT_TRUE(argv.ok());
  EXPECT_THAT(*argv, ::testing::Not(::testing::Contains("--dedupe-field")));
  EXPECT_THAT(*argv, ::testing::Not(::testing::Contains("--count")));
}

}  // namespace
}  // namespace onceflow::audit
