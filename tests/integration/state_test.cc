// State and dedupe against a real broker: upstream duplicates dropped exactly, window expiry
// with tombstones in the changelog, SIGKILL at every fault point (including between the Kafka
// commit and the RocksDB write), a partition moving to an instance with an empty state
// folder, wiped or corrupted local state rebuilt from the changelog, and a group scaled
// 1 -> 3 -> 1 under the eager and the cooperative assignor and the consumer group protocol.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/child_process.h"
#include "base/clock.h"
#include "base/file.h"
#include "examples/key_counter/key_counter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kafka/consumer.h"
#include "kafka/guarded_properties.h"
#include "kafka/producer.h"
#include "onceflow/processor.h"
#include "runtime/fault_injection.h"
#include "runtime/record_processor.h"
#include "runtime/state_manager.h"
#include "state/partition_store.h"
#include "tests/testing/pipeline_test.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/stored_checkpoint.h"

namespace onceflow {
namespace {

using ::onceflow::base::ChildProcess;
using ::onceflow::base::SpawnOptions;
using ::onceflow::testing::IsOk;
using ::onceflow::testing::StatusIs;
using ::onceflow::testing::Isolation;
using ::onceflow::testing::ReadRecord;
using ::onceflow::testing::UniqueName;
using ::testing::AllOf;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

using namespace std::chrono_literals;


constexpr char kIdHeader[] = "idempotency-key";

// One input record: partition, id (the idempotency key), and a value unique per record.
struct InputRecord {
  int partition;
  std::string id;
  std::string value;
};

// For each partition: ids 0..n-1 in order, and after every 4th id k >= 8 a repeat of id k-7
// (an upstream duplicate at a later offset). Ids are shared between partitions, which proves
// dedupe is per partition. `phase` makes values unique across batches.
std::vector<InputRecord> MakeInput(int partitions, int n, absl::string_view phase,
                                   int first_id = 0) {
  std::vector<InputRecord> out;
  for (int p = 0; p < partitions; ++p) {
    int seq = 0;
    for (int k = first_id; k < first_id + n; ++k) {
      out.push_back({p, absl::StrCat("id-", k), absl::StrCat(phase, "-p", p, "-s", seq++)});
      if (k - first_id >= 8 && k % 4 == 0) {
        out.push_back({p, absl::StrCat("id-", k - 7), absl::StrCat(phase, "-p", p, "-s", seq++)});
      }
    }
  }
  return out;
}

class StateTest : public testing::PipelineTest {
 protected:
  void Produce(const std::string& topic, const std::vector<InputRecord>& records) {
    ASSERT_OK_AND_ASSIGN(auto producer,
                         kafka::Producer::Create(ClientProps({{"enable.idempotence", "true"}})));
    for (const InputRecord& r : records) {
      const std::string key = absl::StrCat("k", r.partition);
      kafka::OutMessage m{topic, Partition(r.partition), key, r.value};
      m.headers = {{kIdHeader, r.id}};
      ASSERT_THAT(producer->Produce(m), IsOk());
    }
    ASSERT_THAT(producer->Flush(60s), IsOk());
    ASSERT_EQ(producer->delivered(), static_cast<int64_t>(records.size()));
  }

  // Per partition, in order: the values of the records whose id was not seen before in that
  // partition, given the ids in `seen` (updated).
  static std::map<int, std::vector<std::string>> FirstOccurrences(
      const std::vector<InputRecord>& records, std::map<int, std::set<std::string>>& seen,
      absl::string_view suffix = "") {
    std::map<int, std::vector<std::string>> out;
    for (const InputRecord& r : records) {
      if (seen[r.partition].insert(r.id).second) {
        out[r.partition].push_back(absl::StrCat(r.value, suffix));
      }
    }
    return out;
  }

  // Outputs grouped by input partition (their key is "k<partition>"; the output partition is
  // the key's hash), in the order read: per key, that is the order they were written.
  static std::map<int, std::vector<std::string>> ByPartition(const std::vector<ReadRecord>& rs) {
    std::map<int, std::vector<std::string>> out;
    for (const ReadRecord& r : rs) out[std::stoi(r.key.substr(1))].push_back(r.value);
    return out;
  }

  ProcessorOptions DedupeOptions(const std::string& app, const std::string& in,
                                 const std::string& out, const std::string& dir) {
    ProcessorOptions o;
    o.bootstrap_servers = testing::Bootstrap();
    o.application_id = app;
    o.instance_id = "i1";
    o.input_topics = {in};
    o.output_topic = out;
    o.stop_when_caught_up = true;
    o.commit_interval = 50ms;
    o.state.dir = dir;
    state::DedupeOptions d;
    d.source = state::DedupeKeySource::kHeader;
    d.header = kIdHeader;
    o.state.dedupe = d;
    return o;
  }

  // `per_key` records "x" of each key "key0".."key<keys-1>", interleaved, key k on partition
  // k % partitions.
  void ProduceKeys(const std::string& topic, int keys, int per_key, int partitions) {
    ASSERT_OK_AND_ASSIGN(auto producer, kafka::Producer::Create(ClientProps()));
    for (int i = 0; i < per_key; ++i) {
      for (int k = 0; k < keys; ++k) {
        ASSERT_THAT(
            producer->Produce({topic, Partition(k % partitions), absl::StrCat("key", k), "x"}),
            IsOk());
      }
    }
    ASSERT_THAT(producer->Flush(60s), IsOk());
  }

  // The count outputs of ProduceKeys' input, read_committed: per key exactly key=1..per_key.
  void ExpectExactCounts(const std::vector<ReadRecord>& output, int keys, int per_key,
                         const std::string& context = "") {
    std::map<std::string, std::vector<std::string>> by_key;
    for (const ReadRecord& r : output) by_key[r.key].push_back(r.value);
    ASSERT_EQ(by_key.size(), static_cast<size_t>(keys)) << context;
    for (const auto& [key, values] : by_key) {
      std::vector<std::string> expected;
      for (int i = 1; i <= per_key; ++i) expected.push_back(absl::StrCat(key, "=", i));
      EXPECT_THAT(values, ElementsAreArray(expected)) << key << context;
    }
  }

  void TearDown() override {
    // Changelog topics are created by the processor, not by CreateTopic: delete them too.
    for (const std::string& app : apps_) {
      (void)admin().DeleteTopics({runtime::StateManager::ChangelogTopic(app, "dedupe"),
                                  runtime::StateManager::ChangelogTopic(app, "counts")},
                                 30s);
    }
    PipelineTest::TearDown();
  }
  std::string App(absl::string_view stem) {
    apps_.push_back(UniqueName(stem));
    return apps_.back();
  }

 private:
  std::vector<std::string> apps_;
};

class FakeClock : public base::Clock {
 public:
  int64_t NowMs() override { return now_ms; }
  SteadyTime SteadyNow() override { return SteadyTime(std::chrono::milliseconds(now_ms)); }
  void SleepFor(std::chrono::milliseconds d) override { now_ms += d.count(); }
  int64_t now_ms = 1'700'000'000'000;
};

// 1. Upstream duplicates (same idempotency key at later offsets, partitions interleaved) are
// dropped exactly; the rest pass once, in order.
TEST_F(StateTest, UpstreamDuplicatesAreDroppedExactly) {
  const std::string in = CreateTopic("dedupe-in", 3);
  const std::string out = CreateTopic("dedupe-out", 3);
  const std::vector<InputRecord> input = MakeInput(3, 200, "a");
  Produce(in, input);
  ProcessorOptions o = DedupeOptions(App("dedupe"), in, out, TempDir("state"));
  ASSERT_OK_AND_ASSIGN(auto processor, Processor::Create(o, Passthrough()));
  ASSERT_THAT(processor->Run(), IsOk());

  std::map<int, std::set<std::string>> seen;
  const auto expected = FirstOccurrences(input, seen);
  ASSERT_OK_AND_ASSIGN(auto output, ReadAll(out, Isolation::kReadCommitted));
  const auto got = ByPartition(output);
  for (int p = 0; p < 3; ++p) {
    EXPECT_THAT(got.at(p), ElementsAreArray(expected.at(p))) << "partition " << p;
  }
  int64_t expected_total = 0;
  for (const auto& [p, v] : expected) expected_total += static_cast<int64_t>(v.size());
  const ProcessorStats s = processor->stats();
  EXPECT_EQ(s.records_in, static_cast<int64_t>(input.size()));
  EXPECT_EQ(s.deduplicated, static_cast<int64_t>(input.size()) - expected_total);
  EXPECT_GT(s.deduplicated, 0);
  EXPECT_EQ(s.dedupe_keyless, 0);
}

// 2. Window expiry: inside the window a repeated key is dropped; after it, it passes again.
// Expiry writes nothing: the changelog holds one record per sighting and no tombstone, and
// the topic ages records out by time (compact,delete, retention = window + 24 h). A store
// restored from it into an empty folder treats the expired entries as absent.
TEST_F(StateTest, WindowExpiryPassesTheKeyAgainAndTheChangelogAgesOut) {
  const std::string in = CreateTopic("window-in", 1);
  const std::string out = CreateTopic("window-out", 1);
  const std::string app = App("window");
  FakeClock clock;
  ProcessorOptions o = DedupeOptions(app, in, out, TempDir("state"));
  o.state.dedupe->window = std::chrono::hours(1);
  o.state.clock = &clock;
  auto run = [&]() {
    ASSERT_OK_AND_ASSIGN(auto processor, Processor::Create(o, Passthrough()));
    ASSERT_THAT(processor->Run(), IsOk());
  };

  Produce(in, {{0, "A", "a1"}, {0, "B", "b1"}});
  run();  // t = 0: both pass
  clock.now_ms += 30 * 60 * 1000;
  Produce(in, {{0, "A", "a2"}});
  run();  // t = 30 min: inside the window, dropped
  clock.now_ms += 2 * 60 * 60 * 1000;
  Produce(in, {{0, "A", "a3"}});
  run();  // t = 2 h 30: A's entry expired, passes again
  // A partition moved to a new machine: restored from the changelog into an empty folder. A
  // is inside its new window (a duplicate); B's restored entry is outside its window.
  o.state.dir = TempDir("moved");
  Produce(in, {{0, "A", "a4"}, {0, "B", "b2"}});
  run();

  ASSERT_OK_AND_ASSIGN(auto output, ReadAll(out, Isolation::kReadCommitted));
  std::vector<std::string> values;
  for (const ReadRecord& r : output) values.push_back(r.value);
  EXPECT_THAT(values, ElementsAreArray({"a1", "b1", "a3", "b2"}));

  const std::string topic = runtime::StateManager::ChangelogTopic(app, "dedupe");
  ASSERT_OK_AND_ASSIGN(auto changelog, ReadAll(topic, Isolation::kReadCommitted));
  std::vector<std::string> keys;
  for (const ReadRecord& r : changelog) {
    keys.push_back(r.key);
    EXPECT_FALSE(r.value.empty()) << "a tombstone for " << r.key;
  }
  EXPECT_THAT(keys, ElementsAreArray({"kA", "kB", "kA", "kB"}));
  ASSERT_OK_AND_ASSIGN(const kafka::Properties config, admin().TopicConfig(topic, 30s));
  EXPECT_EQ(config.at("cleanup.policy"), "compact,delete");
  EXPECT_EQ(config.at("retention.ms"), absl::StrCat(25 * 60 * 60 * 1000));
}

// 2b. An existing windowed changelog that deletes records sooner than the window is refused
// (a restore would forget keys inside the window); one without time retention is accepted.
TEST_F(StateTest, AChangelogRetentionShorterThanTheWindowIsRefused) {
  const std::string in = CreateTopic("short-retention-in", 1);
  const std::string out = CreateTopic("short-retention-out", 1);
  const std::string app = App("short-retention");
  const std::string changelog = runtime::StateManager::ChangelogTopic(app, "dedupe");
  ASSERT_THAT(admin().CreateTopic(
                  {changelog, 1, 1, {{"cleanup.policy", "compact,delete"}, {"retention.ms", "60000"}}},
                  30s),
              IsOk());
  ProcessorOptions o = DedupeOptions(app, in, out, TempDir("state"));
  o.state.dedupe->window = std::chrono::hours(1);
  Produce(in, {{0, "A", "a1"}});
  ASSERT_OK_AND_ASSIGN(auto processor, Processor::Create(o, Passthrough()));
  EXPECT_THAT(processor->Run(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(changelog), HasSubstr("retention.ms=60000"),
                             HasSubstr("raise it to 90000000"))));
}

// 3. SIGKILL at every fault point, including between the Kafka commit and the RocksDB write,
// under eos with dedupe: nothing lost, no duplicate passed.
TEST_F(StateTest, KillsAtEveryFaultPointLoseNothingAndPassNoDuplicate) {
  const std::string in = CreateTopic("dedupe-kill-in", 3);
  const std::string out = CreateTopic("dedupe-kill-out", 3);
  const std::vector<InputRecord> input = MakeInput(3, 600, "k");
  Produce(in, input);
  const std::string app = App("dedupe-kill");
  const std::string dir = TempDir("state");
  const std::vector<std::string> flags = {
      "--state-dir", dir, "--dedupe-header", kIdHeader, "--max-records-per-txn", "40"};
  ASSERT_NO_FATAL_FAILURE(
      KillAtEachFaultThenDrain(ChildArgs(app, "i1", in, out, "eos", flags),
                               {"after_produce:2", "after_send_offsets:2", "after_commit:2",
                                "after_commit:3", "after_produce:3"}));

  std::map<int, std::set<std::string>> seen;
  const auto expected = FirstOccurrences(input, seen, "|t");
  ASSERT_OK_AND_ASSIGN(auto output, ReadAll(out, Isolation::kReadCommitted));
  const auto got = ByPartition(output);
  for (int p = 0; p < 3; ++p) {
    EXPECT_THAT(got.at(p), ElementsAreArray(expected.at(p))) << "partition " << p;
  }
}

// 4. A partition moves to an instance with an empty state folder: its dedupe state is restored
// from the changelog and still drops the duplicates that arrive after the move.
TEST_F(StateTest, PartitionMovedToEmptyStateFolderStillDropsDuplicates) {
  const std::string in = CreateTopic("move-in", 2);
  const std::string out = CreateTopic("move-out", 2);
  const std::string app = App("move");
  const std::vector<InputRecord> first = MakeInput(2, 100, "one");
  Produce(in, first);
  const std::vector<std::string> common = {"--dedupe-header", kIdHeader, "--dynamic-membership",
                                           "--stop-when-caught-up"};
  std::vector<std::string> a_flags = common;
  a_flags.insert(a_flags.end(), {"--state-dir", TempDir("a")});
  ASSERT_OK_AND_ASSIGN(ChildProcess a,
                       ChildProcess::Start(ChildArgs(app, "a", in, out, "eos", a_flags),
                                           SpawnOptions::ToLog(LogPath("a"))));
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit a_exit, a.Wait(120s));
  ASSERT_EQ(a_exit.code, 0) << "log " << LogPath("a");

  // The same ids again (all duplicates), plus 20 new ones per partition.
  const std::vector<InputRecord> second = MakeInput(2, 120, "two");
  Produce(in, second);
  std::vector<std::string> b_flags = common;
  b_flags.insert(b_flags.end(), {"--state-dir", TempDir("b")});  // empty
  ASSERT_OK_AND_ASSIGN(ChildProcess b,
                       ChildProcess::Start(ChildArgs(app, "b", in, out, "eos", b_flags),
                                           SpawnOptions::ToLog(LogPath("b"))));
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit b_exit, b.Wait(120s));
  ASSERT_EQ(b_exit.code, 0) << "log " << LogPath("b");
  ASSERT_OK_AND_ASSIGN(const std::string b_log, base::ReadFile(LogPath("b")));
  EXPECT_THAT(b_log, HasSubstr("restored 2 store partition(s)"));

  std::map<int, std::set<std::string>> seen;
  auto expected = FirstOccurrences(first, seen, "|t");
  for (auto& [p, v] : FirstOccurrences(second, seen, "|t")) {
    EXPECT_EQ(v.size(), 20u) << "only the 20 new ids of partition " << p << " may pass";
    expected[p].insert(expected[p].end(), v.begin(), v.end());
  }
  ASSERT_OK_AND_ASSIGN(auto output, ReadAll(out, Isolation::kReadCommitted));
  const auto got = ByPartition(output);
  for (int p = 0; p < 2; ++p) {
    EXPECT_THAT(got.at(p), ElementsAreArray(expected.at(p))) << "partition " << p;
  }
}

// A group scaled 1 -> 3 -> 1 mid-stream under eos with dedupe, with the eager assignor (range),
// the cooperative one, and the consumer group protocol (KIP-848: the broker assigns, always
// incrementally; librdkafka 2.12+ and a Kafka 4 broker): exactly once every way. Besides, a
// sampler reads the group's committed offsets every 50 ms and prints each partition's longest
// stall (no committed progress while it had records left): under the eager protocol every
// partition stops at each rebalance; under the incremental ones the partitions that stay with
// their member do not.
class ScaleTest : public StateTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(ScaleTest, OneToThreeToOneIsExactlyOnce) {
  constexpr int kPartitions = 6;
  const std::string assignor = GetParam();
  const bool consumer_protocol = assignor == "consumer";
  if (consumer_protocol && !kafka::SupportsConsumerGroupProtocol()) {
    GTEST_SKIP() << "group.protocol: consumer (KIP-848) needs librdkafka 2.12 or newer; this "
                    "process runs librdkafka "
                 << kafka::LibrdkafkaVersion() << " (scripts/test-librdkafka-upstream runs it)";
  }
  const std::string in = CreateTopic("scale-in", kPartitions);
  const std::string out = CreateTopic("scale-out", kPartitions);
  const std::vector<InputRecord> input = MakeInput(kPartitions, 1400, "s");
  Produce(in, input);
  const std::string app = App("scale");
  // ~2 ms a record: A alone needs ~20 s, so the members join and leave mid-stream (their
  // restores can take seconds).
  std::vector<std::string> common = {"--dedupe-header", kIdHeader, "--dynamic-membership",
                                     "--delay-us", "2000", "--commit-interval-ms", "50",
                                     // Small fetches: the partitions advance together.
                                     "--consumer-property", "max.partition.fetch.bytes=1024"};
  // The consumer protocol takes no assignor: the broker's (uniform by default) assigns.
  common.insert(common.end(), {consumer_protocol ? "--consumer-property" : "--assignor",
                               consumer_protocol ? "group.protocol=consumer" : assignor});
  auto flags = [&](const std::string& name) {
    std::vector<std::string> f = common;
    f.insert(f.end(), {"--state-dir", TempDir(name)});
    return f;
  };

  // The sampler: committed offsets per partition over time.
  std::atomic<bool> sampling{true};
  std::map<int, std::vector<std::pair<std::chrono::steady_clock::time_point, int64_t>>> samples;
  // One consumer that never subscribes (it does not join the group, only asks its coordinator),
  // so a sample costs one round trip.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<kafka::Consumer> probe,
                       kafka::Consumer::Create(ClientProps({{"group.id", app}})));
  std::vector<TopicPartition> tps;
  for (int p = 0; p < kPartitions; ++p) tps.push_back({in, Partition(p)});
  std::thread sampler([&] {
    while (sampling.load()) {
      absl::StatusOr<std::vector<TopicPartitionOffset>> c = probe->Committed(tps, 5s);
      const auto now = std::chrono::steady_clock::now();
      if (c.ok()) {
        for (const TopicPartitionOffset& tpo : *c) {
          samples[tpo.tp.partition.value()].emplace_back(
              now, tpo.offset.is_logical() ? 0 : tpo.offset.value());
        }
      }
      std::this_thread::sleep_for(50ms);  // the sampling period, not a wait for a condition
    }
  });
  auto stop_sampler = absl::MakeCleanup([&] {
    sampling = false;
    sampler.join();
  });

  const int64_t total = static_cast<int64_t>(input.size());
  ASSERT_OK_AND_ASSIGN(ChildProcess a,
                       ChildProcess::Start(ChildArgs(app, "a", in, out, "eos", flags("a")),
                                           SpawnOptions::ToLog(LogPath("a"))));
  WaitForCommittedAtLeast(app, in, total / 6, 90s);
  ASSERT_OK_AND_ASSIGN(ChildProcess b,
                       ChildProcess::Start(ChildArgs(app, "b", in, out, "eos", flags("b")),
                                           SpawnOptions::ToLog(LogPath("b"))));
  ASSERT_OK_AND_ASSIGN(ChildProcess c,
                       ChildProcess::Start(ChildArgs(app, "c", in, out, "eos", flags("c")),
                                           SpawnOptions::ToLog(LogPath("c"))));
  // B and C hold partitions and commit some of them before they leave.
  auto wait_for_assigned = [&](const std::string& name) {
    const auto deadline = std::chrono::steady_clock::now() + 90s;
    while (std::chrono::steady_clock::now() < deadline) {
      absl::StatusOr<std::string> log = base::ReadFile(LogPath(name));
      if (log.ok() && absl::StrContains(*log, "restored")) return true;
      std::this_thread::sleep_for(100ms);  // polling a condition
    }
    return false;
  };
  ASSERT_TRUE(wait_for_assigned("b")) << "log " << LogPath("b");
  ASSERT_TRUE(wait_for_assigned("c")) << "log " << LogPath("c");
  int64_t now_committed = 0;
  ASSERT_OK_AND_ASSIGN(std::vector<TopicPartitionOffset> committed, CommittedOffsets(app, in));
  for (const auto& tpo : committed)
    now_committed += tpo.offset.is_logical() ? 0 : tpo.offset.value();
  // (Capped: with a slow restore, A alone may have committed most of the input by now.)
  WaitForCommittedAtLeast(app, in, std::min(now_committed + total / 6, total), 120s);
  ASSERT_OK(b.Signal(SIGTERM));
  ASSERT_OK(c.Signal(SIGTERM));
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit b_exit, b.Wait(60s));
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit c_exit, c.Wait(60s));
  EXPECT_EQ(b_exit.code, 0) << "log " << LogPath("b");
  EXPECT_EQ(c_exit.code, 0) << "log " << LogPath("c");
  // The committed offsets count duplicates too: every input record, once A drained them.
  WaitForCommittedAtLeast(app, in, total, 120s);
  std::move(stop_sampler).Invoke();
  ASSERT_OK(a.Signal(SIGTERM));
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit a_exit, a.Wait(60s));
  EXPECT_EQ(a_exit.code, 0) << "log " << LogPath("a");
  ASSERT_OK_AND_ASSIGN(const std::string a_log, base::ReadFile(LogPath("a")));
  ASSERT_OK_AND_ASSIGN(const std::string b_log, base::ReadFile(LogPath("b")));
  EXPECT_THAT(b_log, ::testing::Not(HasSubstr("stopped (in=0 "))) << "B took part";
  if (assignor != "range") {
    // An incremental assignment names what the member holds in all.
    EXPECT_THAT(a_log, HasSubstr(" in all)"));
  }

  std::map<int, std::set<std::string>> seen;
  const auto expected = FirstOccurrences(input, seen, "|t");
  ASSERT_OK_AND_ASSIGN(auto output, ReadAll(out, Isolation::kReadCommitted));
  const auto got = ByPartition(output);
  for (int p = 0; p < kPartitions; ++p) {
    ASSERT_EQ(got.count(p), 1u) << "partition " << p;
    EXPECT_THAT(got.at(p), ElementsAreArray(expected.at(p))) << "partition " << p;
  }

  // The figures (not asserted: timing on a shared 2-core machine).
  std::vector<int64_t> stalls;
  for (const auto& [p, series] : samples) {
    int64_t n = 0;
    for (const InputRecord& r : input) n += r.partition == p ? 1 : 0;
    int64_t longest = 0;
    for (size_t i = 0; i + 1 < series.size();) {
      size_t j = i + 1;
      while (j < series.size() && series[j].second == series[i].second) ++j;
      if (series[i].second < n && series[i].second > 0 && j < series.size()) {
        longest = std::max<int64_t>(longest, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 series[j].first - series[i].first)
                                                 .count());
      }
      i = j;
    }
    stalls.push_back(longest);
  }
  // ONCEFLOW_SCALE_DUMP=PREFIX writes the samples (partition, ms, committed offset) to plot.
  if (const char* dump = std::getenv("ONCEFLOW_SCALE_DUMP")) {
    std::ofstream f(absl::StrCat(dump, "-", assignor));
    for (const auto& [p, series] : samples) {
      for (const auto& [t, o] : series) {
        f << p << " "
          << std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count()
          << " " << o << "\n";
      }
    }
  }
  std::sort(stalls.begin(), stalls.end());
  std::string line =
      absl::StrCat("[scale] assignor=", assignor, " longest stall per partition (ms, sorted):");
  for (int64_t s : stalls) absl::StrAppend(&line, " ", s);
  std::cout << line << std::endl;
  RecordProperty("stalls_ms", line);
}

INSTANTIATE_TEST_SUITE_P(Assignors, ScaleTest,
                         ::testing::Values("range", "cooperative-sticky", "consumer"),
                         [](const ::testing::TestParamInfo<const char*>& param) {
                           const std::string p = param.param;
                           return p == "range"                ? "Eager"
                                  : p == "cooperative-sticky" ? "Cooperative"
                                                              : "ConsumerProtocol";
                         });

// 5. A deleted state folder, and then a corrupted checkpoint, are rebuilt from the changelog:
// the duplicates that arrive afterwards are still dropped.
TEST_F(StateTest, WipedOrCorruptedStateIsRebuiltFromTheChangelog) {
  const std::string in = CreateTopic("rebuild-in", 2);
  const std::string out = CreateTopic("rebuild-out", 2);
  const std::string app = App("rebuild");
  const std::string dir = TempDir("state");
  ProcessorOptions o = DedupeOptions(app, in, out, dir);
  std::map<int, std::set<std::string>> seen;
  std::map<int, std::vector<std::string>> expected;
  auto run_phase = [&](absl::string_view phase, int n) -> ProcessorStats {
    const std::vector<InputRecord> input = MakeInput(2, n, phase);
    Produce(in, input);
    for (auto& [p, v] : FirstOccurrences(input, seen)) {
      expected[p].insert(expected[p].end(), v.begin(), v.end());
    }
    auto processor = Processor::Create(o, Passthrough());
    EXPECT_THAT(processor, IsOk());
    EXPECT_THAT((*processor)->Run(), IsOk());
    return (*processor)->stats();
  };

  const ProcessorStats first = run_phase("one", 100);
  EXPECT_EQ(first.restored_records, 0);
  const ProcessorStats normal = run_phase("two", 100);  // clean restart: nothing to replay
  EXPECT_EQ(normal.restored_records, 0);
  EXPECT_GT(normal.deduplicated, 0);

  std::filesystem::remove_all(dir);  // the whole state folder is gone
  const ProcessorStats wiped = run_phase("three", 110);
  EXPECT_GT(wiped.restored_records, 0) << "the store should be rebuilt from the changelog";

  // Garbage in every store's checkpoint (a key of its database).
  std::vector<std::filesystem::path> databases;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_directory() && entry.path().filename() == "db") databases.push_back(entry.path());
  }
  for (const std::filesystem::path& db : databases) {
    testing::TamperWithStoredCheckpoint(db.string(), "\x01not a checkpoint");
  }
  EXPECT_EQ(databases.size(), 2u);
  const ProcessorStats corrupt = run_phase("four", 120);
  EXPECT_GT(corrupt.restored_records, 0);

  ASSERT_OK_AND_ASSIGN(auto output, ReadAll(out, Isolation::kReadCommitted));
  const auto got = ByPartition(output);
  for (int p = 0; p < 2; ++p) {
    EXPECT_THAT(got.at(p), ElementsAreArray(expected.at(p))) << "partition " << p;
  }
}

// A stateful transform (the key_counter example) across SIGKILLs at every fault point: for each
// key the read_committed output is exactly "<key>=1", "<key>=2", ... "<key>=n" — a count lost
// (state behind the output) would repeat a number, a count applied twice (state ahead) would
// skip one. With --flaky, a stage after the counter fails every record's first attempt
// transiently: the retry must not count the record again (before, every count was doubled).
class RunningCountsTest : public StateTest, public ::testing::WithParamInterface<bool> {};

TEST_P(RunningCountsTest, SurviveKillsExactly) {
  constexpr int kPartitions = 2;
  constexpr int kKeys = 6;
  constexpr int kPerKey = 150;
  const std::string in = CreateTopic("count-in", kPartitions);
  const std::string out = CreateTopic("count-out", kPartitions);
  const std::string app = App("count");
  ASSERT_NO_FATAL_FAILURE(ProduceKeys(in, kKeys, kPerKey, kPartitions));
  const std::string dir = TempDir("state");
  std::vector<std::string> flags = {"--state-dir", dir, "--count", "--max-records-per-txn", "25"};
  if (GetParam()) flags.push_back("--flaky");
  ASSERT_NO_FATAL_FAILURE(KillAtEachFaultThenDrain(
      ChildArgs(app, "i1", in, out, "eos", flags),
      {"after_commit:2", "after_produce:2", "after_send_offsets:3", "after_commit:4"}));

  ASSERT_OK_AND_ASSIGN(auto output, ReadAll(out, Isolation::kReadCommitted));
  ExpectExactCounts(output, kKeys, kPerKey);
}

// A state write's Kafka error takes the path of an output's: when a twin with the same instance
// id fences a stateful instance, the instance's next changelog write fails fenced and the
// process exits 3 (fenced) — before, the store's error came out of the transform as the user's
// code failing, and the process exited 1 under the default error policy.
TEST_F(StateTest, FencedStateWriteExits3AndCountsStayExact) {
  constexpr int kKeys = 4;
  constexpr int kPerKey = 300;
  const std::string in = CreateTopic("fence-count-in", 2);
  const std::string out = CreateTopic("fence-count-out", 2);
  const std::string app = App("fence-count");
  ASSERT_NO_FATAL_FAILURE(ProduceKeys(in, kKeys, kPerKey, 2));
  // A is slow (2 ms per record), so it is mid-stream when its twin arrives.
  ASSERT_OK_AND_ASSIGN(
      base::ChildProcess a,
      base::ChildProcess::Start(
          ChildArgs(app, "twin", in, out, "eos",
                    {"--count", "--state-dir", TempDir("a"), "--delay-us", "2000"}),
          base::SpawnOptions::ToLog(LogPath("a"))));
  WaitForCommittedAtLeast(app, in, 100, 60s);
  ASSERT_OK_AND_ASSIGN(
      base::ChildProcess b,
      base::ChildProcess::Start(
          ChildArgs(app, "twin", in, out, "eos",
                    {"--count", "--state-dir", TempDir("b"), "--stop-when-caught-up"}),
          base::SpawnOptions::ToLog(LogPath("b"))));
  ASSERT_OK_AND_ASSIGN(base::ChildProcess::Exit a_exit, a.Wait(60s));
  EXPECT_EQ(a_exit.ToString(), "code 3") << "3 = fenced; log " << LogPath("a");
  ASSERT_OK_AND_ASSIGN(base::ChildProcess::Exit b_exit, b.Wait(120s));
  EXPECT_EQ(b_exit.ToString(), "code 0") << "log " << LogPath("b");

  ASSERT_OK_AND_ASSIGN(auto output, ReadAll(out, Isolation::kReadCommitted));
  ExpectExactCounts(output, kKeys, kPerKey);
}

// Whether process `pid` is stopped (SIGSTOP): state 'T' in /proc/<pid>/stat.
bool Stopped(pid_t pid) {
  const absl::StatusOr<std::string> stat = base::ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return false;
  const size_t paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] == 'T';
}

// A previous owner cut off from the group while it commits (stopped after
// send_offsets_to_transaction, past its session) commits when it wakes, after its partition
// went to another instance. The new owner's input then starts after that transaction (a
// read_committed consumer waits for stable offsets), so its restore must wait for the
// transaction too and take its state updates. Before, the restore ended at the changelog's
// last stable offset, below the open transaction, and the new owner counted on from before it:
// a lost state update (found by the three-broker audit: "lost counts").
TEST_F(StateTest, APreviousOwnersLateCommitIsInTheNewOwnersState) {
  constexpr int kKeys = 2;
  constexpr int kPerKey = 100;
  const std::string in = CreateTopic("late-commit-in", 1);
  const std::string out = CreateTopic("late-commit-out", 1);
  const std::string app = App("late-commit");
  ASSERT_NO_FATAL_FAILURE(ProduceKeys(in, kKeys, kPerKey, 1));
  // B commits two transactions of 25 records, then stops after sending the third's offsets.
  ASSERT_OK_AND_ASSIGN(
      ChildProcess b,
      ChildProcess::Start(ChildArgs(app, "b", in, out, "eos",
                                    {"--count", "--state-dir", TempDir("b"),
                                     "--max-records-per-txn", "25"}),
                          SpawnOptions::ToLog(LogPath("b"),
                                              {{"ONCEFLOW_FAULT", "stop_after_send_offsets:3"}})));
  absl::Cleanup kill_b = [&b] {
    if (b.running()) {
      b.Signal(SIGKILL).IgnoreError();
      (void)b.Wait(30s);
    }
  };
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!Stopped(b.pid())) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "B never stopped; " << LogPath("b");
    ASSERT_TRUE(b.running()) << LogPath("b");
    std::this_thread::sleep_for(20ms);
  }
  // A takes the partition once B's session (6 s) is over, and restores.
  ASSERT_OK_AND_ASSIGN(
      ChildProcess a,
      ChildProcess::Start(
          ChildArgs(app, "a", in, out, "eos", {"--count", "--state-dir", TempDir("a")}),
          SpawnOptions::ToLog(LogPath("a"))));
  absl::Cleanup kill_a = [&a] {
    if (a.running()) {
      a.Signal(SIGKILL).IgnoreError();
      (void)a.Wait(30s);
    }
  };
  // Restored (before the fix, at once), or waiting for B's transaction (now).
  deadline = std::chrono::steady_clock::now() + 90s;
  for (;;) {
    const std::string log = base::ReadFile(LogPath("a")).value_or("");
    if (absl::StrContains(log, "restored ") ||
        absl::StrContains(log, "waiting for the committed offsets")) {
      break;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "A never restored; " << LogPath("a");
    ASSERT_TRUE(a.running()) << LogPath("a");
    std::this_thread::sleep_for(50ms);
  }
  // B wakes and commits its third transaction (records 51-75): long within its 60 s
  // transaction timeout. Then it goes, before it can rejoin and take the partition back.
  ASSERT_THAT(b.Signal(SIGCONT), IsOk());
  deadline = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(auto output, ReadAll(out, Isolation::kReadCommitted));
    if (output.size() >= 75) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "B's transaction never committed: " << output.size() << " outputs; " << LogPath("b");
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_THAT(b.Signal(SIGKILL), IsOk());
  (void)b.Wait(30s);

  // Everything processed (by A; by B again if it got the partition back before it died).
  deadline = std::chrono::steady_clock::now() + 120s;
  std::vector<ReadRecord> output;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(output, ReadAll(out, Isolation::kReadCommitted));
    if (output.size() >= static_cast<size_t>(kKeys * kPerKey)) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << output.size() << " outputs; " << LogPath("a");
    std::this_thread::sleep_for(200ms);
  }
  ExpectExactCounts(output, kKeys, kPerKey,
                    absl::StrCat("; logs ", LogPath("a"), " ", LogPath("b")));
}

// At-least-once has no transactions to fence another writer of a store's changelog partition (a
// paused instance that resumes, or the partition's new owner while this one is paused), so a
// store's checkpoint may only cover changelog records the store applied itself. Before, it was
// moved to just past this instance's own last delivered record, over the other writer's
// records: when the partition came back, the restore skipped them, and upstream duplicates of
// their keys passed dedupe.
class CheckpointTest : public StateTest {
 protected:
  void SetUp() override {
    StateTest::SetUp();
    in_ = CreateTopic("ckpt-in", 1);
    options_.bootstrap_servers = testing::Bootstrap();
    options_.application_id = App("ckpt");
    options_.input_topics = {in_};
    options_.mode = Mode::kAtLeastOnce;
    options_.state.dir = TempDir("state");
    options_.state.stores = {"counts"};
    manager_ = std::make_unique<runtime::StateManager>(
        options_, [this](const std::string&, int32_t, absl::string_view,
                         std::optional<absl::string_view>) { return changelog_error_; });
    ASSERT_THAT(manager_->Start(), IsOk());
    ASSERT_THAT(manager_->Assign({TopicPartition{in_, Partition(0)}}).status(), IsOk());
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (manager_->restoring() && std::chrono::steady_clock::now() < deadline) {
      ASSERT_THAT(manager_->RestoreStep(100ms).status(), IsOk());
    }
    ASSERT_FALSE(manager_->restoring());
    ASSERT_OK_AND_ASSIGN(store_, manager_->Store("counts"));
    manager_->SetCurrentPartition(0);
  }
  void TearDown() override {
    manager_.reset();
    StateTest::TearDown();
  }
  // One record's writes, in an attempt that succeeds.
  void Write(const std::vector<std::string>& keys) {
    manager_->Begin();
    for (const std::string& k : keys) ASSERT_THAT(store_->Put(k, "1"), IsOk());
    ASSERT_THAT(manager_->Commit(), IsOk());
  }
  void Delivered(int64_t offset) {
    manager_->OnChangelogDelivered(
        {TopicPartition{runtime::StateManager::ChangelogTopic(options_.application_id, "counts"),
                        Partition(0)},
         Offset(offset)});
  }
  int64_t Checkpoint() {
    absl::StatusOr<v1::Checkpoint> cp = state::PartitionStore::StoredCheckpoint(
        absl::StrCat(options_.state.dir, "/", options_.application_id, "/counts/0"));
    return cp.ok() ? cp->next_offset() : -1;
  }

  std::string in_;
  ProcessorOptions options_;
  absl::Status changelog_error_;  // what producing a changelog record returns
  std::unique_ptr<runtime::StateManager> manager_;
  state::KeyValueStore* store_ = nullptr;
};

TEST_F(CheckpointTest, AtLeastOnceCheckpointStopsBeforeAnotherWritersRecords) {
  Write({"a", "b"});
  Delivered(0);
  Delivered(1);
  ASSERT_THAT(manager_->CommitPending(), IsOk());
  EXPECT_EQ(Checkpoint(), 2);
  // Offsets 2 and 3 were written by another instance; ours land at 4 and 5.
  Write({"c", "d"});
  Delivered(4);
  Delivered(5);
  ASSERT_THAT(manager_->CommitPending(), IsOk());
  EXPECT_EQ(Checkpoint(), 2) << "the checkpoint passed records this store never applied";
  // And it stays there (a restore from it replays 2 and 3) until the store is restored.
  Write({"e"});
  Delivered(6);
  ASSERT_THAT(manager_->CommitPending(), IsOk());
  EXPECT_EQ(Checkpoint(), 2);
}

TEST_F(CheckpointTest, AtLeastOnceCheckpointStopsBeforeRecordsOfARolledBackUnit) {
  Write({"a"});
  Delivered(0);
  ASSERT_THAT(manager_->CommitPending(), IsOk());
  EXPECT_EQ(Checkpoint(), 1);
  // A unit whose changelog record went out, then was rolled back (its deliveries failed): the
  // store never applied offset 1.
  Write({"b"});
  manager_->DiscardPending();
  Delivered(1);
  Write({"b"});  // the replay
  Delivered(2);
  ASSERT_THAT(manager_->CommitPending(), IsOk());
  EXPECT_EQ(Checkpoint(), 1);
}

// Where a transform's outputs go in ChangelogErrorIsKafkasNotTheTransforms.
class CollectingSink : public runtime::Sink {
 public:
  absl::Status Send(const std::string&, const OutputRecord& record) override {
    values.emplace_back(record.value().view());
    return absl::OkStatus();
  }
  std::vector<std::string> values;
};

// A changelog record that cannot be produced (here the producer's _STATE; fencing and a full
// queue take the same way) is a Kafka problem, like an output's: the record is not skipped,
// dead-lettered or failed by the error policy, and its count is not kept. Before, the error came
// up through the store as the transform failing, and under skip the record was dropped and its
// offset committed.
TEST_F(CheckpointTest, ChangelogErrorIsKafkasNotTheTransforms) {
  examples::KeyCounter counter;
  ASSERT_THAT(counter.Init(*manager_), IsOk());
  runtime::RecordProcessorConfig config;
  config.default_topic = "out";
  config.errors.policy = ErrorPolicy::kSkip;
  config.errors.retry.max_attempts = 1;
  CollectingSink sink;
  runtime::RecordProcessor processor(counter, config, sink, base::SystemClock(), manager_.get());
  Record record;
  record.set_topic(in_).set_partition(Partition(0)).set_offset(Offset(0)).set_key("a").set_value(
      "x");

  changelog_error_ = absl::FailedPreconditionError("Local: Erroneous state");
  absl::StatusOr<runtime::RecordOutcome> outcome = processor.Process(record);
  ASSERT_FALSE(outcome.ok()) << "the error policy took a Kafka error for the transform's "
                             << "(disposition " << static_cast<int>(outcome->disposition) << ")";
  EXPECT_THAT(outcome.status().message(), HasSubstr("Erroneous state"));

  // The loop aborts and replays the record: it is counted once.
  manager_->DiscardPending();
  changelog_error_ = absl::OkStatus();
  sink.values.clear();
  ASSERT_OK_AND_ASSIGN(runtime::RecordOutcome replay, processor.Process(record));
  EXPECT_EQ(replay.disposition, runtime::RecordOutcome::Disposition::kProcessed);
  EXPECT_THAT(sink.values, ElementsAreArray({"a=1"}));
}

// A checkpoint beyond the changelog's end (the changelog was deleted and recreated) describes a
// history that no longer exists: the store is rebuilt from the changelog, as Kafka Streams does,
// so local state equals what the changelog says. Before, the local files were kept and the
// counts went on from the vanished history.
TEST_F(StateTest, CheckpointBeyondTheChangelogsEndRebuildsTheStore) {
  const std::string in = CreateTopic("beyond-in", 1);
  const std::string out = CreateTopic("beyond-out", 1);
  const std::string app = App("beyond");
  const std::string dir = TempDir("state");
  auto produce = [&](int n) {
    ASSERT_OK_AND_ASSIGN(auto producer, kafka::Producer::Create(ClientProps()));
    for (int i = 0; i < n; ++i) {
      ASSERT_THAT(producer->Produce({in, Partition(0), "k", "x"}), IsOk());
    }
    ASSERT_THAT(producer->Flush(60s), IsOk());
  };
  auto run = [&] {
    ProcessorOptions o;
    o.bootstrap_servers = testing::Bootstrap();
    o.application_id = app;
    o.instance_id = "i1";
    o.input_topics = {in};
    o.output_topic = out;
    o.stop_when_caught_up = true;
    o.state.dir = dir;
    o.state.stores = {examples::kCountsStore};
    ASSERT_OK_AND_ASSIGN(auto processor,
                         Processor::Create(o, std::make_unique<examples::KeyCounter>()));
    ASSERT_THAT(processor->Run(), IsOk());
  };
  ASSERT_NO_FATAL_FAILURE(produce(10));
  ASSERT_NO_FATAL_FAILURE(run());
  // The changelog is deleted and recreated empty.
  const std::string changelog =
      runtime::StateManager::ChangelogTopic(app, examples::kCountsStore);
  ASSERT_THAT(admin().DeleteTopics({changelog}, 30s), IsOk());
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  absl::Status created;
  do {  // deletion completes asynchronously: retry the creation until it is gone
    created = admin().CreateTopic({changelog, 1, -1, {{"cleanup.policy", "compact"}}}, 30s);
  } while (created.code() == absl::StatusCode::kAlreadyExists &&
           std::chrono::steady_clock::now() < deadline);
  ASSERT_THAT(created, IsOk());
  ASSERT_NO_FATAL_FAILURE(produce(3));
  ASSERT_NO_FATAL_FAILURE(run());

  ASSERT_OK_AND_ASSIGN(auto output, ReadAll(out, Isolation::kReadCommitted));
  std::vector<std::string> values;
  for (const ReadRecord& r : output) values.push_back(r.value);
  ASSERT_EQ(values.size(), 13u);
  EXPECT_EQ(values[9], "k=10");
  EXPECT_THAT(std::vector<std::string>(values.begin() + 10, values.end()),
              ElementsAreArray({"k=1", "k=2", "k=3"}))
      << "the counts must follow the changelog that exists, not the local files";
  admin().DeleteTopics({changelog}, 30s).IgnoreError();
}

// A restore rides out transient consumer errors (a broker restart: _TRANSPORT,
// _ALL_BROKERS_DOWN) until its deadline, instead of stopping the process; here the restore
// consumer reports _TRANSPORT for 5 s (fault injection) while an empty state folder is rebuilt
// from the changelog, and the counts go on exactly.
TEST_F(StateTest, RestoreRidesOutTransientErrors) {
  const std::string in = CreateTopic("ride-in", 2);
  const std::string out = CreateTopic("ride-out", 2);
  const std::string app = App("ride");
  auto produce = [&](int n) {
    ASSERT_OK_AND_ASSIGN(auto producer, kafka::Producer::Create(ClientProps()));
    for (int i = 0; i < n; ++i) {
      ASSERT_THAT(producer->Produce({in, Partition(i % 2), absl::StrCat("k", i % 2), "x"}),
                  IsOk());
    }
    ASSERT_THAT(producer->Flush(60s), IsOk());
  };
  auto run = [&](const std::string& dir, bool restores) {
    ProcessorOptions o;
    o.bootstrap_servers = testing::Bootstrap();
    o.application_id = app;
    o.instance_id = "i1";
    o.input_topics = {in};
    o.output_topic = out;
    o.stop_when_caught_up = true;
    o.state.dir = dir;
    o.state.stores = {examples::kCountsStore};
    ASSERT_OK_AND_ASSIGN(auto processor,
                         Processor::Create(o, std::make_unique<examples::KeyCounter>()));
    ASSERT_THAT(processor->Run(), IsOk());
    if (restores) {
      EXPECT_GE(processor->stats().restored_records, 2);  // at least one count per key
    }
  };
  ASSERT_NO_FATAL_FAILURE(produce(40));
  ASSERT_NO_FATAL_FAILURE(run(TempDir("first"), false));
  ASSERT_THAT(runtime::ConfigureFaults("restore_transport_error:1"), IsOk());
  ASSERT_NO_FATAL_FAILURE(produce(4));
  ASSERT_NO_FATAL_FAILURE(run(TempDir("second"), true));  // an empty folder: a full restore
  ASSERT_THAT(runtime::ConfigureFaults(""), IsOk());
  ASSERT_OK_AND_ASSIGN(auto output, ReadAll(out, Isolation::kReadCommitted));
  std::map<std::string, std::vector<std::string>> by_key;
  for (const ReadRecord& r : output) by_key[r.key].push_back(r.value);
  for (const std::string key : {"k0", "k1"}) {
    std::vector<std::string> expected;
    for (int i = 1; i <= 22; ++i) expected.push_back(absl::StrCat(key, "=", i));
    EXPECT_THAT(by_key[key], ElementsAreArray(expected)) << key;
  }
}

INSTANTIATE_TEST_SUITE_P(Counts, RunningCountsTest, ::testing::Bool(),
                         [](const auto& flaky) {
                           return std::string(flaky.param ? "WithATransientlyFailingStage"
                                                          : "Plain");
                         });

}  // namespace
}  // namespace onceflow
