#include "base/clock.h"
#include "state/dedupe.h"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onceflow/v1/state.pb.h"
#include "state/dedupe_entry.h"
#include "state/partition_store.h"
#include "state/sha256.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::state {
namespace {

using ::onceflow::testing::IsOk;
using ::onceflow::testing::IsOkAndHolds;
using ::onceflow::testing::StatusIs;
using ::testing::HasSubstr;
using ChangelogRecord = std::pair<std::string, std::optional<std::string>>;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

// ---------------------------------------------------------------------------------------------
// SHA-256

TEST(Sha256Test, StandardVectors) {
  struct Case {
    std::string input;
    const char* hex;
  };
  const Case cases[] = {
      // FIPS 180-4 / NIST CSRC examples (SHA256.pdf, SHA2_Additional.pdf).
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrl"
       "mnopqrsmnopqrstnopqrstu",
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
      {std::string(1000000, 'a'),
       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
      {"The quick brown fox jumps over the lazy dog",
       "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"},
      // Lengths around the padding boundaries (55/56 bytes fit or spill one block).
      {std::string(55, 'a'), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
      {std::string(56, 'a'), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
      {std::string(63, 'a'), "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
      {std::string(64, 'a'), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
      {std::string(65, 'a'), "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
      {std::string(119, 'a'), "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
      {std::string(120, 'a'), "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input.substr(0, 20));
    const std::string digest = Sha256(c.input);
    EXPECT_EQ(digest.size(), 32u);
    EXPECT_EQ(ToHex(digest), c.hex);
    // Fed in uneven pieces, the digest is the same.
    for (const size_t piece : {size_t{1}, size_t{7}, size_t{63}, size_t{64}, size_t{65}}) {
      Sha256Hasher hasher;
      for (size_t i = 0; i < c.input.size(); i += piece) {
        hasher.Update(absl::string_view(c.input).substr(i, piece));
      }
      const Sha256Hasher::Digest d = hasher.Finish();
      EXPECT_EQ(ToHex(absl::string_view(reinterpret_cast<const char*>(d.data()), d.size())), c.hex)
          << "piece " << piece;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Deduper

class FakeClock : public base::Clock {
 public:
  int64_t NowMs() override { return now_ms; }
  SteadyTime SteadyNow() override { return SteadyTime(std::chrono::milliseconds(now_ms)); }
  void SleepFor(std::chrono::milliseconds d) override { now_ms += d.count(); }
  int64_t now_ms = 1'700'000'000'000;
};

// An in-memory KeyValueStore that keeps a changelog of every write.
class MapStore : public KeyValueStore {
 public:
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) override {
    const auto it = data.find(std::string(key));
    if (it == data.end()) return std::nullopt;
    return it->second;
  }
  absl::Status Put(absl::string_view key, absl::string_view value) override {
    data[std::string(key)] = std::string(value);
    changelog.emplace_back(std::string(key), std::string(value));
    return absl::OkStatus();
  }
  absl::Status Delete(absl::string_view key) override {
    data.erase(std::string(key));
    changelog.emplace_back(std::string(key), std::nullopt);
    return absl::OkStatus();
  }
  absl::Status Scan(absl::string_view begin, absl::string_view end, const ScanFn& fn) override {
    for (auto it = data.lower_bound(std::string(begin));
         it != data.end() && (end.empty() || it->first < end); ++it) {
      if (!fn(it->first, it->second)) break;
    }
    return absl::OkStatus();
  }

  std::map<std::string, std::string> data;
  std::vector<ChangelogRecord> changelog;
};

// `key` must outlive the view (literals, or temporaries of the same full expression).
// offset -1 = unknown: never taken for "the same record again".
RecordView Keyed(absl::string_view key, int64_t offset = -1) {
  RecordView view;
  view.key = key;
  view.offset = offset;
  return view;
}

std::string BigEndian(int64_t ms) {
  std::string out;
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>(static_cast<uint64_t>(ms) >> shift));
  }
  return out;
}

using Verdict = Deduper::Verdict;

// A duration in milliseconds, as the clock counts.
template <typename Duration>
int64_t Ms(Duration d) {
  return std::chrono::duration_cast<milliseconds>(d).count();
}

TEST(DeduperTest, TheSameRecordCheckedAgainIsNotItsOwnDuplicate) {
  // A transform retry (or an at-least-once replay) checks the same input record again: the
  // entry it wrote itself must not make it a duplicate; another record with its key is one.
  FakeClock clock;
  ASSERT_OK_AND_ASSIGN(auto dedupe, Deduper::Create(DedupeOptions{}, clock));
  MapStore store;
  RecordView first = Keyed("a", 10);
  first.topic = "in";
  EXPECT_THAT(dedupe->Check(first, store), IsOkAndHolds(Verdict::kPass));
  EXPECT_THAT(dedupe->Check(first, store), IsOkAndHolds(Verdict::kPass));
  RecordView other_topic = first;
  other_topic.topic = "other";
  EXPECT_THAT(dedupe->Check(other_topic, store), IsOkAndHolds(Verdict::kDuplicate));
  RecordView later = Keyed("a", 11);
  later.topic = "in";
  EXPECT_THAT(dedupe->Check(later, store), IsOkAndHolds(Verdict::kDuplicate));
  EXPECT_EQ(dedupe->counters().passed, 1);
  EXPECT_EQ(dedupe->counters().rechecked, 1);
  EXPECT_EQ(dedupe->counters().duplicates, 2);
}

TEST(DeduperTest, DropsDuplicatesPassesDistinctCountsKeyless) {
  FakeClock clock;
  DedupeOptions options;
  options.window = milliseconds(0);  // forever
  ASSERT_OK_AND_ASSIGN(auto dedupe, Deduper::Create(options, clock));
  MapStore store;

  EXPECT_THAT(dedupe->Check(Keyed("a", 10), store), IsOkAndHolds(Verdict::kPass));
  EXPECT_THAT(dedupe->Check(Keyed("b", 11), store), IsOkAndHolds(Verdict::kPass));
  EXPECT_THAT(dedupe->Check(Keyed("a", 12), store), IsOkAndHolds(Verdict::kDuplicate));
  clock.now_ms += Ms(hours(24 * 365));
  EXPECT_THAT(dedupe->Check(Keyed("a", 13), store), IsOkAndHolds(Verdict::kDuplicate));
  EXPECT_THAT(dedupe->Check(RecordView{}, store), IsOkAndHolds(Verdict::kKeyless));
  // A forever window expires nothing, not even at compaction.
  v1::DedupeEntry old;
  old.set_first_seen_ms(0);
  EXPECT_FALSE(dedupe->compaction_policy()->Drop("ka", old.SerializeAsString()));

  const DedupeCounters& counters = dedupe->counters();
  EXPECT_EQ(counters.seen, 5);
  EXPECT_EQ(counters.passed, 2);
  EXPECT_EQ(counters.duplicates, 2);
  EXPECT_EQ(counters.keyless, 1);
  EXPECT_EQ(counters.expired, 0);

  // One entry per key: "k" + key -> DedupeEntry, one changelog record each.
  ASSERT_EQ(store.data.size(), 2u);
  EXPECT_EQ(store.changelog.size(), 2u);
  std::string scratch;
  ASSERT_OK_AND_ASSIGN(DedupeEntry entry, DecodeDedupeEntry(store.data.at("ka"), scratch));
  EXPECT_EQ(entry.first_seen_ms, 1'700'000'000'000);
  EXPECT_EQ(entry.input_offset, 10);
}

// An entry as this version writes it.
std::string EntryBytes(int64_t first_seen_ms) {
  std::string out;
  EncodeDedupeEntry({.first_seen_ms = first_seen_ms, .input_offset = 7, .input_topic = "in"}, out);
  return out;
}

// An entry as versions before 2026-11-26 wrote it: a v1::DedupeEntry message.
std::string OldEntryBytes(int64_t first_seen_ms, int64_t input_offset = 7,
                          const std::string& topic = "in") {
  v1::DedupeEntry entry;
  entry.set_first_seen_ms(first_seen_ms);
  entry.set_input_offset(input_offset);
  entry.set_input_topic(topic);
  return entry.SerializeAsString();
}

auto IsCorrupt() {
  return StatusIs(absl::StatusCode::kDataLoss, HasSubstr("dedupe entry"));
}

TEST(DedupeEntryTest, RoundTripsAndReadsTheOldLayout) {
  std::string bytes, scratch;
  const struct {
    int64_t first_seen_ms;
    int64_t input_offset;
    std::string topic;
  } cases[] = {{1'700'000'000'000, 42, "orders"},
               {0, -1, ""},  // offset unknown (TestDriver), no topic
               {-5, INT64_MAX, std::string("a\0b.c", 5)},  // (protobuf: valid UTF-8 only)
               {INT64_MIN, 0, std::string(300, 't')}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.topic.size());
    EncodeDedupeEntry(
        {.first_seen_ms = c.first_seen_ms, .input_offset = c.input_offset, .input_topic = c.topic},
        bytes);
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(bytes[0], '\0');  // the marker no protobuf message starts with
    ASSERT_OK_AND_ASSIGN(DedupeEntry e, DecodeDedupeEntry(bytes, scratch));
    EXPECT_EQ(e.first_seen_ms, c.first_seen_ms);
    EXPECT_EQ(e.input_offset, c.input_offset);
    EXPECT_EQ(e.input_topic, c.topic);

    const std::string old = OldEntryBytes(c.first_seen_ms, c.input_offset, c.topic);
    ASSERT_OK_AND_ASSIGN(DedupeEntry o, DecodeDedupeEntry(old, scratch));
    EXPECT_EQ(o.first_seen_ms, c.first_seen_ms);
    EXPECT_EQ(o.input_offset, c.input_offset);
    EXPECT_EQ(o.input_topic, c.topic);
  }
  // An old entry with every field at its default serializes to nothing.
  ASSERT_OK_AND_ASSIGN(DedupeEntry empty, DecodeDedupeEntry("", scratch));
  EXPECT_EQ(empty.first_seen_ms, 0);
  EXPECT_EQ(empty.input_offset, 0);
  EXPECT_EQ(empty.input_topic, "");
  // Neither layout: a truncated new one, an unknown format, bytes that are no message.
  EncodeDedupeEntry({.first_seen_ms = 1, .input_offset = 2, .input_topic = ""}, bytes);
  EXPECT_THAT(DecodeDedupeEntry(absl::string_view(bytes).substr(0, bytes.size() - 1), scratch),
              IsCorrupt());
  bytes[1] = '\x02';
  EXPECT_THAT(DecodeDedupeEntry(bytes, scratch), IsCorrupt());
  EXPECT_THAT(DecodeDedupeEntry(std::string(1, '\0'), scratch), IsCorrupt());
  EXPECT_THAT(DecodeDedupeEntry(std::string("\0\x01", 2) + std::string(11, '\x80') + "\x01",
                                scratch),
              IsCorrupt());
  // Small: 11 bytes and the topic for a key seen now at a 3-byte offset, 2 fewer than the
  // message.
  EncodeDedupeEntry(
      {.first_seen_ms = 1'700'000'000'000, .input_offset = 100'000, .input_topic = "in"}, bytes);
  EXPECT_EQ(bytes.size(), 11u + 2u);
  EXPECT_EQ(OldEntryBytes(1'700'000'000'000, 100'000, "in").size(), 13u + 2u);
  EXPECT_THAT(DecodeDedupeEntry("\xff\xff\xff", scratch), IsCorrupt());
}

// A store (or changelog) written by an earlier version holds v1::DedupeEntry messages: they
// count as before — inside the window a duplicate, the record's own entry no duplicate of
// itself, outside the window absent (the new sighting rewritten in the current layout).
TEST(DeduperTest, EntriesOfTheOldLayoutStillCount) {
  FakeClock clock;
  const int64_t t0 = clock.now_ms;
  DedupeOptions options;
  options.window = hours(1);
  ASSERT_OK_AND_ASSIGN(auto dedupe, Deduper::Create(options, clock));
  MapStore store;
  store.data["ka"] = OldEntryBytes(t0, 10, "in");
  store.data["kb"] = OldEntryBytes(t0 - Ms(hours(2)), 11, "in");

  RecordView again = Keyed("a", 10);
  again.topic = "in";
  EXPECT_THAT(dedupe->Check(again, store), IsOkAndHolds(Verdict::kPass));  // itself, rechecked
  RecordView a = Keyed("a", 12);
  a.topic = "in";
  EXPECT_THAT(dedupe->Check(a, store), IsOkAndHolds(Verdict::kDuplicate));
  RecordView b = Keyed("b", 13);
  b.topic = "in";
  EXPECT_THAT(dedupe->Check(b, store), IsOkAndHolds(Verdict::kPass));  // outside the window
  EXPECT_EQ(store.data.at("ka"), OldEntryBytes(t0, 10, "in"));  // untouched
  ASSERT_EQ(store.changelog.size(), 1u);
  EXPECT_EQ(store.changelog[0].first, "kb");
  EXPECT_EQ(store.changelog[0].second.value_or("").substr(0, 1), std::string(1, '\0'));
  std::string scratch;
  ASSERT_OK_AND_ASSIGN(DedupeEntry rewritten, DecodeDedupeEntry(store.data.at("kb"), scratch));
  EXPECT_EQ(rewritten.first_seen_ms, t0);
  EXPECT_EQ(rewritten.input_offset, 13);
  EXPECT_EQ(rewritten.input_topic, "in");
  EXPECT_THAT(dedupe->Check(b, store), IsOkAndHolds(Verdict::kPass));  // itself again
  b.offset = 14;
  EXPECT_THAT(dedupe->Check(b, store), IsOkAndHolds(Verdict::kDuplicate));
  EXPECT_EQ(dedupe->counters().rechecked, 2);

  // An entry of neither layout is an error, not a verdict.
  store.data["kc"] = "\xff\xff\xff";
  EXPECT_THAT(dedupe->Check(Keyed("c"), store), IsCorrupt());
}

// The compaction policy drops exactly what Check treats as outside the window (as of the
// latest Check), and the time index of the old layout; it keeps everything else.
TEST(DeduperTest, TheCompactionPolicyDropsWhatCheckNoLongerSees) {
  FakeClock clock;
  const int64_t t0 = clock.now_ms;
  DedupeOptions options;
  options.window = hours(1);
  ASSERT_OK_AND_ASSIGN(auto dedupe, Deduper::Create(options, clock));
  std::shared_ptr<CompactionPolicy> policy = dedupe->compaction_policy();
  // Before any Check the window's start is unknown: no entry is dropped.
  EXPECT_FALSE(policy->Drop("ka", EntryBytes(0)));
  EXPECT_TRUE(policy->Drop("t" + BigEndian(t0) + "a", ""));  // old layout's time index

  MapStore store;
  clock.now_ms = t0 + Ms(hours(1));
  ASSERT_THAT(dedupe->Check(Keyed("z"), store), IsOkAndHolds(Verdict::kPass));
  // "now - first_seen < window" is inside: t0 + 1 ms still is, t0 is not.
  EXPECT_TRUE(policy->Drop("ka", EntryBytes(t0)));
  EXPECT_TRUE(policy->Drop("ka", EntryBytes(t0 - Ms(hours(5)))));
  EXPECT_FALSE(policy->Drop("ka", EntryBytes(t0 + 1)));
  EXPECT_FALSE(policy->Drop("ka", EntryBytes(clock.now_ms)));
  // Entries of the layout before, alike.
  EXPECT_TRUE(policy->Drop("ka", OldEntryBytes(t0)));
  EXPECT_FALSE(policy->Drop("ka", OldEntryBytes(t0 + 1)));
  // Not an entry of the deduper, or one that does not parse: kept (Check reports the latter).
  EXPECT_FALSE(policy->Drop("x", EntryBytes(0)));
  EXPECT_FALSE(policy->Drop("", ""));
  EXPECT_FALSE(policy->Drop("ka", "\xff\xff\xff"));
  EXPECT_EQ(dedupe->counters().expired, 3);
}

TEST(DeduperTest, WindowExpiryWithAFakeClock) {
  FakeClock clock;
  const int64_t t0 = clock.now_ms;
  DedupeOptions options;
  options.window = hours(1);
  ASSERT_OK_AND_ASSIGN(auto dedupe, Deduper::Create(options, clock));
  MapStore store;

  EXPECT_THAT(dedupe->Check(Keyed("a"), store), IsOkAndHolds(Verdict::kPass));
  clock.now_ms = t0 + Ms(minutes(30));
  EXPECT_THAT(dedupe->Check(Keyed("b"), store), IsOkAndHolds(Verdict::kPass));

  // Inside the window: a duplicate.
  clock.now_ms = t0 + Ms(hours(1)) - 1;
  EXPECT_THAT(dedupe->Check(Keyed("a"), store), IsOkAndHolds(Verdict::kDuplicate));

  // The window has passed for "a" (not "b"): "a" passes again, its new sighting replacing the
  // old entry with one changelog record (no tombstone, no time index).
  clock.now_ms = t0 + Ms(hours(1));
  store.changelog.clear();
  EXPECT_THAT(dedupe->Check(Keyed("a"), store), IsOkAndHolds(Verdict::kPass));
  EXPECT_THAT(dedupe->Check(Keyed("b"), store), IsOkAndHolds(Verdict::kDuplicate));
  ASSERT_EQ(store.changelog.size(), 1u);
  EXPECT_EQ(store.changelog[0].first, "ka");
  ASSERT_TRUE(store.changelog[0].second.has_value());
  std::string scratch;
  ASSERT_OK_AND_ASSIGN(DedupeEntry entry, DecodeDedupeEntry(*store.changelog[0].second, scratch));
  EXPECT_EQ(entry.first_seen_ms, clock.now_ms);
  EXPECT_EQ(store.data.size(), 2u);
  // The new sighting opens a new window.
  clock.now_ms += Ms(hours(1)) - 1;
  EXPECT_THAT(dedupe->Check(Keyed("a"), store), IsOkAndHolds(Verdict::kDuplicate));
}

// Expired entries leave the local files at compaction, with no write of the deduper's and no
// changelog record; entries inside the window stay and are still duplicates.
TEST(DeduperTest, ExpiredEntriesLeaveTheFilesAtCompaction) {
  char tmpl[] = "/tmp/onceflow-dedupe-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  {
    FakeClock clock;
    DedupeOptions options;
    options.window = minutes(5);
    ASSERT_OK_AND_ASSIGN(auto dedupe, Deduper::Create(options, clock));
    ASSERT_OK_AND_ASSIGN(auto env, StateEnv::Create({}));
    ASSERT_OK_AND_ASSIGN(
        auto store,
        PartitionStore::Open(
            {.path = dir, .env = env.get(), .compaction = dedupe->compaction_policy()}, nullptr));
    for (int i = 0; i < 3000; ++i) {
      clock.now_ms += 1;
      ASSERT_THAT(dedupe->Check(Keyed(absl::StrCat("key-", i)), *store),
                  IsOkAndHolds(Verdict::kPass));
    }
    // A key of the old layout's time index, as a restore from an old changelog brings it.
    ASSERT_THAT(store->Put("t" + BigEndian(clock.now_ms) + "key-1", ""), IsOk());
    ASSERT_THAT(store->CommitPending(3001), IsOk());
    // The first 2000 are now outside the window; a Check moves the window's start.
    clock.now_ms += Ms(minutes(5)) - 1000;
    ASSERT_THAT(dedupe->Check(Keyed("key-2999"), *store), IsOkAndHolds(Verdict::kDuplicate));
    ASSERT_THAT(store->CompactAll(), IsOk());
    int entries = 0;
    int others = 0;
    ASSERT_THAT(store->Scan("", "",
                            [&](absl::string_view key, absl::string_view) {
                              (key[0] == 'k' ? entries : others)++;
                              return true;
                            }),
                IsOk());
    EXPECT_EQ(entries, 1000);
    EXPECT_EQ(others, 0);
    EXPECT_EQ(dedupe->counters().expired, 2000);
    EXPECT_THAT(dedupe->Check(Keyed("key-1999"), *store), IsOkAndHolds(Verdict::kPass));
    EXPECT_THAT(dedupe->Check(Keyed("key-2000"), *store), IsOkAndHolds(Verdict::kDuplicate));
    store->DiscardPending();
    // The checkpoint is not a key of the store: it survives every compaction.
    EXPECT_EQ(store->checkpoint_offset(), 3001);
    ASSERT_THAT(store->Close(), IsOk());
    ASSERT_OK_AND_ASSIGN(const v1::Checkpoint stored, PartitionStore::StoredCheckpoint(dir));
    EXPECT_EQ(stored.next_offset(), 3001);
  }
  std::filesystem::remove_all(dir);
}

TEST(DeduperTest, ExtractionErrorsPropagateAndAreNotCounted) {
  FakeClock clock;
  DedupeOptions options;
  options.source = DedupeKeySource::kJsonHash;
  ASSERT_OK_AND_ASSIGN(auto dedupe, Deduper::Create(options, clock));
  MapStore store;
  RecordView bad;
  bad.value = "{oops";
  EXPECT_THAT(dedupe->Check(bad, store),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("byte offset 1")));
  EXPECT_EQ(dedupe->counters().seen, 0);
  EXPECT_TRUE(store.data.empty());
}

TEST(DeduperTest, RejectsANegativeWindow) {
  FakeClock clock;
  DedupeOptions options;
  options.window = milliseconds(-1);
  EXPECT_THAT(Deduper::Create(options, clock),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("window")));
  EXPECT_GT(base::SystemClock().NowMs(), 1'600'000'000'000);
}

// The deduper over the real store: a passed key survives commit and reopen; an aborted
// transaction forgets it.
TEST(DeduperTest, OverAPartitionStore) {
  char tmpl[] = "/tmp/onceflow-dedupe-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  {
    ASSERT_OK_AND_ASSIGN(auto env, StateEnv::Create({}));
    FakeClock clock;
    DedupeOptions options;
    options.window = hours(24);
    ASSERT_OK_AND_ASSIGN(auto dedupe, Deduper::Create(options, clock));
    {
      ASSERT_OK_AND_ASSIGN(auto store,
                           PartitionStore::Open({.path = dir, .env = env.get()}, nullptr));
      EXPECT_THAT(dedupe->Check(Keyed("a"), *store), IsOkAndHolds(Verdict::kPass));
      EXPECT_THAT(dedupe->Check(Keyed("a"), *store), IsOkAndHolds(Verdict::kDuplicate));  // pending
      ASSERT_THAT(store->CommitPending(1), IsOk());
      EXPECT_THAT(dedupe->Check(Keyed("b"), *store), IsOkAndHolds(Verdict::kPass));
      store->DiscardPending();  // the transaction aborted: "b" was never seen
      EXPECT_THAT(dedupe->Check(Keyed("b"), *store), IsOkAndHolds(Verdict::kPass));
      ASSERT_THAT(store->CommitPending(2), IsOk());
      ASSERT_THAT(store->Close(), IsOk());
    }
    ASSERT_OK_AND_ASSIGN(auto store,
                         PartitionStore::Open({.path = dir, .env = env.get()}, nullptr));
    EXPECT_THAT(dedupe->Check(Keyed("a"), *store), IsOkAndHolds(Verdict::kDuplicate));
    EXPECT_THAT(dedupe->Check(Keyed("b"), *store), IsOkAndHolds(Verdict::kDuplicate));
    clock.now_ms += Ms(hours(24));
    EXPECT_THAT(dedupe->Check(Keyed("a"), *store), IsOkAndHolds(Verdict::kPass));
    ASSERT_THAT(store->CommitPending(3), IsOk());
    ASSERT_THAT(store->Close(), IsOk());
  }
  std::filesystem::remove_all(dir);
}

// A changelog written before the layout changed, restored into an empty store: its entries
// count, and the store's compaction drops the expired ones of either layout.
TEST(DeduperTest, AChangelogOfBothLayoutsRestoresAndCounts) {
  char tmpl[] = "/tmp/onceflow-dedupe-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  {
    FakeClock clock;
    const int64_t t0 = clock.now_ms;
    DedupeOptions options;
    options.window = hours(1);
    ASSERT_OK_AND_ASSIGN(auto dedupe, Deduper::Create(options, clock));
    ASSERT_OK_AND_ASSIGN(auto env, StateEnv::Create({}));
    ASSERT_OK_AND_ASSIGN(
        auto store,
        PartitionStore::Open(
            {.path = dir, .env = env.get(), .compaction = dedupe->compaction_policy()}, nullptr));
    ASSERT_THAT(store->ApplyRestored("kold", OldEntryBytes(t0 - 10, 1, "in")), IsOk());
    ASSERT_THAT(store->ApplyRestored("kold-expired", OldEntryBytes(t0 - Ms(hours(2)), 2, "in")),
                IsOk());
    ASSERT_THAT(store->ApplyRestored("knew-expired", EntryBytes(t0 - Ms(hours(2)))), IsOk());
    ASSERT_THAT(store->FinishRestore(3), IsOk());

    RecordView old = Keyed("old", 5);
    old.topic = "in";
    EXPECT_THAT(dedupe->Check(old, *store), IsOkAndHolds(Verdict::kDuplicate));
    old.offset = 1;  // the record that wrote it, replayed
    EXPECT_THAT(dedupe->Check(old, *store), IsOkAndHolds(Verdict::kPass));
    ASSERT_THAT(store->CommitPending(4), IsOk());
    ASSERT_THAT(store->CompactAll(), IsOk());
    EXPECT_EQ(dedupe->counters().expired, 2);
    EXPECT_THAT(dedupe->Check(Keyed("old"), *store), IsOkAndHolds(Verdict::kDuplicate));
    EXPECT_THAT(dedupe->Check(Keyed("old-expired"), *store), IsOkAndHolds(Verdict::kPass));
    EXPECT_THAT(dedupe->Check(Keyed("new-expired"), *store), IsOkAndHolds(Verdict::kPass));
    ASSERT_THAT(store->CommitPending(5), IsOk());
    ASSERT_THAT(store->Close(), IsOk());
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace onceflow::state
