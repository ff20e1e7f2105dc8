// The commit interval counts from the start of one commit to the start of the next, as Kafka
// Streams' commit.interval.ms: a commit's own duration does not stretch it (before, it counted
// from the end of the last commit, so 100 ms commits that each took 40 ms came every 140 ms,
// and under load a run committed a third as often as asked). A commit that takes longer than
// half the interval still leaves the next unit half an interval of records. On fakes
// (tests/testing/fake_kafka.h): each record advances the fake clock 10 ms, each commit a
// scripted duration.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

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
using std::chrono::milliseconds;

constexpr char kIn[] = "in";
constexpr char kOut[] = "out";
constexpr int kRecords = 100;

struct Result {
  std::vector<int64_t> commit_starts_ms;  // fake steady clock at the start of each commit
  std::vector<std::string> output;
  int64_t last_commit_ms = 0;  // ProcessorStats::last_commit_ms after the run
  int64_t end_ms = 0;          // the fake wall clock after the run (close included)
};

Result RunWith(Mode mode, milliseconds commit_takes) {
  FakeCluster cluster;
  cluster.AddInput(kIn, 1, kRecords);
  cluster.AddTopic(kOut);
  base::ManualClock clock;
  auto source = std::make_unique<FakeSource>(cluster, clock);
  auto producer = std::make_unique<FakeProducer>(cluster, mode == Mode::kExactlyOnce);
  Result result;
  auto on_commit = [&] {
    result.commit_starts_ms.push_back(
        std::chrono::duration_cast<milliseconds>(clock.SteadyNow().time_since_epoch()).count());
    clock.Advance(commit_takes);
  };
  if (mode == Mode::kExactlyOnce) {
    producer->OnCommit(on_commit);
  } else {
    source->OnCommit(on_commit);
  }

  ProcessorOptions options;
  options.bootstrap_servers = "fake:9092";
  options.application_id = "interval";
  options.instance_id = "i1";
  options.input_topics = {kIn};
  options.output_topic = kOut;
  options.mode = mode;
  options.stop_when_caught_up = true;
  options.commit_interval = milliseconds(100);
  options.commit_policy = CommitPolicy::kInterval;
  options.poll_batch_size = 1;
  auto slow = Map([&clock](const Record& r) {
    clock.Advance(milliseconds(10));
    return OutputRecord::Forward(r);
  });
  absl::StatusOr<std::unique_ptr<Pipeline>> pipeline =
      MakePipeline(options, std::move(slow), std::move(source), std::move(producer), clock);
  EXPECT_THAT(pipeline.status(), onceflow::testing::IsOk());
  if (!pipeline.ok()) return result;
  EXPECT_THAT((*pipeline)->Run(), onceflow::testing::IsOk());
  result.last_commit_ms = (*pipeline)->stats().last_commit_ms;
  result.end_ms = clock.NowMs();
  for (const FakeOutput& o : cluster.ReadCommitted(kOut)) result.output.push_back(*o.value);
  return result;
}

// Gaps between consecutive commit starts, the last (the draining commit) left out.
std::vector<int64_t> Gaps(const Result& r) {
  std::vector<int64_t> gaps;
  for (size_t i = 1; i + 1 < r.commit_starts_ms.size(); ++i) {
    gaps.push_back(r.commit_starts_ms[i] - r.commit_starts_ms[i - 1]);
  }
  return gaps;
}

class CommitIntervalTest : public ::testing::TestWithParam<Mode> {};

TEST_P(CommitIntervalTest, ACommitsOwnDurationDoesNotStretchTheInterval) {
  // 100 records x 10 ms = 1 s of processing and 40 ms per commit: a commit starts every
  // 100 ms (it was every 140).
  const Result r = RunWith(GetParam(), milliseconds(40));
  EXPECT_EQ(r.output.size(), static_cast<size_t>(kRecords));
  const std::vector<int64_t> gaps = Gaps(r);
  ASSERT_GE(gaps.size(), 8u) << ::testing::PrintToString(r.commit_starts_ms);
  for (int64_t gap : gaps) {
    EXPECT_EQ(gap, 100) << ::testing::PrintToString(r.commit_starts_ms);
  }
  // The stats say when the last commit (the draining one) ended, on the wall clock: the
  // bench's span ends there, not after the close (which here moved the fake clock on).
  const int64_t wall_start = base::ManualClock().NowMs();  // the fake clock's default start
  EXPECT_EQ(r.last_commit_ms, wall_start + r.commit_starts_ms.back() + 40);
  EXPECT_LE(r.last_commit_ms, r.end_ms);
}

TEST_P(CommitIntervalTest, ACommitLongerThanTheIntervalLeavesHalfAnIntervalOfRecords) {
  // 300 ms per commit: the next starts 50 ms (five records) after it ended, not after one.
  const Result r = RunWith(GetParam(), milliseconds(300));
  EXPECT_EQ(r.output.size(), static_cast<size_t>(kRecords));
  const std::vector<int64_t> gaps = Gaps(r);
  ASSERT_GE(gaps.size(), 3u) << ::testing::PrintToString(r.commit_starts_ms);
  for (size_t i = 1; i < gaps.size(); ++i) {  // the first follows the start, not a commit
    EXPECT_EQ(gaps[i], 350) << ::testing::PrintToString(r.commit_starts_ms);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, CommitIntervalTest,
                         ::testing::Values(Mode::kExactlyOnce, Mode::kAtLeastOnce),
                         [](const ::testing::TestParamInfo<Mode>& p) {
                           return p.param == Mode::kExactlyOnce ? std::string("Eos")
                                                                   : std::string("Alos");
                         });

}  // namespace
}  // namespace onceflow::runtime
