// The audit's checker, workload and fault schedule, without a broker: every anomaly the checker
// claims to find is planted and counted exactly, a clean stream reports zero everywhere, and a
// seed's fault schedule is the same every time.
#include "audit/checker.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "audit/fault_schedule.h"
#include "audit/workload.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onceflow::audit {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// 3 keys x 4 seqs, interleaved, all on partition 0 of the input, ids "r-0".."r-11".
std::vector<WorkloadValue> Originals() {
  std::vector<WorkloadValue> v;
  for (int n = 0; n < 12; ++n)
    v.push_back({"k" + std::to_string(n % 3), n / 3, "r-" + std::to_string(n), 0});
  return v;
}

std::vector<ReadBack> AsRecords(const std::vector<WorkloadValue>& values, int32_t partition = 0) {
  std::vector<ReadBack> out;
  int64_t offset = 0;
  for (const WorkloadValue& v : values) {
    out.push_back(
        {.partition = partition, .offset = offset++, .key = v.key, .value = EncodeValue(v)});
  }
  return out;
}

CheckInput Clean() {
  CheckInput in;
  in.input = AsRecords(Originals());
  in.output = AsRecords(Originals());
  in.output_uncommitted = in.output;
  in.live = in.output;
  return in;
}

TEST(WorkloadTest, ValuesRoundTrip) {
  const WorkloadValue original{"k17", 42, "r5-1234", 0};
  EXPECT_EQ(EncodeValue(original), R"({"k":"k17","s":42,"id":"r5-1234"})");
  const WorkloadValue dup{"k17", 42, "r5-1234", 2};
  EXPECT_EQ(EncodeValue(dup), R"({"k":"k17","s":42,"id":"r5-1234","u":2})");
  EXPECT_EQ(*DecodeValue(EncodeValue(original)), original);
  EXPECT_EQ(*DecodeValue(EncodeValue(dup)), dup);
  for (const char* bad : {"", "{}", R"({"k":"a","s":1})", R"({"k":"a","s":x,"id":"b"})",
                          R"({"k":"a","s":1,"id":"b"}x)", R"({"k":"a","s":1,"id":"b","u":0})"}) {
    EXPECT_FALSE(DecodeValue(bad).ok()) << bad;
  }
}

TEST(WorkloadTest, PlanIsSeededAndCountsPerKey) {
  const WorkloadOptions o{.records = 1000, .keys = 7, .dup_rate = 0.1, .seed = 3};
  const WorkloadPlan a = MakeWorkload(o);
  const WorkloadPlan b = MakeWorkload(o);
  EXPECT_EQ(a.sends, b.sends);
  EXPECT_EQ(a.originals, 1000);
  EXPECT_GT(a.duplicates, 50);
  EXPECT_LT(a.duplicates, 150);
  EXPECT_EQ(static_cast<int64_t>(a.sends.size()), a.originals + a.duplicates);
  WorkloadOptions other = o;
  other.seed = 4;
  EXPECT_NE(MakeWorkload(other).sends, a.sends);
  // The input itself keeps per-key order (upstream duplicates are not first occurrences).
  CheckInput in;
  in.input = AsRecords(a.sends);
  EXPECT_EQ(Check(in).input_order_violations, 0);
  EXPECT_EQ(Check(in).upstream_duplicates_injected, a.duplicates);
}

TEST(CheckerTest, CleanStreamReportsZeroEverywhere) {
  CheckInput in = Clean();
  in.fault_ms = {};
  const CheckResult r = Check(in);
  EXPECT_EQ(r.expected, 12);
  EXPECT_EQ(r.delivered, 12);
  EXPECT_EQ(r.lost, 0);
  EXPECT_EQ(r.duplicates, 0);
  EXPECT_EQ(r.order_violations, 0);
  EXPECT_EQ(r.aborted_reads, 0);
  EXPECT_EQ(r.aborted_in_log, 0);
  EXPECT_EQ(r.unexpected, 0);
  EXPECT_EQ(r.upstream_duplicates_injected, 0);
  EXPECT_EQ(r.upstream_duplicates_dropped, 0);
  EXPECT_EQ(r.dedupe_state_missing, -1);
  EXPECT_EQ(r.max_stall_ms, 0);
}

TEST(CheckerTest, PlantedDuplicateIsCountedOnce) {
  CheckInput in = Clean();
  std::vector<WorkloadValue> out = Originals();
  out.push_back(out[4]);  // r-4 again, later: a replay
  in.output = AsRecords(out);
  const CheckResult r = Check(in);
  EXPECT_EQ(r.duplicates, 1);
  EXPECT_EQ(r.delivered, 12);
  EXPECT_EQ(r.lost, 0);
  EXPECT_EQ(r.order_violations, 0);  // a repeat is not a first occurrence
}

TEST(CheckerTest, PlantedGapIsLost) {
  CheckInput in = Clean();
  std::vector<WorkloadValue> out = Originals();
  out.erase(out.begin() + 7);
  out.erase(out.begin() + 2);
  in.output = AsRecords(out);
  in.live = in.output;
  const CheckResult r = Check(in);
  EXPECT_EQ(r.lost, 2);
  EXPECT_EQ(r.delivered, 10);
  EXPECT_EQ(r.duplicates, 0);
  EXPECT_EQ(r.order_violations, 0);  // seqs skipped, not reversed
}

TEST(CheckerTest, PlantedReorderIsOneViolation) {
  CheckInput in = Clean();
  std::vector<WorkloadValue> out = Originals();
  std::swap(out[1], out[10]);  // k1: seq 3 now before seq 0, 1, 2
  in.output = AsRecords(out);
  in.live = in.output;
  CheckResult r = Check(in);
  EXPECT_EQ(r.order_violations, 3);  // seqs 0, 1, 2 of k1 each arrive after seq 3
  EXPECT_EQ(r.lost, 0);
  EXPECT_EQ(r.duplicates, 0);

  out = Originals();
  std::swap(out[0], out[3]);  // k0: seq 1 then seq 0
  in.output = AsRecords(out);
  in.live = in.output;
  r = Check(in);
  EXPECT_EQ(r.order_violations, 1);
}

TEST(CheckerTest, OrderIsPerPartitionThenOffset) {
  // The same records, read partition 1 first: order is judged by (partition, offset), not by
  // arrival, so this is clean.
  CheckInput in = Clean();
  std::vector<ReadBack> out = AsRecords(Originals());
  std::reverse(out.begin(), out.end());
  in.output = out;
  EXPECT_EQ(Check(in).order_violations, 0);
}

TEST(CheckerTest, PlantedDirtyReadIsAnAbortedRead) {
  CheckInput in = Clean();
  // The live reader saw a record at offset 12 that the committed log does not hold (its
  // transaction aborted), and another at offset 3 holding a different record.
  ReadBack ghost = in.live[5];
  ghost.offset = 12;
  in.live.push_back(ghost);
  ReadBack changed = in.live[3];
  changed.value = EncodeValue({"k0", 9, "r-0", 0});
  in.live[3] = changed;
  const CheckResult r = Check(in);
  EXPECT_EQ(r.aborted_reads, 2);
  EXPECT_EQ(r.lost, 0);
  EXPECT_EQ(r.duplicates, 0);
}

TEST(CheckerTest, AbortedRecordsInTheLog) {
  CheckInput in = Clean();
  // read_uncommitted sees three records of an aborted transaction at offsets 12..14.
  for (int64_t o = 12; o < 15; ++o) {
    ReadBack r = in.output[static_cast<size_t>(o - 12)];
    r.offset = o;
    in.output_uncommitted.push_back(r);
  }
  EXPECT_EQ(Check(in).aborted_in_log, 3);
}

TEST(CheckerTest, UpstreamDuplicatesDroppedOrPassed) {
  CheckInput in = Clean();
  std::vector<WorkloadValue> input = Originals();
  input.push_back({"k0", 0, "r-0", 1});
  input.push_back({"k1", 1, "r-4", 1});
  input.push_back({"k1", 1, "r-4", 2});
  in.input = AsRecords(input);
  CheckResult r = Check(in);
  EXPECT_EQ(r.upstream_duplicates_injected, 3);
  EXPECT_EQ(r.upstream_duplicates_dropped, 3);
  EXPECT_EQ(r.duplicates, 0);

  std::vector<WorkloadValue> out = Originals();
  out.push_back({"k1", 1, "r-4", 2});  // dedupe let one through
  in.output = AsRecords(out);
  r = Check(in);
  EXPECT_EQ(r.upstream_duplicates_dropped, 2);
  EXPECT_EQ(r.duplicates, 1);
}

TEST(CheckerTest, UnexpectedOutputIsCounted) {
  CheckInput in = Clean();
  in.output.push_back({.partition = 0, .offset = 12, .value = "garbage"});
  in.output.push_back({.partition = 0, .offset = 13, .value = EncodeValue({"k0", 9, "zz", 0})});
  EXPECT_EQ(Check(in).unexpected, 2);
}

TEST(CheckerTest, DedupeStateAgainstOutput) {
  CheckInput in = Clean();
  std::set<std::string> ids;
  for (int n = 0; n < 12; ++n) ids.insert("r-" + std::to_string(n));
  in.dedupe_ids = ids;
  CheckResult r = Check(in);
  EXPECT_EQ(r.dedupe_state_missing, 0);
  EXPECT_EQ(r.dedupe_state_extra, 0);
  in.dedupe_ids->erase("r-3");
  in.dedupe_ids->insert("r-99");
  r = Check(in);
  EXPECT_EQ(r.dedupe_state_missing, 1);
  EXPECT_EQ(r.dedupe_state_extra, 1);
}

TEST(CheckerTest, StallIsTimeToTheNextLiveRecord) {
  CheckInput in = Clean();
  for (size_t i = 0; i < in.live.size(); ++i) in.live[i].seen_ms = 1000 * static_cast<int64_t>(i);
  // Records every 1000 ms: the first fault waits 500 ms for the next, then 1000 ms between
  // records until the second fault; the third comes after the last record.
  in.fault_ms = {1500, 4000, 99999};
  CheckResult r = Check(in);
  EXPECT_THAT(r.stall_ms, ElementsAre(1000, 1000, -1));
  EXPECT_EQ(r.max_stall_ms, 1000);
  EXPECT_EQ(r.p99_stall_ms, 1000);

  // A record fetched before a broker crash arrives 10 ms after it, then nothing for 9 s.
  in.live.resize(5);
  const int64_t seen[] = {0, 1000, 1510, 10510, 10600};
  for (size_t i = 0; i < 5; ++i) in.live[i].seen_ms = seen[i];
  in.fault_ms = {1500};
  r = Check(in);
  EXPECT_THAT(r.stall_ms, ElementsAre(9000));

  // The next fault starts during that outage: the wait counts for the first fault up to the
  // second's start, and from there for the second.
  in.fault_ms = {1500, 5000};
  r = Check(in);
  EXPECT_THAT(r.stall_ms, ElementsAre(3490, 5510));
}

TEST(CheckerTest, StallCountsTheSlowestPartition) {
  CheckInput in = Clean();
  // Partition 0 keeps flowing every 100 ms; partition 1 (held by an open transaction) gets
  // its next record 7 s after the fault.
  in.live.clear();
  for (int64_t t = 0; t < 10000; t += 100) in.live.push_back({.partition = 0, .seen_ms = t});
  in.live.push_back({.partition = 1, .seen_ms = 900});
  in.live.push_back({.partition = 1, .seen_ms = 8000});
  in.fault_ms = {1000};
  EXPECT_THAT(Check(in).stall_ms, ElementsAre(7000));
}

TEST(WorkloadTest, PoisonValuesRoundTrip) {
  const WorkloadValue poison{"k1", 3, "r-7", 0, 5};
  EXPECT_EQ(EncodeValue(poison), R"({"k":"k1","s":3,"id":"r-7","p":"xxxxx"})");
  EXPECT_EQ(*DecodeValue(EncodeValue(poison)), poison);
  const WorkloadValue copy{"k1", 3, "r-7", 2, 5};
  EXPECT_EQ(EncodeValue(copy), R"({"k":"k1","s":3,"id":"r-7","u":2,"p":"xxxxx"})");
  EXPECT_EQ(*DecodeValue(EncodeValue(copy)), copy);
  EXPECT_TRUE(copy.poison());
  for (const char* bad :
       {R"({"k":"a","s":1,"id":"b","p":""})", R"({"k":"a","s":1,"id":"b","p":"xy"})",
        R"({"k":"a","s":1,"id":"b","p":"x","u":1})"}) {
    EXPECT_FALSE(DecodeValue(bad).ok()) << bad;
  }
}

TEST(WorkloadTest, PoisonChangesNoKeySeqOrDuplicate) {
  WorkloadOptions o{.records = 2000, .keys = 5, .dup_rate = 0.05, .seed = 11};
  const WorkloadPlan plain = MakeWorkload(o);
  o.poison_rate = 0.02;
  o.poison_bytes = 50;
  const WorkloadPlan poisoned = MakeWorkload(o);
  ASSERT_EQ(plain.sends.size(), poisoned.sends.size());
  EXPECT_GT(poisoned.poison, 20);
  EXPECT_LT(poisoned.poison, 70);
  int64_t poison = 0, poison_copies = 0;
  for (size_t i = 0; i < plain.sends.size(); ++i) {
    WorkloadValue v = poisoned.sends[i];
    if (v.poison()) {
      EXPECT_EQ(v.pad, 50);
      ++(v.copy == 0 ? poison : poison_copies);
    }
    v.pad = 0;
    EXPECT_EQ(v, plain.sends[i]);
  }
  EXPECT_EQ(poison, poisoned.poison);
  EXPECT_EQ(poison_copies, poisoned.poison_duplicates);
}

// ---- counts ---------------------------------------------------------------------------------

// `values` as output records with the count header the `count` stage would write: per key, the
// number of non-poison values so far (a repeat of an id is counted again, as a replay is).
std::vector<ReadBack> Counted(const std::vector<WorkloadValue>& values) {
  std::vector<ReadBack> out = AsRecords(values);
  std::map<std::string, int64_t> counts;
  for (size_t i = 0; i < values.size(); ++i) {
    out[i].headers.push_back({kCountHeader, std::to_string(++counts[values[i].key])});
  }
  return out;
}

std::map<std::string, int64_t> StateOf(const std::vector<WorkloadValue>& values) {
  std::map<std::string, int64_t> state;
  for (const WorkloadValue& v : values) ++state[v.key];
  return state;
}

CheckInput CleanCounted() {
  CheckInput in = Clean();
  in.output = Counted(Originals());
  in.counts = true;
  in.count_state = StateOf(Originals());
  return in;
}

TEST(CheckerTest, CleanCountsReportZero) {
  const CheckResult r = Check(CleanCounted());
  EXPECT_EQ(r.counts_checked, 12);
  EXPECT_EQ(r.counts_high, 0);
  EXPECT_EQ(r.counts_low, 0);
  EXPECT_EQ(r.counts_missing, 0);
  EXPECT_EQ(r.count_state_keys, 3);
  EXPECT_EQ(r.count_state_ahead, 0);
  EXPECT_EQ(r.count_state_behind, 0);
  // Not asked for: not checked.
  EXPECT_EQ(Check(Clean()).counts_checked, -1);
  EXPECT_EQ(Check(Clean()).count_state_ahead, -1);
}

TEST(CheckerTest, PlantedDoubledCountIsHigh) {
  CheckInput in = CleanCounted();
  // k1's state update for seq 1 (r-4) was applied twice: its count and every later one of k1
  // are one too high, and so is the store.
  for (ReadBack& r : in.output) {
    absl::StatusOr<WorkloadValue> v = DecodeValue(r.value);
    if (v->key == "k1" && v->seq >= 1) {
      r.headers.back().second = std::to_string(std::stoll(r.headers.back().second) + 1);
    }
  }
  (*in.count_state)["k1"] += 1;
  CheckResult r = Check(in);
  EXPECT_EQ(r.counts_high, 3);  // seqs 1, 2, 3 of k1
  EXPECT_EQ(r.counts_low, 0);
  EXPECT_EQ(r.count_state_ahead, 0);  // the store agrees with the (wrong) output
  EXPECT_EQ(r.count_state_behind, 0);
  EXPECT_EQ(r.lost, 0);
  EXPECT_EQ(r.duplicates, 0);

  // The store alone counted one more than the output shows.
  in = CleanCounted();
  (*in.count_state)["k2"] += 1;
  r = Check(in);
  EXPECT_EQ(r.counts_high, 0);
  EXPECT_EQ(r.count_state_ahead, 1);
}

// The generator's own duplicate: after a recovery from a fatal producer error, a record its old
// producer had in flight landed after the read-back and was sent again, so the input holds it
// twice. Without dedupe the processor must pass both and count both; with dedupe, drop one.
TEST(CheckerTest, AnInputRecordTwiceIsTheGeneratorsAndJudgedByDedupe) {
  std::vector<WorkloadValue> input = Originals();
  input.insert(input.begin() + 6, input[4]);  // r-4 (k1 seq 1) again, before r-6
  CheckInput in = CleanCounted();
  in.input = AsRecords(input);

  // Without dedupe, passed twice and counted twice: nothing wrong.
  in.output = Counted(input);
  in.count_state = StateOf(input);
  CheckResult r = Check(in);
  EXPECT_EQ(r.input_duplicates, 1);
  EXPECT_EQ(r.expected, 12);
  EXPECT_EQ(r.delivered, 12);
  EXPECT_EQ(r.duplicates, 0);
  EXPECT_EQ(r.counts_checked, 12);
  EXPECT_EQ(r.counts_high, 0);
  EXPECT_EQ(r.counts_low, 0);
  EXPECT_EQ(r.count_state_ahead, 0);
  EXPECT_EQ(r.count_state_behind, 0);
  EXPECT_EQ(r.upstream_duplicates_injected, 0);
  EXPECT_EQ(r.order_violations, 0);
  EXPECT_EQ(r.input_order_violations, 0);

  // Without dedupe, passed three times: one duplicate.
  std::vector<WorkloadValue> thrice = input;
  thrice.push_back(input[4]);
  in.output = Counted(thrice);
  EXPECT_EQ(Check(in).duplicates, 1);

  // Without dedupe, passed once: the later counts of k1 are one short.
  in.output = Counted(Originals());
  in.count_state = StateOf(Originals());
  r = Check(in);
  EXPECT_EQ(r.duplicates, 0);
  EXPECT_EQ(r.counts_low, 2);  // k1's seqs 2 and 3

  // With dedupe, passed once and counted once: right.
  in.dedupe = true;
  r = Check(in);
  EXPECT_EQ(r.input_duplicates, 1);
  EXPECT_EQ(r.duplicates, 0);
  EXPECT_EQ(r.counts_low, 0);
  EXPECT_EQ(r.counts_high, 0);

  // With dedupe, passed twice: a duplicate, and k1 counted high from there.
  in.output = Counted(input);
  in.count_state = StateOf(input);
  r = Check(in);
  EXPECT_EQ(r.duplicates, 1);
  EXPECT_EQ(r.counts_high, 2);
}

// The usual shape of the generator's repeats: a failed producer's unanswered tail (here k1's
// seqs 1 and 2) landed after the read-back and was sent again after it, behind later records
// of the key. The processor counts in input order; so does the check.
TEST(CheckerTest, TheGeneratorsRepeatedTailIsCountedInInputOrder) {
  std::vector<WorkloadValue> input = Originals();
  input.push_back(input[4]);  // r-4, k1 seq 1
  input.push_back(input[7]);  // r-7, k1 seq 2
  CheckInput in = CleanCounted();
  in.input = AsRecords(input);
  in.output = Counted(input);  // without dedupe: all passed, k1 counted 1..6
  in.count_state = StateOf(input);
  CheckResult r = Check(in);
  EXPECT_EQ(r.input_duplicates, 2);
  EXPECT_EQ(r.duplicates, 0);
  EXPECT_EQ(r.counts_checked, 12);
  EXPECT_EQ(r.counts_low, 0);
  EXPECT_EQ(r.counts_high, 0);
  EXPECT_EQ(r.count_state_ahead, 0);
  EXPECT_EQ(r.count_state_behind, 0);
  EXPECT_EQ(r.input_order_violations, 0);

  // With dedupe the repeats are dropped: k1 counted 1..4.
  in.dedupe = true;
  in.output = Counted(Originals());
  in.count_state = StateOf(Originals());
  r = Check(in);
  EXPECT_EQ(r.duplicates, 0);
  EXPECT_EQ(r.counts_low, 0);
  EXPECT_EQ(r.counts_high, 0);
}

// At-least-once: a unit whose outputs went out (counts 1..3 of k0, the 3rd with a count that
// included a poison record's rolled-back attempt) is replayed; the store follows the replay, so
// it agrees with the key's last output record, not with the highest count shown.
TEST(CheckerTest, CountStateIsComparedWithTheLastRecord) {
  CheckInput in = CleanCounted();
  std::vector<ReadBack> out = in.output;  // k0 seqs 0..3 at output offsets 0, 3, 6, 9
  ReadBack early = out[6];                // k0 seq 2, counted 5 before the rollback
  early.headers.back().second = "5";
  out.insert(out.begin() + 6, early);
  for (size_t i = 0; i < out.size(); ++i) out[i].offset = static_cast<int64_t>(i);
  in.output = out;
  CheckResult r = Check(in);
  EXPECT_EQ(r.counts_high, 1);  // the first occurrence of k0 seq 2 shows 5, not 3
  EXPECT_EQ(r.count_state_ahead, 0);
  EXPECT_EQ(r.count_state_behind, 0);
}

TEST(CheckerTest, PlantedLostCountIsLow) {
  CheckInput in = CleanCounted();
  // k0's update for seq 2 (r-6) was lost: seq 2 shows 2 instead of 3, seq 3 shows 3.
  for (ReadBack& r : in.output) {
    absl::StatusOr<WorkloadValue> v = DecodeValue(r.value);
    if (v->key == "k0" && v->seq >= 2) {
      r.headers.back().second = std::to_string(std::stoll(r.headers.back().second) - 1);
    }
  }
  CheckResult r = Check(in);
  EXPECT_EQ(r.counts_low, 2);
  EXPECT_EQ(r.counts_high, 0);
  EXPECT_EQ(r.count_state_ahead, 1);  // the store still has 4 for k0; its last record shows 3

  // The store lost the last update of k2, and knows nothing of k1.
  in = CleanCounted();
  (*in.count_state)["k2"] -= 1;
  in.count_state->erase("k1");
  r = Check(in);
  EXPECT_EQ(r.counts_low, 0);
  EXPECT_EQ(r.count_state_behind, 2);
}

TEST(CheckerTest, CountsSkipPoisonAndDroppedDuplicatesAndJudgeFirstOccurrences) {
  CheckInput in = CleanCounted();
  // The input: k0's seq 1 (r-3) is poison, and r-4 has an upstream duplicate (dropped).
  std::vector<WorkloadValue> input = Originals();
  input[3].pad = 10;
  input.push_back({"k1", 1, "r-4", 1});
  in.input = AsRecords(input);
  // The output: without the poison, so k0 counts 1, 2, 3 for seqs 0, 2, 3; then a replay of
  // r-5 (k2 seq 1) counted again (a duplicate, not a first occurrence).
  std::vector<WorkloadValue> out = Originals();
  out.erase(out.begin() + 3);
  out.push_back(Originals()[5]);
  in.output = Counted(out);
  in.count_state = StateOf(out);
  CheckResult r = Check(in);
  EXPECT_EQ(r.expected, 11);
  EXPECT_EQ(r.lost, 0);
  EXPECT_EQ(r.poison_expected, 1);
  EXPECT_EQ(r.counts_checked, 11);
  EXPECT_EQ(r.counts_high, 0);
  EXPECT_EQ(r.counts_low, 0);
  EXPECT_EQ(r.count_state_ahead, 0);
  EXPECT_EQ(r.duplicates, 1);

  // The dropped duplicate was counted anyway: k1's later counts are one too high.
  std::vector<WorkloadValue> counted_dup = Originals();
  counted_dup.erase(counted_dup.begin() + 3);
  counted_dup.insert(counted_dup.begin() + 5, WorkloadValue{"k1", 1, "r-4", 1});
  in.output = Counted(counted_dup);
  in.count_state = StateOf(counted_dup);
  r = Check(in);
  EXPECT_EQ(r.counts_high, 2);  // k1 seqs 2 and 3
  EXPECT_EQ(r.upstream_duplicates_dropped, 0);
}

TEST(CheckerTest, OutputWithoutCountHeaderIsMissing) {
  CheckInput in = CleanCounted();
  in.output[4].headers.clear();
  in.output[5].headers.back().second = "x";
  EXPECT_EQ(Check(in).counts_missing, 2);
}

TEST(CheckerTest, RetriedRecordsAreCounted) {
  CheckInput in = Clean();
  in.output[2].headers.push_back({kChaosHeader, "2"});
  in.output[7].headers.push_back({kChaosHeader, "2"});
  in.output.push_back(in.output[7]);  // a replay of one of them counts once
  in.output.back().offset = 12;
  EXPECT_EQ(Check(in).transient_retried, 2);
}

// ---- poison and dead letters ----------------------------------------------------------------

ReadBack DeadLetter(const ReadBack& input, const std::string& topic = "in") {
  ReadBack d = input;
  d.headers = {{"original-topic", topic},
               {"original-partition", std::to_string(input.partition)},
               {"original-offset", std::to_string(input.offset)},
               {"error-class", "permanent"},
               {"error-message", "an output cannot be produced: Broker: Message size too large"}};
  return d;
}

// Originals with r-2 and r-9 poison, r-9 with an upstream duplicate (poison too); the output
// holds the rest, the dead-letter topic the three poison input records.
CheckInput WithPoison() {
  CheckInput in = Clean();
  std::vector<WorkloadValue> input = Originals();
  input[2].pad = 8;
  input[9].pad = 8;
  WorkloadValue copy = input[9];
  copy.copy = 1;
  input.push_back(copy);
  in.input = AsRecords(input);
  std::vector<WorkloadValue> out;
  for (const WorkloadValue& v : input) {
    if (!v.poison()) out.push_back(v);
  }
  in.output = AsRecords(out);
  in.output_uncommitted = in.output;
  in.live = in.output;
  in.input_topic = "in";
  in.dead_letters = std::vector<ReadBack>{};
  for (const ReadBack& r : in.input) {
    if (DecodeValue(r.value)->poison()) in.dead_letters->push_back(DeadLetter(r));
  }
  return in;
}

TEST(CheckerTest, PoisonInTheDeadLetterTopicIsNotLost) {
  const CheckResult r = Check(WithPoison());
  EXPECT_EQ(r.expected, 10);
  EXPECT_EQ(r.delivered, 10);
  EXPECT_EQ(r.lost, 0);
  EXPECT_EQ(r.poison_expected, 3);
  EXPECT_EQ(r.poison_dead_lettered, 3);
  EXPECT_EQ(r.poison_lost, 0);
  EXPECT_EQ(r.poison_in_output, 0);
  EXPECT_EQ(r.dead_letters, 3);
  EXPECT_EQ(r.dead_letter_duplicates, 0);
  EXPECT_EQ(r.dead_letters_unexpected, 0);
  EXPECT_EQ(r.upstream_duplicates_injected, 0);  // the only copy is poison
  EXPECT_EQ(r.upstream_duplicates_dropped, 0);
  EXPECT_THAT(r.dead_letter_reason, HasSubstr("permanent: an output cannot be produced"));
  EXPECT_EQ(Check(Clean()).poison_lost, -1);  // no dead-letter topic read
}

TEST(CheckerTest, PlantedPoisonMissingFromTheDeadLetterTopicIsLost) {
  CheckInput in = WithPoison();
  in.dead_letters->erase(in.dead_letters->begin() + 1);
  const CheckResult r = Check(in);
  EXPECT_EQ(r.poison_dead_lettered, 2);
  EXPECT_EQ(r.poison_lost, 1);
}

TEST(CheckerTest, PlantedDeadLetterAnomalies) {
  CheckInput in = WithPoison();
  in.dead_letters->push_back(in.dead_letters->front());  // dead-lettered twice
  CheckResult r = Check(in);
  EXPECT_EQ(r.dead_letter_duplicates, 1);
  EXPECT_EQ(r.poison_lost, 0);

  // A good record dead-lettered (and so missing from the output), one without its reason,
  // one naming another topic, one whose value is not the input's.
  in = WithPoison();
  in.dead_letters->push_back(DeadLetter(in.input[4]));
  in.output.erase(in.output.begin() + 3);  // r-4 (index 3 once r-2 is left out)
  (*in.dead_letters)[0].headers.pop_back();
  (*in.dead_letters)[1].headers[0].second = "elsewhere";
  (*in.dead_letters)[2].value = in.input[0].value;
  r = Check(in);
  EXPECT_EQ(r.dead_letters_unexpected, 4);
  EXPECT_EQ(r.poison_dead_lettered, 0);
  EXPECT_EQ(r.poison_lost, 3);
  EXPECT_EQ(r.lost, 1);

  // Poison in the output (the topic took it).
  in = WithPoison();
  in.output.push_back({.partition = 0, .offset = 99, .value = in.input[2].value});
  EXPECT_EQ(Check(in).poison_in_output, 1);

  // A transient failure given up is dead-lettered with class transient: unexpected.
  in = WithPoison();
  (*in.dead_letters)[0].headers[3].second = "transient";
  EXPECT_EQ(Check(in).dead_letters_unexpected, 1);
}

TEST(CheckerTest, Percentile) {
  EXPECT_EQ(Percentile({}, 99), 0);
  EXPECT_EQ(Percentile({-1, -1}, 99), 0);
  std::vector<int64_t> v;
  for (int i = 1; i <= 200; ++i) v.push_back(i);
  EXPECT_EQ(Percentile(v, 99), 198);
  EXPECT_EQ(Percentile(v, 50), 100);
  EXPECT_EQ(Percentile({7}, 99), 7);
}

TEST(FaultScheduleTest, ReproducibleForASeedDifferentForAnother) {
  const FaultScheduleOptions o{.kills = 5,
                               .pauses = 1,
                               .broker_restarts = 1,
                               .instances = 3,
                               .window_start_ms = 2000,
                               .window_end_ms = 40000};
  const std::vector<Fault> a = MakeFaultSchedule(o, 42);
  EXPECT_EQ(MakeFaultSchedule(o, 42), a);
  EXPECT_NE(MakeFaultSchedule(o, 43), a);
  ASSERT_EQ(a.size(), 7u);
  int kills = 0, pauses = 0, restarts = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_GE(a[i].at_ms, 2000);
    EXPECT_LT(a[i].at_ms, 40000);
    if (i > 0) {
      EXPECT_GT(a[i].at_ms, a[i - 1].at_ms);
    }
    switch (a[i].kind) {
      case FaultKind::kKill:
        ++kills;
        EXPECT_GE(a[i].instance, 0);
        EXPECT_LT(a[i].instance, 3);
        break;
      case FaultKind::kPause:
        ++pauses;
        EXPECT_GE(a[i].instance, 0);
        break;
      case FaultKind::kBrokerRestart:
        ++restarts;
        EXPECT_EQ(a[i].instance, -1);
        break;
      default:
        ADD_FAILURE() << "a cluster kind in a single-broker schedule: " << FaultKindName(a[i].kind);
    }
  }
  EXPECT_EQ(kills, 5);
  EXPECT_EQ(pauses, 1);
  EXPECT_EQ(restarts, 1);
  EXPECT_TRUE(MakeFaultSchedule({}, 1).empty());
}

}  // namespace
}  // namespace onceflow::audit
