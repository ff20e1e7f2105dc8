// Unproducible records (outputs larger than the output topic takes) in bulk, on fakes
// (tests/testing/fake_kafka.h): each must end in the dead-letter topic once (eos) without
// costing a replay of everything since the last commit per record. Before, each one cost two
// aborts (found as a suspect first, then alone) and each abort replayed the whole unit from its
// start, dead letters of the earlier ones included: a unit with k of them was replayed 2k times,
// which `onceflow audit --poison-rate 0.002` saw as an instance that barely moved.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onceflow/processor.h"
#include "onceflow/transform.h"
#include "runtime/pipeline_factory.h"
#include "tests/testing/fake_kafka.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::runtime {
namespace {

using ::onceflow::testing::FakeCluster;
using ::onceflow::testing::FakeOutput;
using ::onceflow::testing::FakeProducer;
using ::onceflow::testing::FakeSource;
using ::testing::ElementsAreArray;

constexpr char kIn[] = "in";
constexpr char kOut[] = "out";
constexpr char kDlq[] = "dlq";
constexpr int kRecords = 40;
const std::set<std::string> kPoison = {"0:5", "0:14", "0:22", "0:31"};

struct Result {
  ProcessorStats stats;
  int aborts = 0;
  std::vector<std::string> output;
  std::vector<std::string> dead;
};

Result RunWith(Mode mode) {
  FakeCluster cluster;
  cluster.AddInput(kIn, 1, kRecords);
  cluster.AddTopic(kOut);
  cluster.AddTopic(kDlq);
  cluster.SetMaxMessageBytes(kOut, 100);
  base::ManualClock clock;  // never advanced: commits come from the record cap and the drain
  auto source = std::make_unique<FakeSource>(cluster, clock);
  auto producer = std::make_unique<FakeProducer>(cluster, mode == Mode::kExactlyOnce);
  FakeProducer& prod = *producer;

  ProcessorOptions options;
  options.bootstrap_servers = "fake:9092";
  options.application_id = "poison";
  options.instance_id = "i1";
  options.input_topics = {kIn};
  options.output_topic = kOut;
  options.mode = mode;
  options.stop_when_caught_up = true;
  options.commit_interval = std::chrono::seconds(30);
  options.max_records_per_transaction = 1000;  // one unit for the whole input
  options.commit_policy = CommitPolicy::kEveryN;
  options.commit_every_records = 1000;
  // One record per poll batch: the producer is polled between records, so delivery reports
  // arrive while the unit goes on, as they do from a broker.
  options.poll_batch_size = 1;
  options.errors.policy = ErrorPolicy::kDeadLetter;
  options.errors.dead_letter_topic = kDlq;
  auto big = Map([](const Record& r) {
    OutputRecord out = OutputRecord::Forward(r);
    if (kPoison.count(std::string(r.value())) > 0) out.SetValue(std::string(1000, 'x'));
    return out;
  });
  absl::StatusOr<std::unique_ptr<Pipeline>> pipeline =
      MakePipeline(options, std::move(big), std::move(source), std::move(producer), clock);
  EXPECT_THAT(pipeline.status(), onceflow::testing::IsOk());
  Result result;
  if (!pipeline.ok()) return result;
  EXPECT_THAT((*pipeline)->Run(), onceflow::testing::IsOk());
  result.stats = (*pipeline)->stats();
  result.aborts = prod.calls(FakeProducer::Call::kAbort);
  for (const FakeOutput& o : cluster.ReadCommitted(kOut)) result.output.push_back(*o.value);
  for (const FakeOutput& o : cluster.ReadCommitted(kDlq)) result.dead.push_back(*o.value);
  return result;
}

std::vector<std::string> Expected() {
  std::vector<std::string> v;
  for (int i = 0; i < kRecords; ++i) {
    if (kPoison.count(absl::StrCat("0:", i)) == 0) v.push_back(absl::StrCat("0:", i));
  }
  return v;
}

TEST(PipelinePoisonTest, ExactlyOnceEachCostsOneAbortAndNoReplayOfTheOthers) {
  const Result r = RunWith(Mode::kExactlyOnce);
  EXPECT_THAT(r.output, ElementsAreArray(Expected()));
  EXPECT_THAT(r.dead, ElementsAreArray({"0:5", "0:14", "0:22", "0:31"}));
  EXPECT_EQ(r.stats.dead_lettered, 4);
  // One abort per unproducible record: its refusal alone names it.
  EXPECT_EQ(r.aborts, 4);
  // Every record once, plus, per unproducible record, the replay of what came since the
  // previous one (committed with its dead letter) and of the records the loop took before its
  // refusal came back: 40 + (6 + 9 + 8 + 9) + 4 x 2 at most.
  EXPECT_LE(r.stats.records_in, 40 + 32 + 8) << r.stats.records_in;
}

TEST(PipelinePoisonTest, AtLeastOnceReplaysOnlySinceThePreviousOne) {
  const Result r = RunWith(Mode::kAtLeastOnce);
  std::set<std::string> got(r.output.begin(), r.output.end());
  const std::vector<std::string> want = Expected();
  EXPECT_EQ(got, std::set<std::string>(want.begin(), want.end()));
  EXPECT_EQ(std::set<std::string>(r.dead.begin(), r.dead.end()), kPoison);
  EXPECT_EQ(r.stats.rewinds, 4);
  EXPECT_LE(r.stats.records_in, 40 + 32 + 8) << r.stats.records_in;
  EXPECT_LE(r.output.size(), want.size() + 32 + 8) << "replay duplicates";
}

}  // namespace
}  // namespace onceflow::runtime
