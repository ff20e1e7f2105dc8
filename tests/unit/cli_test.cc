// The `onceflow` command line, through the real binary and without a broker: one parser for
// every subcommand, so flags behave alike (--flag=value and --flag value), help is the same
// whichever way it is asked for, and errors end with the command's help hint and exit 2.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onceflow/version.h"
#include "base/child_process.h"

namespace onceflow {
namespace {

using ::onceflow::base::ChildProcess;
using ::onceflow::base::SpawnOptions;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct Result {
  int code = -1;
  std::string out;  // stdout and stderr together
};

Result Cli(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  static int counter = 0;
  const std::string log = absl::StrCat(::testing::TempDir(), "/cli-", ::getpid(), "-", ++counter);
  std::remove(log.c_str());
  args.insert(args.begin(), ONCEFLOW_CLI_BIN);
  absl::StatusOr<ChildProcess> child = ChildProcess::Start(args, SpawnOptions::ToLog(log, env));
  EXPECT_TRUE(child.ok()) << child.status();
  if (!child.ok()) return {};
  absl::StatusOr<ChildProcess::Exit> exit = child->Wait(std::chrono::seconds(60));
  EXPECT_TRUE(exit.ok()) << exit.status();
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  return {exit.ok() ? exit->code : -1, text.str()};
}

std::string Example() { return absl::StrCat(ONCEFLOW_SOURCE_DIR, "/examples/sidecar/orders.yaml"); }

TEST(CliTest, HelpIsTheSameWhicheverWayItIsAskedFor) {
  for (const std::vector<std::string>& command : {std::vector<std::string>{"run"},
                                                  {"validate"},
                                                  {"audit"},
                                                  {"bench"},
                                                  {"ping"},
                                                  {"topic", "create"},
                                                  {"topic", "delete"},
                                                  {"offsets"},
                                                  {"schema"},
                                                  {"version"}}) {
    std::vector<std::string> help = {"help"};
    help.insert(help.end(), command.begin(), command.end());
    std::vector<std::string> dash_help = command;
    dash_help.push_back("--help");
    const Result a = Cli(help);
    const Result b = Cli(dash_help);
    EXPECT_EQ(a.code, 0);
    EXPECT_EQ(b.code, 0);
    EXPECT_EQ(a.out, b.out) << command.back();
    EXPECT_THAT(a.out, HasSubstr("Usage: onceflow " + absl::StrJoin(command, " ")));
  }
  const Result top = Cli({"--help"});
  EXPECT_EQ(top.code, 0);
  EXPECT_THAT(top.out, HasSubstr("Commands that talk to Kafka"));
  EXPECT_EQ(Cli({"help"}).out, top.out);
  const Result none = Cli({});
  EXPECT_EQ(none.code, 2);
  EXPECT_EQ(none.out, top.out);
}

TEST(CliTest, FlagsBehaveAlikeInEveryCommand) {
  // --config=FILE and --config FILE, in validate and run alike.
  for (const char* command : {"validate", "run"}) {
    SCOPED_TRACE(command);
    const Result eq = Cli({command, "--config=/nonexistent/pipeline.yaml"});
    const Result space = Cli({command, "--config", "/nonexistent/pipeline.yaml"});
    EXPECT_EQ(eq.code, 1);  // the file cannot be read: not a usage error
    EXPECT_EQ(eq.out, space.out);
    EXPECT_THAT(eq.out, HasSubstr("cannot read /nonexistent/pipeline.yaml"));
  }
  const Result ok = Cli({"validate", "-c", Example()});
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_THAT(ok.out, HasSubstr("OK (application orders-sidecar"));
}

TEST(CliTest, UsageErrorsEndWithTheCommandsHelpHint) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
    std::string command;
  };
  const Case cases[] = {
      {{"run"}, "--config is required", "run"},
      {{"run", "--config", Example(), "--log-format", "xml"}, "--log-format", "run"},
      {{"run", "--config", Example(), "--metrics-address", "metrics.example:9464"},
       "host names are not resolved",
       "run"},
      {{"validate", "--config", Example(), "extra"}, "extra", "validate"},
      {{"topic", "create"}, "name is required", "topic create"},
      {{"topic", "create", "t", "--partitions", "0"}, "--partitions", "topic create"},
      {{"topic"}, "subcommand", "topic"},
      {{"offsets", "--group", "g"}, "--topic is required", "offsets"},
      {{"ping", "-X", "no-equals-sign"}, "-X wants key=value", "ping"},
      {{"ping", "--command-config", "/nonexistent"}, "/nonexistent", "ping"},
      {{"ping", "--bootstrap="}, "--bootstrap", "ping"},
      {{"audit", "--mode", "sometimes"}, "--mode", "audit"},
      {{"audit", "--records", "many"}, "--records", "audit"},
      {{"bench", "--size", "8"}, "--size", "bench"},
      {{"bench", "--progress", "loud"}, "--progress", "bench"},
      {{"help", "nope"}, "unknown command 'nope'", "help"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrJoin(c.args, " "));
    const Result r = Cli(c.args);
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_THAT(r.out, StartsWith("onceflow " + c.command + ": "));
    EXPECT_THAT(r.out, HasSubstr(c.says));
    EXPECT_THAT(r.out, EndsWith("Run 'onceflow " + c.command + " --help' for usage.\n"));
  }
  const Result unknown = Cli({"frobnicate"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_THAT(unknown.out, EndsWith("Run 'onceflow --help' for usage.\n"));
}

TEST(CliTest, VersionShowsCommitAndLibraries) {
  const Result v = Cli({"version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_THAT(v.out, StartsWith(absl::StrCat("onceflow ", kVersion, " (commit ")));
  EXPECT_THAT(v.out, HasSubstr("librdkafka 2."));
  EXPECT_THAT(v.out, HasSubstr("RocksDB    7."));
  EXPECT_THAT(v.out, HasSubstr("protobuf   3."));
  EXPECT_EQ(Cli({"--version"}).out, v.out);
}

TEST(CliTest, SchemaIsWrittenWhereAsked) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/schema-", ::getpid(), ".json");
  const Result r = Cli({"schema", "--output", path});
  EXPECT_EQ(r.code, 0) << r.out;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), Cli({"schema"}).out);
  EXPECT_THAT(text.str(), HasSubstr("\"$schema\""));
}

}  // namespace
}  // namespace onceflow
