// The engine against a real broker: exactly-once under crashes at every fault-injection point,
// abortable errors, fencing and rebalances; and the at-least-once mode under the same kills,
// so the contrast between the two is measured, not assumed.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
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
#include "onceflow/processor.h"
#include "runtime/fault_injection.h"
#include "tests/testing/kafka_test.h"
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

// What a run's output holds, compared with the input "p<P>-<I>" for every partition P < p
// and sequence I < n.
struct Audit {
  int64_t expected = 0;
  int64_t delivered = 0;         // output records
  int64_t distinct = 0;          // distinct expected values seen
  int64_t lost = 0;              // expected values never seen
  int64_t duplicates = 0;        // extra copies of expected values
  int64_t unexpected = 0;        // values that match no input
  int64_t order_violations = 0;  // per key, a sequence number lower than one seen before
};

Audit Check(const std::vector<ReadRecord>& out, int partitions, int per_partition) {
  Audit a;
  a.expected = int64_t{partitions} * per_partition;
  a.delivered = static_cast<int64_t>(out.size());
  std::map<std::string, int> seen;
  std::map<std::string, int> last_seq;  // by key, in the order records were read
  for (const ReadRecord& r : out) {
    ++seen[r.value];
    // value = "p<P>-<I>|t"
    std::vector<std::string> parts = absl::StrSplit(r.value, absl::ByAnyChar("-|"));
    int seq = -1;
    if (parts.size() == 3 && absl::SimpleAtoi(parts[1], &seq)) {
      auto it = last_seq.find(r.key);
      // A replayed range (alos) restarts lower, legitimately: only count an order violation
      // for exactly-once checks, where there are no replays (see ExpectExactlyOnce).
      if (it != last_seq.end() && seq < it->second) ++a.order_violations;
      last_seq[r.key] = seq;
    }
  }
  for (int p = 0; p < partitions; ++p) {
    for (int i = 0; i < per_partition; ++i) {
      auto it = seen.find(absl::StrCat("p", p, "-", i, "|t"));
      if (it == seen.end()) {
        ++a.lost;
      } else {
        ++a.distinct;
        a.duplicates += it->second - 1;
        seen.erase(it);
      }
    }
  }
  for (const auto& [value, count] : seen) a.unexpected += count;
  return a;
}

std::string ToString(const Audit& a) {
  return absl::StrCat("expected=", a.expected, " delivered=", a.delivered, " lost=", a.lost,
                      " duplicates=", a.duplicates, " unexpected=", a.unexpected,
                      " order_violations=", a.order_violations);
}

class EngineTest : public testing::PipelineTest {};

// 1. N records over several partitions -> N transformed records, in per-partition order; the
// group's committed offsets equal the input's end offsets. The Processor runs in process, as a
// library user would run it.
TEST_F(EngineTest, ExactlyOnceHappyPath) {
  constexpr int kPartitions = 3;
  constexpr int kPerPartition = 400;
  const std::string in = CreateTopic("eos-happy-in", kPartitions);
  const std::string out = CreateTopic("eos-happy-out", kPartitions);
  ProduceInput(in, kPartitions, kPerPartition);

  ProcessorOptions options;
  options.bootstrap_servers = testing::Bootstrap();
  options.application_id = UniqueName("happy");
  options.instance_id = "i1";
  options.input_topics = {in};
  options.output_topic = out;
  options.stop_when_caught_up = true;
  options.commit_interval = 50ms;
  auto tag = Map([](const Record& r) {
    return OutputRecord::Forward(r)
        .SetValue(absl::StrCat(r.value(), "|t"))
        .AddHeader("src",
                   absl::StrCat(r.topic(), "/", r.partition().value(), "/", r.offset().value()));
  });
  ASSERT_OK_AND_ASSIGN(auto processor, Processor::Create(options, std::move(tag)));
  ASSERT_THAT(processor->Run(), IsOk());

  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> output, ReadAll(out, Isolation::kReadCommitted));
  const Audit a = Check(output, kPartitions, kPerPartition);
  EXPECT_EQ(a.lost, 0) << ToString(a);
  EXPECT_EQ(a.duplicates, 0) << ToString(a);
  EXPECT_EQ(a.unexpected, 0) << ToString(a);
  EXPECT_EQ(a.order_violations, 0) << ToString(a);
  EXPECT_EQ(a.delivered, kPartitions * kPerPartition);
  // Headers and keys travel: each output names its exact input.
  for (const ReadRecord& r : output) {
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0].first, "src");
    std::vector<std::string> src = absl::StrSplit(r.headers[0].second, '/');
    ASSERT_EQ(src.size(), 3u);
    EXPECT_EQ(src[0], in);
    EXPECT_EQ(r.key, absl::StrCat("k", src[1]));
    EXPECT_EQ(r.value, absl::StrCat("p", src[1], "-", src[2], "|t"));  // offset == sequence
  }

  ASSERT_OK_AND_ASSIGN(auto committed, CommittedOffsets(options.application_id, in));
  ASSERT_EQ(committed.size(), static_cast<size_t>(kPartitions));
  for (const TopicPartitionOffset& c : committed) {
    EXPECT_EQ(c.offset, Offset(kPerPartition)) << c;
  }
  const ProcessorStats s = processor->stats();
  EXPECT_EQ(s.records_in, kPartitions * kPerPartition);
  EXPECT_EQ(s.records_out, kPartitions * kPerPartition);
  EXPECT_GE(s.transactions_committed, 1);
  EXPECT_EQ(s.transactions_aborted, 0);
}

// Draining (stop_when_caught_up) commits as soon as every partition is at its end, not at the
// next commit interval: with a 10-minute interval both modes still stop at once, having
// committed everything in one go. (Before, Run() idled until the interval was due.)
TEST_F(EngineTest, DrainingCommitsAtTheEndWithoutWaitingForTheInterval) {
  constexpr int kPartitions = 2;
  constexpr int kPerPartition = 200;
  for (const Mode mode : {Mode::kExactlyOnce, Mode::kAtLeastOnce}) {
    const bool eos = mode == Mode::kExactlyOnce;
    SCOPED_TRACE(eos ? "eos" : "alos");
    const std::string in = CreateTopic("eos-drain-in", kPartitions);
    const std::string out = CreateTopic("eos-drain-out", kPartitions);
    ProduceInput(in, kPartitions, kPerPartition);

    ProcessorOptions options;
    options.bootstrap_servers = testing::Bootstrap();
    options.application_id = UniqueName("drain");
    options.instance_id = "i1";
    options.input_topics = {in};
    options.output_topic = out;
    options.mode = mode;
    options.stop_when_caught_up = true;
    options.commit_interval = std::chrono::minutes(10);
    // A transaction may stay open that long only if the producer says so (the broker allows
    // up to transaction.max.timeout.ms, 15 min by default).
    options.producer_properties["transaction.timeout.ms"] = "900000";
    ASSERT_OK_AND_ASSIGN(auto processor, Processor::Create(options, Passthrough()));
    absl::Status run_status;
    std::atomic<bool> done{false};
    std::thread runner([&] {
      run_status = processor->Run();
      done = true;
    });
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (!done.load() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);  // polling the condition, bounded by the deadline
    }
    const bool stopped_by_itself = done.load();
    if (!stopped_by_itself) processor->Stop();
    runner.join();
    ASSERT_TRUE(stopped_by_itself) << "Run() did not return within 60 s of a 10-minute interval";
    ASSERT_THAT(run_status, IsOk());

    const ProcessorStats s = processor->stats();
    EXPECT_EQ(s.records_in, kPartitions * kPerPartition);
    EXPECT_EQ(eos ? s.transactions_committed : s.offset_commits, 1);
    ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> output, ReadAll(out, Isolation::kReadCommitted));
    const Audit a = Check(output, kPartitions, kPerPartition);
    EXPECT_EQ(a.delivered, kPartitions * kPerPartition) << ToString(a);
    EXPECT_EQ(a.duplicates, 0) << ToString(a);
    ASSERT_OK_AND_ASSIGN(auto committed, CommittedOffsets(options.application_id, in));
    for (const TopicPartitionOffset& c : committed) EXPECT_EQ(c.offset, Offset(kPerPartition)) << c;
  }
}

// 2. SIGKILL at every fault-injection point, twice each, with a restart after each: the
// read_committed output holds every input exactly once.
TEST_F(EngineTest, ExactlyOnceAcrossKillsAtEveryFaultPoint) {
  constexpr int kPartitions = 3;
  constexpr int kPerPartition = 1500;
  const std::string in = CreateTopic("eos-kill-in", kPartitions);
  const std::string out = CreateTopic("eos-kill-out", kPartitions);
  ProduceInput(in, kPartitions, kPerPartition);
  const std::string app = UniqueName("kill");

  const std::vector<std::string> faults = {"after_produce:2",      "after_send_offsets:3",
                                           "after_commit:2",       "after_produce:3",
                                           "after_send_offsets:2", "after_commit:3"};
  ASSERT_NO_FATAL_FAILURE(KillAtEachFaultThenDrain(
      ChildArgs(app, "i1", in, out, "eos", {"--max-records-per-txn", "50"}), faults));

  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> output, ReadAll(out, Isolation::kReadCommitted));
  const Audit a = Check(output, kPartitions, kPerPartition);
  EXPECT_EQ(a.lost, 0) << ToString(a);
  EXPECT_EQ(a.duplicates, 0) << ToString(a);
  EXPECT_EQ(a.unexpected, 0) << ToString(a);
  EXPECT_EQ(a.order_violations, 0) << ToString(a);
  // The kills did bite: records of the killed transactions are in the log, aborted.
  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> raw, ReadAll(out, Isolation::kReadUncommitted));
  RecordProperty("aborted_records_in_log", static_cast<int>(raw.size() - output.size()));
  EXPECT_GT(raw.size(), output.size()) << "no aborted record in the log: the faults did not bite";
}

// 3. The same kind of kill under at-least-once: nothing is lost, and a kill between produce
// and the offset commit leaves duplicates, which the test counts.
TEST_F(EngineTest, AtLeastOnceAcrossKillsLosesNothingButDuplicates) {
  constexpr int kPartitions = 3;
  constexpr int kPerPartition = 1500;
  const std::string in = CreateTopic("alos-kill-in", kPartitions);
  const std::string out = CreateTopic("alos-kill-out", kPartitions);
  ProduceInput(in, kPartitions, kPerPartition);
  const std::string app = UniqueName("alos-kill");

  const std::vector<std::string> faults = {"after_produce:2", "after_commit:2", "after_produce:3",
                                           "after_commit:3"};
  ASSERT_NO_FATAL_FAILURE(KillAtEachFaultThenDrain(
      ChildArgs(app, "i1", in, out, "alos", {"--alos-policy", "every-n", "--commit-every", "50"}),
      faults));

  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> output, ReadAll(out, Isolation::kReadCommitted));
  const Audit a = Check(output, kPartitions, kPerPartition);
  RecordProperty("alos_duplicates", static_cast<int>(a.duplicates));
  EXPECT_EQ(a.lost, 0) << ToString(a);
  EXPECT_EQ(a.unexpected, 0) << ToString(a);
  // Each after_produce kill replays what was delivered but not committed.
  EXPECT_GT(a.duplicates, 0) << ToString(a);
  std::cout << "alos under kills: " << ToString(a) << "\n";
}

// 4. An abortable error mid-transaction: aborted, rewound, still exactly once.
TEST_F(EngineTest, AbortableErrorIsAbortedRewoundAndStillExactlyOnce) {
  constexpr int kPartitions = 2;
  constexpr int kPerPartition = 500;
  const std::string in = CreateTopic("eos-abort-in", kPartitions);
  const std::string out = CreateTopic("eos-abort-out", kPartitions);
  ProduceInput(in, kPartitions, kPerPartition);

  ProcessorOptions options;
  options.bootstrap_servers = testing::Bootstrap();
  options.application_id = UniqueName("abort");
  options.instance_id = "i1";
  options.input_topics = {in};
  options.output_topic = out;
  options.stop_when_caught_up = true;
  options.commit_interval = 20ms;
  options.max_records_per_transaction = 100;
  ASSERT_THAT(runtime::ConfigureFaults("abort_before_commit:2"), IsOk());
  auto tag = Map([](const Record& r) {
    return OutputRecord::Forward(r).SetValue(absl::StrCat(r.value(), "|t"));
  });
  ASSERT_OK_AND_ASSIGN(auto processor, Processor::Create(options, std::move(tag)));
  const absl::Status run = processor->Run();
  ASSERT_THAT(runtime::ConfigureFaults(""), IsOk());
  ASSERT_THAT(run, IsOk());

  const ProcessorStats s = processor->stats();
  EXPECT_EQ(s.transactions_aborted, 1);
  EXPECT_EQ(s.rewinds, 1);
  EXPECT_GT(s.records_in, kPartitions * kPerPartition);  // the aborted range was read twice

  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> output, ReadAll(out, Isolation::kReadCommitted));
  const Audit a = Check(output, kPartitions, kPerPartition);
  EXPECT_EQ(a.lost, 0) << ToString(a);
  EXPECT_EQ(a.duplicates, 0) << ToString(a);
  EXPECT_EQ(a.order_violations, 0) << ToString(a);
  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> raw, ReadAll(out, Isolation::kReadUncommitted));
  EXPECT_GT(raw.size(), output.size()) << "the aborted transaction's records should be in the log";
}

// 5. A second instance with the same instance id makes the first stop with a clear fencing
// error (exit code 3); the output has no duplicates.
TEST_F(EngineTest, SecondInstanceWithSameIdFencesTheFirst) {
  constexpr int kPartitions = 2;
  constexpr int kPerPartition = 1000;
  const std::string in = CreateTopic("eos-fence-in", kPartitions);
  const std::string out = CreateTopic("eos-fence-out", kPartitions);
  ProduceInput(in, kPartitions, kPerPartition);
  const std::string app = UniqueName("fence");

  // A is slow (2 ms per record), so it is mid-stream when its twin arrives.
  ASSERT_OK_AND_ASSIGN(ChildProcess a, ChildProcess::Start(ChildArgs(app, "twin", in, out, "eos",
                                                                     {"--delay-us", "2000"}),
                                                           SpawnOptions::ToLog(LogPath("a"))));
  WaitForCommittedAtLeast(app, in, 100, 60s);
  ASSERT_OK_AND_ASSIGN(ChildProcess b, ChildProcess::Start(ChildArgs(app, "twin", in, out, "eos",
                                                                     {"--stop-when-caught-up"}),
                                                           SpawnOptions::ToLog(LogPath("b"))));
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit a_exit, a.Wait(60s));
  EXPECT_FALSE(a_exit.signaled);
  EXPECT_EQ(a_exit.code, 3) << "exit code 3 = fenced; log " << LogPath("a");
  ASSERT_OK_AND_ASSIGN(const std::string a_log, base::ReadFile(LogPath("a")));
  EXPECT_THAT(a_log, HasSubstr("fenced"));
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit b_exit, b.Wait(120s));
  EXPECT_EQ(b_exit.code, 0) << "log " << LogPath("b");

  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> output, ReadAll(out, Isolation::kReadCommitted));
  const Audit audit = Check(output, kPartitions, kPerPartition);
  EXPECT_EQ(audit.lost, 0) << ToString(audit);
  EXPECT_EQ(audit.duplicates, 0) << ToString(audit);
  EXPECT_EQ(audit.order_violations, 0) << ToString(audit);
}

// 6. A second instance joins mid-stream: partitions move between them, still exactly once.
TEST_F(EngineTest, RebalanceMidStreamStaysExactlyOnce) {
  constexpr int kPartitions = 6;
  constexpr int kPerPartition = 600;
  const std::string in = CreateTopic("eos-rebalance-in", kPartitions);
  const std::string out = CreateTopic("eos-rebalance-out", kPartitions);
  ProduceInput(in, kPartitions, kPerPartition);
  const std::string app = UniqueName("rebalance");
  // Slow enough (2 ms a record: ~7 s for A alone) that A is still mid-stream when B's join
  // completes, which can take 2-3 s on a loaded machine; with 1 ms, A sometimes finished first.
  const std::vector<std::string> slow = {"--delay-us", "2000", "--commit-interval-ms", "50"};

  ASSERT_OK_AND_ASSIGN(ChildProcess a,
                       ChildProcess::Start(ChildArgs(app, "a", in, out, "eos", slow),
                                           SpawnOptions::ToLog(LogPath("a"))));
  WaitForCommittedAtLeast(app, in, 300, 60s);
  ASSERT_OK_AND_ASSIGN(ChildProcess b,
                       ChildProcess::Start(ChildArgs(app, "b", in, out, "eos", slow),
                                           SpawnOptions::ToLog(LogPath("b"))));
  WaitForCommittedAtLeast(app, in, int64_t{kPartitions} * kPerPartition, 120s);
  ASSERT_OK(a.Signal(SIGTERM));
  ASSERT_OK(b.Signal(SIGTERM));
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit a_exit, a.Wait(60s));
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit b_exit, b.Wait(60s));
  EXPECT_EQ(a_exit.code, 0) << "log " << LogPath("a");
  EXPECT_EQ(b_exit.code, 0) << "log " << LogPath("b");
  // B really took part: it was assigned partitions and processed records.
  ASSERT_OK_AND_ASSIGN(const std::string b_log, base::ReadFile(LogPath("b")));
  EXPECT_THAT(b_log, HasSubstr("assigned"));
  EXPECT_THAT(b_log, ::testing::Not(HasSubstr("stopped (in=0 ")));

  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> output, ReadAll(out, Isolation::kReadCommitted));
  const Audit audit = Check(output, kPartitions, kPerPartition);
  EXPECT_EQ(audit.lost, 0) << ToString(audit);
  EXPECT_EQ(audit.duplicates, 0) << ToString(audit);
  EXPECT_EQ(audit.order_violations, 0) << ToString(audit);
}

// Waits until the file at `path` contains `text`; false after `timeout`.
bool WaitForLog(const std::string& path, const std::string& text, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<std::string> log = base::ReadFile(path);
    if (log.ok() && absl::StrContains(*log, text)) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// Open when a user names cooperative-sticky with static membership (docs/guarantees.md, Known
// limits: "a partition can be left with no owner"), found by `onceflow audit --poison-rate`
// when that pair was the default: B joins; the leader revokes a partition from A in the first
// round, to give it to B in the second; A is inside an 8 s record and has not served the
// revocation when it is SIGKILLed. The restarted A, a static member, gets the stored assignment
// without a rebalance, B has none, and nobody rejoins: the revoked partition is consumed by no
// one (40 of 60 records in 60 s). With static membership onceflow's default is now the eager
// assignor (ConsumerPropertiesTest.StaticMembershipKeepsTheEagerDefault), whose one round gives
// every partition an owner; Processor::Create warns when the pair is named. Disabled until
// fixed; run it with --gtest_also_run_disabled_tests.
TEST_F(EngineTest, DISABLED_KillWithARevocationPendingLeavesNoPartitionOwnerless) {
  constexpr int kPartitions = 3;
  constexpr int kPerPartition = 20;
  const std::string in = CreateTopic("eos-orphan-in", kPartitions);
  const std::string out = CreateTopic("eos-orphan-out", kPartitions);
  ProduceInput(in, kPartitions, kPerPartition);
  const std::string app = UniqueName("orphan");
  const std::vector<std::string> slow = {"--delay-us", "8000000", "--commit-interval-ms", "50",
                                         "--assignor", "cooperative-sticky"};
  const std::vector<std::string> fast = {"--commit-interval-ms", "50", "--assignor",
                                         "cooperative-sticky"};

  ASSERT_OK_AND_ASSIGN(ChildProcess a,
                       ChildProcess::Start(ChildArgs(app, "a", in, out, "eos", slow),
                                           SpawnOptions::ToLog(LogPath("a"))));
  ASSERT_TRUE(WaitForLog(LogPath("a"), "assigned 3 partition(s)", 60s));
  ASSERT_TRUE(WaitForLog(LogPath("a"), "delaying a record", 60s));  // inside its first 8 s record
  ASSERT_OK_AND_ASSIGN(ChildProcess b,
                       ChildProcess::Start(ChildArgs(app, "b", in, out, "eos", fast),
                                           SpawnOptions::ToLog(LogPath("b"))));
  // B's first round: nothing yet (the partition it will get is being revoked from A).
  ASSERT_TRUE(WaitForLog(LogPath("b"), "assigned 0 partition(s)", 60s));
  ASSERT_OK_AND_ASSIGN(const std::string a_log, base::ReadFile(LogPath("a")));
  ASSERT_THAT(a_log, ::testing::Not(HasSubstr("revoked"))) << "A served the revocation already";
  ASSERT_OK(a.Signal(SIGKILL));
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit killed, a.Wait(30s));
  EXPECT_TRUE(killed.signaled);
  ASSERT_OK_AND_ASSIGN(ChildProcess a2,
                       ChildProcess::Start(ChildArgs(app, "a", in, out, "eos", fast),
                                           SpawnOptions::ToLog(LogPath("a"))));
  WaitForCommittedAtLeast(app, in, int64_t{kPartitions} * kPerPartition, 60s);
  ASSERT_OK(a2.Signal(SIGTERM));
  ASSERT_OK(b.Signal(SIGTERM));
  (void)a2.Wait(60s);
  (void)b.Wait(60s);
}

}  // namespace
}  // namespace onceflow
