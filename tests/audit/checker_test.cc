// The audit's checker, workload and fault schedule, without a broker: every anomaly the checker
// claims to find is planted and counted exactly, a clean stream reports zero everywhere, and a
// seed's fault schedule is the same every time.
#include "audit/checker.h"

#include <string>
#include <vector>

#include "audit/fault_schedule.h"
#include "audit/workload.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onceflow::audit {
namespace {

using ::testing::ElementsAre;

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
  const WorkloadPlan a = MakeWorkload(1000, 7, 0.1, 3, "r-");
  const WorkloadPlan b = MakeWorkload(1000, 7, 0.1, 3, "r-");
  EXPECT_EQ(a.sends, b.sends);
  EXPECT_EQ(a.originals, 1000);
  EXPECT_GT(a.duplicates, 50);
  EXPECT_LT(a.duplicates, 150);
  EXPECT_EQ(static_cast<int64_t>(a.sends.size()), a.originals + a.duplicates);
  EXPECT_NE(MakeWorkload(1000, 7, 0.1, 4, "r-").sends, a.sends);
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
