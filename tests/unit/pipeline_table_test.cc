// The engine's error table, row by row, on fakes (tests/testing/fake_kafka.h): for each
// transactional call (begin, produce, delivery, send offsets, commit, abort) x error class
// (abortable, retriable, timed out / outcome unknown, fatal not fenced, fenced, record) x moment
// (first record after a commit, mid-transaction, the draining commit, inside a revoke, inside a
// lost assignment), what the output topic shows a read_committed reader, what the group has
// committed, where the source was rewound to, and how the run ended.
//
// The workload: 2 input partitions x 5 records, passthrough, at most 4 records per transaction
// (or every 4 records under at-least-once), stop when caught up. Records come round-robin:
// p0@0 p1@0 p0@1 p1@1 | p0@2 p1@2 p0@3 p1@3 | p0@4 p1@4 (then the draining commit). So the
// 2nd transaction starts at record 5 (p0@2) with rewind points {p0@2, p1@2}, and the 3rd (the
// draining commit) has {p0@4, p1@4}. Calls are counted over the run: begin #2 and produce #5
// are the first record after a commit, produce #6 is mid-transaction, commit #3 is the draining
// commit.
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kafka/error.h"
#include "onceflow/processor.h"
#include "onceflow/transform.h"
#include "runtime/pipeline_factory.h"
#include "tests/testing/fake_kafka.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::runtime {
namespace {

using ::onceflow::testing::ErrorClass;
using ::onceflow::testing::ErrorOf;
using ::onceflow::testing::FakeCluster;
using ::onceflow::testing::FakeOutput;
using ::onceflow::testing::FakeProducer;
using ::onceflow::testing::FakeSource;
using Call = FakeProducer::Call;
using Rebalance = FakeSource::Rebalance;
using ::testing::ElementsAreArray;

constexpr int kPartitions = 2;
constexpr int kPerPartition = 5;
constexpr char kIn[] = "in";
constexpr char kOut[] = "out";
constexpr char kDlq[] = "dlq";

enum class Ending { kGoesOn, kExit1, kExit3, kExit4 };

// Emits each input unchanged; the value of input `big` grows to `big_size` bytes (an output the
// topic cannot take); input `slow` makes the fake clock jump `slow_by` the first time it is
// seen (a transaction that outlives its timeout).
class TestTransform : public Transform {
 public:
  TestTransform(std::string big, size_t big_size, std::string slow, base::ManualClock* clock,
                std::chrono::milliseconds slow_by)
      : big_(std::move(big)),
        big_size_(big_size),
        slow_(std::move(slow)),
        clock_(clock),
        slow_by_(slow_by) {}
  absl::Status Process(const Record& in, Emitter& out) override {
    if (!slow_.empty() && in.value() == slow_ && !slowed_) {
      slowed_ = true;
      clock_->Advance(slow_by_);
    }
    if (!big_.empty() && in.value() == big_) {
      out.Emit(OutputRecord::Forward(in).SetValue(std::string(big_size_, 'x')));
      return absl::OkStatus();
    }
    out.Emit(OutputRecord::Forward(in));
    return absl::OkStatus();
  }
  std::string name() const override { return "test"; }

 private:
  std::string big_;
  size_t big_size_;
  std::string slow_;
  base::ManualClock* clock_;
  std::chrono::milliseconds slow_by_;
  bool slowed_ = false;
};

struct Fault {
  Call call;
  int nth;
  ErrorClass cls;
  bool commit_landed = false;
  bool until_recreated = false;  // every call from nth on fails until the producer is recreated
};

struct Row {
  std::string name;
  Mode mode = Mode::kExactlyOnce;
  std::vector<Fault> faults;
  std::optional<std::pair<int64_t, Rebalance>> rebalance;
  int committed_faults = 0;  // the first N Source::Committed calls fail (retriable)
  int offset_commit_faults = 0;  // the first N offset commits fail (at-least-once)
  std::optional<ErrorClass> offset_commit_class;
  // The output of this input ("<p>:<i>") is too big for the output topic.
  std::string big;
  bool batch = false;      // its delivery failure fails its whole batch
  std::string slow;        // this input's transform outlives the transaction timeout
  ErrorPolicy policy = ErrorPolicy::kFail;

  Ending ending = Ending::kGoesOn;
  // Where the source was rewound to, in order: (partition, offset).
  std::vector<std::pair<int, int64_t>> seeks;
  int recreated = 0;
  int aborts = -1;        // abort_transaction calls; -1: not checked
  int commits = -1;       // commit_transaction calls (eos) / offset commits (alos)
  std::set<std::string> dead_lettered;  // inputs expected in the dead-letter topic
  std::set<std::string> skipped;        // inputs whose outputs never appear (policy skip)
};

void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

std::string ToString(const std::vector<std::pair<int, int64_t>>& v) {
  std::string s;
  for (const auto& [p, o] : v) absl::StrAppend(&s, s.empty() ? "" : " ", "p", p, "@", o);
  return s.empty() ? "(none)" : s;
}

// The invariant every ending keeps: for each input partition, the committed outputs are the
// inputs below the group's committed offset, each exactly once, in order (at-least-once: each
// at least once, nothing missing).
void ExpectConsistent(FakeCluster& cluster, Mode mode, const std::set<std::string>& dead,
                      int64_t expect_committed) {
  const std::vector<FakeOutput> out = cluster.ReadCommitted(kOut);
  for (int p = 0; p < kPartitions; ++p) {
    const TopicPartition tp{kIn, Partition(p)};
    auto c = cluster.committed().find(tp);
    const int64_t committed = c == cluster.committed().end() ? 0 : c->second.value();
    if (expect_committed >= 0) {
      EXPECT_EQ(committed, expect_committed) << "partition " << p;
    }
    std::vector<std::string> want;
    for (int64_t i = 0; i < committed; ++i) {
      const std::string v = absl::StrCat(p, ":", i);
      if (dead.count(v) == 0) want.push_back(v);
    }
    std::vector<std::string> got;
    for (const FakeOutput& o : out) {
      const std::string v = o.value.value_or("");
      if (!o.key.has_value() || o.key->rfind(absl::StrCat("k", p, "-"), 0) != 0) continue;
      got.push_back(v);
    }
    if (mode == Mode::kExactlyOnce) {
      EXPECT_THAT(got, ElementsAreArray(want)) << "partition " << p;
    } else {
      for (const std::string& v : want) {
        EXPECT_NE(std::find(got.begin(), got.end(), v), got.end()) << "lost " << v;
      }
    }
  }
}

void RunRow(const Row& row) {
  SCOPED_TRACE(row.name);
  FakeCluster cluster;
  cluster.AddInput(kIn, kPartitions, kPerPartition);
  cluster.AddTopic(kOut);
  cluster.AddTopic(kDlq);
  if (!row.big.empty()) cluster.SetMaxMessageBytes(kOut, 100, row.batch);
  base::ManualClock clock;
  const bool eos = row.mode == Mode::kExactlyOnce;
  auto source = std::make_unique<FakeSource>(cluster, clock);
  auto producer = std::make_unique<FakeProducer>(cluster, eos);
  FakeSource& src = *source;
  FakeProducer& prod = *producer;
  for (const Fault& f : row.faults) {
    absl::Status st = ErrorOf(f.cls, FakeProducer::Name(f.call));
    if (f.until_recreated) {
      prod.FailUntilRecreated(f.call, f.nth, st);
    } else if (f.call == Call::kDeliver && row.batch) {
      prod.FailBatch(f.nth, st);
    } else {
      prod.Fail(f.call, f.nth, st, f.commit_landed);
    }
  }
  for (int i = 1; i <= row.committed_faults; ++i) {
    src.FailCommitted(i, ErrorOf(ErrorClass::kRetriable, "committed"));
  }
  for (int i = 1; i <= row.offset_commit_faults; ++i) {
    src.FailCommit(i, ErrorOf(row.offset_commit_class.value_or(ErrorClass::kRetriable), "commit"));
  }
  if (row.rebalance.has_value()) src.ScheduleRebalance(row.rebalance->first, row.rebalance->second);

  ProcessorOptions options;
  options.bootstrap_servers = "fake:9092";
  options.application_id = "table";
  options.instance_id = "i1";
  options.input_topics = {kIn};
  options.output_topic = kOut;
  options.mode = row.mode;
  options.stop_when_caught_up = true;
  options.commit_interval = std::chrono::seconds(30);  // only the record cap and the drain
  options.max_records_per_transaction = 4;
  options.commit_policy = CommitPolicy::kEveryN;
  options.commit_every_records = 4;
  options.errors.policy = row.policy;
  if (row.policy == ErrorPolicy::kDeadLetter) options.errors.dead_letter_topic = kDlq;
  auto transform = std::make_unique<TestTransform>(row.big, 1000, row.slow, &clock,
                                                   std::chrono::seconds(70));
  absl::StatusOr<std::unique_ptr<Pipeline>> pipeline = MakePipeline(
      options, std::move(transform), std::move(source), std::move(producer), clock);
  ASSERT_THAT(pipeline.status(), onceflow::testing::IsOk());
  const absl::Status status = (*pipeline)->Run();

  switch (row.ending) {
    case Ending::kGoesOn:
      EXPECT_THAT(status, onceflow::testing::IsOk());
      break;
    case Ending::kExit1:
      EXPECT_EQ(ProcessorExitCode(status), 1) << status;
      break;
    case Ending::kExit3:
      EXPECT_EQ(ProcessorExitCode(status), 3) << status;
      EXPECT_TRUE(kafka::IsFenced(status)) << status;
      break;
    case Ending::kExit4:
      EXPECT_EQ(ProcessorExitCode(status), 4) << status;
      break;
  }
  std::vector<std::pair<int, int64_t>> seeks;
  for (const TopicPartitionOffset& s : src.seeks()) {
    seeks.emplace_back(s.tp.partition.value(), s.offset.value());
  }
  EXPECT_EQ(ToString(seeks), ToString(row.seeks)) << "rewound to";
  EXPECT_EQ(prod.recreated(), row.recreated) << "producers recreated";
  if (row.aborts >= 0) {
    EXPECT_EQ(prod.calls(Call::kAbort), row.aborts) << "abort calls";
  }
  if (row.commits >= 0) {
    EXPECT_EQ(eos ? prod.calls(Call::kCommit) : src.commits(), row.commits) << "commits";
  }
  std::set<std::string> dropped = row.dead_lettered;
  dropped.insert(row.skipped.begin(), row.skipped.end());
  ExpectConsistent(cluster, row.mode, dropped,
                   row.ending == Ending::kGoesOn ? kPerPartition : -1);
  std::set<std::string> dead;
  for (const FakeOutput& o : cluster.ReadCommitted(kDlq)) dead.insert(o.value.value_or(""));
  EXPECT_EQ(dead, row.dead_lettered) << "dead letters";
  if (eos && row.ending == Ending::kGoesOn) {
    // Every transaction ended: nothing is left for read_committed readers to wait on.
    for (const FakeOutput& o : cluster.log()) {
      if (o.state == FakeOutput::State::kPending) {
        ADD_FAILURE() << "a record of transaction " << o.transaction << " is still pending";
      }
    }
  }
}

class PipelineTableTest : public ::testing::TestWithParam<Row> {};

TEST_P(PipelineTableTest, Row) { RunRow(GetParam()); }

// Rewind points of the transactions (see the file comment).
const std::vector<std::pair<int, int64_t>> kFirstAfterCommit = {{0, 2}};
const std::vector<std::pair<int, int64_t>> kSecond = {{0, 2}, {1, 2}};
const std::vector<std::pair<int, int64_t>> kDrain = {{0, 4}, {1, 4}};

std::vector<Row> EosRows() {
  using E = ErrorClass;
  std::vector<Row> rows;
  auto add = [&rows](Row r) { rows.push_back(std::move(r)); };
  // ---- no fault
  add({.name = "NoFault", .commits = 3});
  // ---- begin_transaction: the first record of the run, and the first after a commit
  add({.name = "BeginFirstRecordAbortable", .faults = {{Call::kBegin, 1, E::kAbortable}},
       .seeks = {{0, 0}}, .aborts = 1});
  add({.name = "BeginAfterCommitAbortable", .faults = {{Call::kBegin, 2, E::kAbortable}},
       .seeks = kFirstAfterCommit, .aborts = 1});
  add({.name = "BeginAfterCommitRetriable", .faults = {{Call::kBegin, 2, E::kRetriable}},
       .seeks = kFirstAfterCommit, .aborts = 0});
  add({.name = "BeginAfterCommitTimedOut", .faults = {{Call::kBegin, 2, E::kTimedOut}},
       .seeks = kFirstAfterCommit, .aborts = 0});
  add({.name = "BeginAfterCommitFatal", .faults = {{Call::kBegin, 2, E::kFatal}},
       .seeks = kFirstAfterCommit, .recreated = 1});
  add({.name = "BeginAfterCommitFenced", .faults = {{Call::kBegin, 2, E::kFenced}},
       .ending = Ending::kExit3});
  // ---- produce: first record after a commit (#5), mid-transaction (#6)
  add({.name = "ProduceAfterCommitAbortable", .faults = {{Call::kProduce, 5, E::kAbortable}},
       .seeks = kFirstAfterCommit, .aborts = 1});
  add({.name = "ProduceMidAbortable", .faults = {{Call::kProduce, 6, E::kAbortable}},
       .seeks = kSecond, .aborts = 1});
  add({.name = "ProduceMidRetriable", .faults = {{Call::kProduce, 6, E::kRetriable}},
       .seeks = kSecond, .aborts = 1});
  add({.name = "ProduceMidTimedOut", .faults = {{Call::kProduce, 6, E::kTimedOut}},
       .seeks = kSecond, .aborts = 1});
  add({.name = "ProduceMidFatal", .faults = {{Call::kProduce, 6, E::kFatal}}, .seeks = kSecond,
       .recreated = 1, .aborts = 0});
  add({.name = "ProduceMidFenced", .faults = {{Call::kProduce, 6, E::kFenced}},
       .ending = Ending::kExit3});
  add({.name = "ProduceMidRecordErrorDeadLetters", .faults = {{Call::kProduce, 6, E::kRecord}},
       .policy = ErrorPolicy::kDeadLetter, .seeks = kSecond, .aborts = 1,
       .dead_lettered = {"1:2"}});
  add({.name = "ProduceMidRecordErrorSkips", .faults = {{Call::kProduce, 6, E::kRecord}},
       .policy = ErrorPolicy::kSkip, .seeks = kSecond, .aborts = 1, .skipped = {"1:2"}});
  // ---- delivery reports (served at the next commit: the whole transaction is replayed)
  add({.name = "DeliverMidTimedOut", .faults = {{Call::kDeliver, 6, E::kTimedOut}},
       .seeks = kSecond, .aborts = 1});
  add({.name = "DeliverMidFatal", .faults = {{Call::kDeliver, 6, E::kFatal}}, .seeks = kSecond,
       .recreated = 1});
  add({.name = "DeliverMidFenced", .faults = {{Call::kDeliver, 6, E::kFenced}},
       .ending = Ending::kExit3});
  add({.name = "DeliverBatchFailsOnlyTheTooBigRecordIsDeadLettered", .big = "1:2",
       .batch = true, .policy = ErrorPolicy::kDeadLetter, .seeks = {{0, 2}, {1, 2}, {0, 2}, {1, 2}},
       .aborts = 2, .dead_lettered = {"1:2"}});
  add({.name = "DeliverBatchFailureOfAnInnocentRecordReplaysIt",
       .faults = {{Call::kDeliver, 6, E::kRecord}}, .batch = true,
       .policy = ErrorPolicy::kDeadLetter, .seeks = kSecond, .aborts = 1});
  // A refusal that names one input only is that input's (its batch held nothing else): one
  // rewind, no replay alone first (before: two rewinds and one more abort).
  add({.name = "DeliverTooBigUnderPolicyFailStops", .big = "1:2", .policy = ErrorPolicy::kFail,
       .ending = Ending::kExit1, .seeks = {{0, 2}, {1, 2}}, .aborts = 2});
  // ---- send_offsets_to_transaction: mid-stream (#2) and in the draining commit (#3)
  add({.name = "SendOffsetsAbortable", .faults = {{Call::kSendOffsets, 2, E::kAbortable}},
       .seeks = kSecond, .aborts = 1});
  add({.name = "SendOffsetsRetriable", .faults = {{Call::kSendOffsets, 2, E::kRetriable}},
       .seeks = kSecond, .aborts = 1});
  add({.name = "SendOffsetsTimedOut", .faults = {{Call::kSendOffsets, 2, E::kTimedOut}},
       .seeks = kSecond, .aborts = 1});
  add({.name = "SendOffsetsFatal", .faults = {{Call::kSendOffsets, 2, E::kFatal}},
       .seeks = kSecond, .recreated = 1});
  add({.name = "SendOffsetsFenced", .faults = {{Call::kSendOffsets, 2, E::kFenced}},
       .ending = Ending::kExit3});
  add({.name = "SendOffsetsDrainAbortable", .faults = {{Call::kSendOffsets, 3, E::kAbortable}},
       .seeks = kDrain, .aborts = 1});
  // ---- commit_transaction
  add({.name = "CommitAbortable", .faults = {{Call::kCommit, 2, E::kAbortable}},
       .seeks = kSecond, .aborts = 1, .commits = 4});
  add({.name = "CommitRetriableIsResumed", .faults = {{Call::kCommit, 2, E::kRetriable}},
       .aborts = 0, .commits = 4});
  add({.name = "CommitTimedOutIsResumed", .faults = {{Call::kCommit, 2, E::kTimedOut}},
       .aborts = 0, .commits = 4});
  add({.name = "CommitTimedOutPastTheBudgetUnknownNotCommitted",
       .faults = {{Call::kCommit, 2, E::kTimedOut, false, /*until_recreated=*/true}},
       .seeks = kSecond,
       .recreated = 1, .aborts = 0});
  add({.name = "CommitFatalOutcomeUnknownButCommitted",
       .faults = {{Call::kCommit, 2, E::kFatal, /*commit_landed=*/true}}, .recreated = 1,
       .aborts = 0, .commits = 3});
  add({.name = "CommitFatalOutcomeUnknownNotCommitted",
       .faults = {{Call::kCommit, 2, E::kFatal}}, .seeks = kSecond, .recreated = 1, .aborts = 0,
       .commits = 4});
  add({.name = "CommitFatalUnknownAndOffsetsUnreadableStops",
       .faults = {{Call::kCommit, 2, E::kFatal}}, .committed_faults = 1000,
       .ending = Ending::kExit4, .recreated = 1});
  add({.name = "CommitFenced", .faults = {{Call::kCommit, 2, E::kFenced}},
       .ending = Ending::kExit3});
  add({.name = "CommitDrainAbortable", .faults = {{Call::kCommit, 3, E::kAbortable}},
       .seeks = kDrain, .aborts = 1, .commits = 4});
  add({.name = "CommitDrainFatalButCommitted",
       .faults = {{Call::kCommit, 3, E::kFatal, /*commit_landed=*/true}}, .recreated = 1,
       .commits = 3});
  // ---- abort_transaction (after an abortable produce mid-transaction)
  add({.name = "AbortRetriableIsRetried",
       .faults = {{Call::kProduce, 6, E::kAbortable}, {Call::kAbort, 1, E::kRetriable}},
       .seeks = kSecond, .aborts = 2});
  add({.name = "AbortTimedOutIsRetried",
       .faults = {{Call::kProduce, 6, E::kAbortable}, {Call::kAbort, 1, E::kTimedOut}},
       .seeks = kSecond, .aborts = 2});
  add({.name = "AbortFatalRecreates",
       .faults = {{Call::kProduce, 6, E::kAbortable}, {Call::kAbort, 1, E::kFatal}},
       .seeks = kSecond, .recreated = 1, .aborts = 1});
  add({.name = "AbortAbortableRecreates",
       .faults = {{Call::kProduce, 6, E::kAbortable}, {Call::kAbort, 1, E::kAbortable}},
       .seeks = kSecond, .recreated = 1, .aborts = 1});
  add({.name = "AbortFenced",
       .faults = {{Call::kProduce, 6, E::kAbortable}, {Call::kAbort, 1, E::kFenced}},
       .ending = Ending::kExit3});
  // ---- inside a revoke (after 6 records: the 2nd transaction holds 2)
  add({.name = "RevokeCommits", .rebalance = {{6, Rebalance::kRevoke}}, .aborts = 0});
  add({.name = "RevokeCommitAbortable", .faults = {{Call::kCommit, 2, E::kAbortable}},
       .rebalance = {{6, Rebalance::kRevoke}}, .aborts = 1});
  add({.name = "RevokeCommitRetriable", .faults = {{Call::kCommit, 2, E::kRetriable}},
       .rebalance = {{6, Rebalance::kRevoke}}, .aborts = 0});
  add({.name = "RevokeSendOffsetsTimedOut", .faults = {{Call::kSendOffsets, 2, E::kTimedOut}},
       .rebalance = {{6, Rebalance::kRevoke}}, .aborts = 1});
  add({.name = "RevokeCommitFatalNotCommitted", .faults = {{Call::kCommit, 2, E::kFatal}},
       .rebalance = {{6, Rebalance::kRevoke}}, .recreated = 1});
  add({.name = "RevokeCommitFenced", .faults = {{Call::kCommit, 2, E::kFenced}},
       .rebalance = {{6, Rebalance::kRevoke}}, .ending = Ending::kExit3});
  // ---- inside an incremental (cooperative) revocation of p1 only: the transaction commits both
  // partitions; p0 goes on from where it is, or is rewound when the commit rolls back
  add({.name = "CooperativeRevokeCommitsAndKeepsTheOther",
       .rebalance = {{6, Rebalance::kRevokeLast}},
       .aborts = 0});
  add({.name = "CooperativeRevokeCommitAbortableRewindsTheKept",
       .faults = {{Call::kCommit, 2, E::kAbortable}},
       .rebalance = {{6, Rebalance::kRevokeLast}},
       .seeks = {{0, 2}},
       .aborts = 1});
  add({.name = "CooperativeRevokeCommitFenced",
       .faults = {{Call::kCommit, 2, E::kFenced}},
       .rebalance = {{6, Rebalance::kRevokeLast}},
       .ending = Ending::kExit3});
  // ---- inside a lost assignment
  add({.name = "LostAborts", .rebalance = {{6, Rebalance::kLost}}, .aborts = 1});
  add({.name = "LostAbortRetriable", .faults = {{Call::kAbort, 1, E::kRetriable}},
       .rebalance = {{6, Rebalance::kLost}}, .aborts = 2});
  add({.name = "LostAbortFatalRecreates", .faults = {{Call::kAbort, 1, E::kFatal}},
       .rebalance = {{6, Rebalance::kLost}}, .recreated = 1, .aborts = 1});
  add({.name = "LostAbortFenced", .faults = {{Call::kAbort, 1, E::kFenced}},
       .rebalance = {{6, Rebalance::kLost}}, .ending = Ending::kExit3});
  // ---- the broker aborted this instance's own transaction (open past transaction.timeout.ms)
  add({.name = "OwnTransactionTimedOutRecovers", .faults = {{Call::kProduce, 6, E::kFenced}},
       .slow = "1:2", .seeks = kSecond, .recreated = 1});
  return rows;
}

std::vector<Row> AlosRows() {
  using E = ErrorClass;
  std::vector<Row> rows;
  auto add = [&rows](Row r) {
    r.mode = Mode::kAtLeastOnce;
    r.name = absl::StrCat("Alos", r.name);
    rows.push_back(std::move(r));
  };
  add({.name = "NoFault", .commits = 3});
  add({.name = "ProduceMidRetriable", .faults = {{Call::kProduce, 6, E::kRetriable}},
       .seeks = kSecond});
  add({.name = "ProduceMidFatalRecreates", .faults = {{Call::kProduce, 6, E::kFatal}},
       .seeks = kSecond, .recreated = 1});
  add({.name = "DeliverMidFailedIsReplayed", .faults = {{Call::kDeliver, 6, E::kTimedOut}},
       .seeks = kSecond});
  add({.name = "DeliverTooBigDeadLetters", .big = "1:2", .policy = ErrorPolicy::kDeadLetter,
       .seeks = {{0, 2}, {1, 2}}, .dead_lettered = {"1:2"}});
  add({.name = "OffsetCommitFailsThenCovered", .offset_commit_faults = 1, .commits = 4});
  add({.name = "OffsetCommitFenced", .offset_commit_faults = 1,
       .offset_commit_class = E::kFenced, .ending = Ending::kExit3});
  add({.name = "RevokeCommits", .rebalance = {{6, Rebalance::kRevoke}}});
  add({.name = "LostReplays", .rebalance = {{6, Rebalance::kLost}}});
  return rows;
}

INSTANTIATE_TEST_SUITE_P(Eos, PipelineTableTest, ::testing::ValuesIn(EosRows()),
                         [](const auto& row) { return row.param.name; });
INSTANTIATE_TEST_SUITE_P(Alos, PipelineTableTest, ::testing::ValuesIn(AlosRows()),
                         [](const auto& row) { return row.param.name; });

}  // namespace
}  // namespace onceflow::runtime
