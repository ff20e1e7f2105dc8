#include "tests/testing/pipeline_test.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "base/child_process.h"
#include "kafka/producer.h"

namespace onceflow::testing {

using ::onceflow::base::ChildProcess;
using ::onceflow::base::SpawnOptions;

std::vector<std::string> PipelineTest::ChildArgs(const std::string& app,
                                                 const std::string& instance, const std::string& in,
                                                 const std::string& out, const std::string& mode,
                                                 std::vector<std::string> extra) {
  std::vector<std::string> args = {ONCEFLOW_TEST_PIPELINE_BIN,
                                   "--bootstrap",
                                   Bootstrap(),
                                   "--app",
                                   app,
                                   "--instance",
                                   instance,
                                   "--input",
                                   in,
                                   "--output",
                                   out,
                                   "--mode",
                                   mode};
  // The broker's minimum, so a member that dies is dropped quickly; under the consumer group
  // protocol (KIP-848) the session timeout is the broker's, and librdkafka refuses the property.
  if (std::find(extra.begin(), extra.end(), "group.protocol=consumer") == extra.end()) {
    args.insert(args.end(), {"--session-timeout-ms", "6000"});
  }
  for (std::string& e : extra) args.push_back(std::move(e));
  return args;
}

std::string PipelineTest::LogPath(absl::string_view name) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return absl::StrCat("/tmp/onceflow-test-", info->name(), "-", name, "-", ::getpid(), ".log");
}

std::string PipelineTest::TempDir(absl::string_view name) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string dir =
      absl::StrCat("/tmp/onceflow-test-", info->name(), "-", name, "-", ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string PipelineTest::WriteConfig(const std::string& yaml) {
  const std::string path = TempDir("config") + "/pipeline.yaml";
  std::ofstream(path) << yaml;
  return path;
}

std::vector<std::string> PipelineTest::SidecarArgs(const std::string& config,
                                                   std::vector<std::string> extra) {
  std::vector<std::string> args = {ONCEFLOW_CLI_BIN, "run", "--config", config};
  for (std::string& e : extra) args.push_back(std::move(e));
  return args;
}

void PipelineTest::ProduceKeyValues(const std::string& topic,
                                    const std::vector<std::pair<std::string, std::string>>& kv,
                                    int partitions) {
  absl::StatusOr<std::unique_ptr<kafka::Producer>> producer =
      kafka::Producer::Create(ClientProps());
  ASSERT_TRUE(producer.ok()) << producer.status();
  int i = 0;
  for (const auto& [k, v] : kv) {
    absl::Status st = (*producer)->Produce({topic, Partition(i++ % partitions), k, v});
    ASSERT_TRUE(st.ok()) << st;
  }
  absl::Status st = (*producer)->Flush(std::chrono::seconds(60));
  ASSERT_TRUE(st.ok()) << st;
}

void PipelineTest::KillAtEachFaultThenDrain(const std::vector<std::string>& args,
                                            const std::vector<std::string>& faults) {
  for (const std::string& fault : faults) {
    absl::StatusOr<ChildProcess> child = ChildProcess::Start(
        args, SpawnOptions::ToLog(LogPath("child"), {{"ONCEFLOW_FAULT", fault}}));
    ASSERT_TRUE(child.ok()) << child.status();
    absl::StatusOr<ChildProcess::Exit> exit = child->Wait(std::chrono::seconds(120));
    ASSERT_TRUE(exit.ok()) << fault << ": " << exit.status() << "; log " << LogPath("child");
    ASSERT_TRUE(exit->signaled && exit->signal == SIGKILL)
        << fault << ": the child was supposed to die at the fault point; exit code " << exit->code
        << "; log " << LogPath("child");
  }
  std::vector<std::string> last = args;
  last.push_back("--stop-when-caught-up");
  absl::StatusOr<ChildProcess> child =
      ChildProcess::Start(last, SpawnOptions::ToLog(LogPath("child")));
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<ChildProcess::Exit> exit = child->Wait(std::chrono::seconds(180));
  ASSERT_TRUE(exit.ok()) << exit.status() << "; log " << LogPath("child");
  ASSERT_FALSE(exit->signaled) << "signal " << exit->signal << "; log " << LogPath("child");
  ASSERT_EQ(exit->code, 0) << "log " << LogPath("child");
}

void PipelineTest::WaitForCommittedAtLeast(const std::string& group, const std::string& topic,
                                           int64_t min_total, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int64_t total = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<std::vector<TopicPartitionOffset>> committed = CommittedOffsets(group, topic);
    total = 0;
    if (committed.ok()) {
      for (const auto& c : *committed) total += c.offset.is_logical() ? 0 : c.offset.value();
    }
    if (total >= min_total) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling a condition
  }
  FAIL() << "group " << group << " committed " << total << " < " << min_total << " within "
         << timeout.count() << " s";
}

}  // namespace onceflow::testing
