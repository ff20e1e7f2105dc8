#include "state/partition_store.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "state/checkpoint.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/stored_checkpoint.h"

namespace onceflow::state {
namespace {

namespace fs = std::filesystem;

using ::onceflow::testing::IsOk;
using ::onceflow::testing::StatusIs;
using ::onceflow::testing::TamperWithStoredCheckpoint;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;
using ::testing::Pair;

using Entries = std::vector<std::pair<std::string, std::string>>;
using ChangelogRecord = std::pair<std::string, std::optional<std::string>>;

// OK with a value that matches `matcher` (status_matchers.h has no IsOkAndHolds yet).
MATCHER_P(IsOkAndHolds, matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(matcher, arg.value(), result_listener);
}

class RecordingChangelog : public ChangelogSink {
 public:
  absl::Status Append(absl::string_view key, std::optional<absl::string_view> value) override {
    records.emplace_back(std::string(key), value.has_value()
                                               ? std::optional<std::string>(std::string(*value))
                                               : std::nullopt);
    return absl::OkStatus();
  }
  std::vector<ChangelogRecord> records;
};

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// The MANIFEST file of the database in `db` ("" if none).
std::string FindManifest(const std::string& db) {
  for (const auto& entry : fs::directory_iterator(db)) {
    if (entry.path().filename().string().rfind("MANIFEST-", 0) == 0) return entry.path().string();
  }
  return "";
}

class PartitionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/onceflow-partition-store-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/dedupe/0";
    ASSERT_OK_AND_ASSIGN(env_, StateEnv::Create({}));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  absl::StatusOr<std::unique_ptr<PartitionStore>> OpenStore(
      ChangelogSink* changelog = nullptr, int restore_batch_records = 10000,
      std::function<absl::Status()> write_hook = nullptr) {
    return PartitionStore::Open({.path = path_,
                                 .env = env_.get(),
                                 .restore_batch_records = restore_batch_records,
                                 .write_hook = std::move(write_hook)},
                                changelog);
  }

  static Entries ScanAll(PartitionStore& store, absl::string_view begin = "",
                         absl::string_view end = "") {
    Entries entries;
    const absl::Status st = store.Scan(begin, end, [&](absl::string_view k, absl::string_view v) {
      entries.emplace_back(std::string(k), std::string(v));
      return true;
    });
    EXPECT_THAT(st, IsOk());
    return entries;
  }

  // Puts key=value pairs and commits them at `offset`.
  static void Commit(PartitionStore& store, const Entries& entries, int64_t offset) {
    for (const auto& [k, v] : entries) ASSERT_THAT(store.Put(k, v), IsOk());
    ASSERT_THAT(store.CommitPending(offset), IsOk());
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<StateEnv> env_;
};

TEST_F(PartitionStoreTest, NewFolderHasNoCheckpoint) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  EXPECT_EQ(store->checkpoint_offset(), -1);
  EXPECT_THAT(store->rebuilt(), HasSubstr("no checkpoint"));
  EXPECT_FALSE(store->has_pending());
  EXPECT_THAT(store->Get("a"), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(ScanAll(*store), IsEmpty());
}

TEST_F(PartitionStoreTest, PendingWritesAreReadableThenCommittedOrDiscarded) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_THAT(store->Put("a", "1"), IsOk());
  ASSERT_THAT(store->Put("b", "2"), IsOk());
  ASSERT_THAT(store->Put("a", "3"), IsOk());  // the last write in a transaction wins
  EXPECT_TRUE(store->has_pending());
  EXPECT_THAT(store->Get("a"), IsOkAndHolds(Optional(std::string("3"))));
  EXPECT_THAT(ScanAll(*store), ElementsAre(Pair("a", "3"), Pair("b", "2")));

  store->DiscardPending();
  EXPECT_FALSE(store->has_pending());
  EXPECT_THAT(store->Get("a"), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(ScanAll(*store), IsEmpty());

  Commit(*store, {{"a", "1"}, {"b", "2"}}, 7);
  EXPECT_FALSE(store->has_pending());
  EXPECT_EQ(store->checkpoint_offset(), 7);
  EXPECT_THAT(store->Get("a"), IsOkAndHolds(Optional(std::string("1"))));

  // A pending delete hides a committed key from Get and Scan until it is discarded.
  ASSERT_THAT(store->Delete("a"), IsOk());
  ASSERT_THAT(store->Put("c", "3"), IsOk());
  EXPECT_THAT(store->Get("a"), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(ScanAll(*store), ElementsAre(Pair("b", "2"), Pair("c", "3")));
  store->DiscardPending();
  EXPECT_THAT(store->Get("a"), IsOkAndHolds(Optional(std::string("1"))));
  EXPECT_THAT(ScanAll(*store), ElementsAre(Pair("a", "1"), Pair("b", "2")));

  ASSERT_THAT(store->Delete("a"), IsOk());
  ASSERT_THAT(store->CommitPending(8), IsOk());
  EXPECT_THAT(ScanAll(*store), ElementsAre(Pair("b", "2")));
  EXPECT_THAT(store->Close(), IsOk());
}

TEST_F(PartitionStoreTest, ScanBoundsPrefixesAndEarlyStop) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  Commit(*store, {{"a", "0"}, {"b1", "1"}, {"b2", "2"}, {"b\xff", "3"}, {"c", "4"}}, 1);
  ASSERT_THAT(store->Put("b3", "pending"), IsOk());
  ASSERT_THAT(store->Put("d", "pending"), IsOk());

  EXPECT_THAT(ScanAll(*store, "b", "c"), ElementsAre(Pair("b1", "1"), Pair("b2", "2"),
                                                     Pair("b3", "pending"), Pair("b\xff", "3")));
  // `end` is exclusive and bounds pending keys too.
  EXPECT_THAT(ScanAll(*store, "b2", "b3"), ElementsAre(Pair("b2", "2")));
  EXPECT_THAT(ScanAll(*store, "c", ""), ElementsAre(Pair("c", "4"), Pair("d", "pending")));
  EXPECT_THAT(ScanAll(*store, "c", "b"), IsEmpty());

  Entries prefixed;
  ASSERT_THAT(store->ScanPrefix("b",
                                [&](absl::string_view k, absl::string_view v) {
                                  prefixed.emplace_back(std::string(k), std::string(v));
                                  return true;
                                }),
              IsOk());
  EXPECT_EQ(prefixed.size(), 4u);

  int visited = 0;
  ASSERT_THAT(
      store->Scan("", "", [&](absl::string_view, absl::string_view) { return ++visited < 2; }),
      IsOk());
  EXPECT_EQ(visited, 2);
  store->DiscardPending();
}

TEST_F(PartitionStoreTest, WritesInsideAScanAreRefused) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  Commit(*store, {{"a", "1"}}, 1);
  absl::Status inner;
  ASSERT_THAT(store->Scan("", "",
                          [&](absl::string_view k, absl::string_view) {
                            inner = store->Delete(k);
                            return true;
                          }),
              IsOk());
  EXPECT_THAT(inner, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("Scan")));
  EXPECT_FALSE(store->has_pending());
}

TEST_F(PartitionStoreTest, CommitPersistsAcrossReopenWithItsCheckpoint) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
    Commit(*store, {{"a", "1"}, {"b", "2"}}, 41);
    Commit(*store, {{"c", "3"}}, 42);
    ASSERT_THAT(store->Put("uncommitted", "x"), IsOk());
    EXPECT_THAT(store->Close(),
                StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("pending")));
    store->DiscardPending();
    ASSERT_THAT(store->Close(), IsOk());
    ASSERT_THAT(store->Close(), IsOk());  // idempotent
    EXPECT_THAT(store->Get("a"),
                StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("closed")));
  }
  ASSERT_OK_AND_ASSIGN(v1::Checkpoint checkpoint, PartitionStore::StoredCheckpoint(path_));
  EXPECT_EQ(checkpoint.next_offset(), 42);
  EXPECT_TRUE(checkpoint.clean_shutdown());

  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  EXPECT_EQ(store->rebuilt(), "");
  EXPECT_EQ(store->checkpoint_offset(), 42);
  EXPECT_THAT(ScanAll(*store), ElementsAre(Pair("a", "1"), Pair("b", "2"), Pair("c", "3")));
  EXPECT_GE(store->ApproximateKeys(), 1u);
}

TEST_F(PartitionStoreTest, DestroyedWithoutCloseKeepsTheLastCommit) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
    Commit(*store, {{"a", "1"}}, 5);
    ASSERT_THAT(store->Put("b", "never committed"), IsOk());
  }
  ASSERT_OK_AND_ASSIGN(v1::Checkpoint checkpoint, PartitionStore::StoredCheckpoint(path_));
  EXPECT_FALSE(checkpoint.clean_shutdown());
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  EXPECT_EQ(store->checkpoint_offset(), 5);
  EXPECT_THAT(ScanAll(*store), ElementsAre(Pair("a", "1")));
}

TEST_F(PartitionStoreTest, CommitWithoutOffsetLeavesTheCheckpoint) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  Commit(*store, {{"a", "1"}}, 3);
  Commit(*store, {{"b", "2"}}, -1);
  EXPECT_EQ(store->checkpoint_offset(), 3);
  EXPECT_THAT(store->Get("b"), IsOkAndHolds(Optional(std::string("2"))));
}

TEST_F(PartitionStoreTest, ChangelogReceivesEveryWriteInOrder) {
  RecordingChangelog changelog;
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore(&changelog));
  ASSERT_THAT(store->Put("a", "1"), IsOk());
  ASSERT_THAT(store->Delete("b"), IsOk());
  ASSERT_THAT(store->Put("a", "2"), IsOk());
  ASSERT_THAT(store->Put("empty", ""), IsOk());
  ASSERT_THAT(store->Delete("a"), IsOk());
  EXPECT_THAT(changelog.records,
              ElementsAre(ChangelogRecord("a", "1"), ChangelogRecord("b", std::nullopt),
                          ChangelogRecord("a", "2"), ChangelogRecord("empty", ""),
                          ChangelogRecord("a", std::nullopt)));
  ASSERT_THAT(store->CommitPending(5), IsOk());
  EXPECT_EQ(changelog.records.size(), 5u);  // commit and restore write no changelog records
  ASSERT_THAT(store->ApplyRestored("r", "1"), IsOk());
  ASSERT_THAT(store->FinishRestore(6), IsOk());
  EXPECT_EQ(changelog.records.size(), 5u);
}

TEST_F(PartitionStoreTest, MissingOrCorruptCheckpointWipesTheFolder) {
  struct Case {
    const char* name;
    std::optional<std::string> checkpoint_bytes;  // nullopt: delete the file
    const char* why;
  };
  const Case cases[] = {
      {"deleted", std::nullopt, "no checkpoint"},
      {"garbage", std::string("\x01garbage\xff bytes", 15), "corrupt"},
      {"empty", std::string(), "corrupt"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    {
      ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
      Commit(*store, {{"a", "1"}}, 9);
      ASSERT_THAT(store->Close(), IsOk());
    }
    TamperWithStoredCheckpoint(path_ + "/db", c.checkpoint_bytes);
    ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
    EXPECT_EQ(store->checkpoint_offset(), -1);
    EXPECT_THAT(store->rebuilt(), HasSubstr(c.why));
    EXPECT_THAT(store->Get("a"), IsOkAndHolds(std::nullopt)) << "data must be wiped";
    EXPECT_THAT(ScanAll(*store), IsEmpty());
    ASSERT_THAT(store->Close(), IsOk());
    fs::remove_all(path_);
  }
}

// The checkpoint is written in the same RocksDB write as the keys of its transaction: it is
// in the database as soon as that write ends (WaitForWrites), with nothing closed or synced.
TEST_F(PartitionStoreTest, TheCheckpointIsCommittedWithItsKeys) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  Commit(*store, {{"a", "1"}}, 7);
  ASSERT_THAT(store->WaitForWrites(), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::Checkpoint stored, PartitionStore::StoredCheckpoint(path_));
  EXPECT_EQ(stored.next_offset(), 7);
  EXPECT_FALSE(stored.clean_shutdown());
  EXPECT_FALSE(fs::exists(path_ + "/CHECKPOINT")) << "no checkpoint file any more";
  Commit(*store, {{"b", "2"}}, 9);
  ASSERT_THAT(store->WaitForWrites(), IsOk());
  ASSERT_OK_AND_ASSIGN(stored, PartitionStore::StoredCheckpoint(path_));
  EXPECT_EQ(stored.next_offset(), 9);
}

// CommitPending returns while its write runs in the background: the keys are readable at once,
// the checkpoint counts as moved, and the database gets both together when the write ends.
TEST_F(PartitionStoreTest, ACommitsWriteRunsInTheBackgroundAndIsReadableMeanwhile) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore(nullptr, 10000, [released] {
                         released.wait();
                         return absl::OkStatus();
                       }));
  Commit(*store, {{"a", "1"}, {"b", "2"}}, 7);
  // The writer waits in the hook: nothing of the transaction is in the database yet.
  EXPECT_THAT(PartitionStore::StoredCheckpoint(path_), Not(IsOk()));
  EXPECT_THAT(store->Get("a"), IsOkAndHolds(std::optional<std::string>("1")));
  EXPECT_THAT(store->Get("b"), IsOkAndHolds(std::optional<std::string>("2")));
  EXPECT_EQ(store->checkpoint_offset(), 7);
  // The next transaction's writes shadow the ones being written.
  ASSERT_THAT(store->Put("a", "3"), IsOk());
  EXPECT_THAT(store->Get("a"), IsOkAndHolds(std::optional<std::string>("3")));
  release.set_value();
  ASSERT_THAT(store->WaitForWrites(), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::Checkpoint stored, PartitionStore::StoredCheckpoint(path_));
  EXPECT_EQ(stored.next_offset(), 7);
  EXPECT_THAT(store->Get("a"), IsOkAndHolds(std::optional<std::string>("3")));
  ASSERT_THAT(store->CommitPending(9), IsOk());
  ASSERT_THAT(store->Close(), IsOk());
  ASSERT_OK_AND_ASSIGN(store, OpenStore());
  EXPECT_EQ(store->checkpoint_offset(), 9);
  EXPECT_THAT(ScanAll(*store), ElementsAre(Pair("a", "3"), Pair("b", "2")));
}

// A background write that fails leaves the database and its checkpoint at the last write that
// landed, and every later commit and the close say so: no later checkpoint may vouch for the
// transaction the database lacks (the runtime stops; a restart replays it from the changelog).
TEST_F(PartitionStoreTest, AFailedBackgroundWriteFailsEveryLaterCommit) {
  int writes = 0;
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore(nullptr, 10000, [&writes] {
                         return ++writes == 2 ? absl::InternalError("disk on fire") : absl::OkStatus();
                       }));
  Commit(*store, {{"a", "1"}}, 3);
  Commit(*store, {{"b", "2"}}, 5);  // this write fails, in the background
  ASSERT_THAT(store->Put("c", "3"), IsOk());
  EXPECT_THAT(store->CommitPending(7),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("disk on fire")));
  EXPECT_THAT(store->CommitPending(7), Not(IsOk()));
  store->DiscardPending();
  EXPECT_THAT(store->Close(), Not(IsOk()));
  ASSERT_OK_AND_ASSIGN(v1::Checkpoint stored, PartitionStore::StoredCheckpoint(path_));
  EXPECT_EQ(stored.next_offset(), 3);
  EXPECT_FALSE(stored.clean_shutdown());
  ASSERT_OK_AND_ASSIGN(store, OpenStore());
  EXPECT_EQ(store->checkpoint_offset(), 3);
  EXPECT_THAT(ScanAll(*store), ElementsAre(Pair("a", "1")));
}

// A folder written before the checkpoint moved into the database: a CHECKPOINT file and a
// database without the "onceflow" column family. It opens at the file's offset with its keys,
// and the first commit moves the checkpoint into the database and removes the file.
TEST_F(PartitionStoreTest, ALegacyCheckpointFileIsHonouredThenReplaced) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
    Commit(*store, {{"a", "1"}}, 5);
    ASSERT_THAT(store->Close(), IsOk());
  }
  TamperWithStoredCheckpoint(path_ + "/db", std::nullopt, /*drop_family=*/true);
  v1::Checkpoint legacy;
  legacy.set_next_offset(5);
  ASSERT_THAT(WriteCheckpoint(path_ + "/CHECKPOINT", legacy), IsOk());

  ASSERT_OK_AND_ASSIGN(v1::Checkpoint stored, PartitionStore::StoredCheckpoint(path_));
  EXPECT_EQ(stored.next_offset(), 5);  // from the file: the database has no such family yet

  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  EXPECT_EQ(store->rebuilt(), "");
  EXPECT_EQ(store->checkpoint_offset(), 5);
  EXPECT_THAT(ScanAll(*store), ElementsAre(Pair("a", "1")));
  EXPECT_TRUE(fs::exists(path_ + "/CHECKPOINT"));
  Commit(*store, {{"b", "2"}}, 6);
  ASSERT_THAT(store->WaitForWrites(), IsOk());  // the file goes once the write has landed
  EXPECT_FALSE(fs::exists(path_ + "/CHECKPOINT"));
  ASSERT_THAT(store->Close(), IsOk());
  ASSERT_OK_AND_ASSIGN(store, OpenStore());
  EXPECT_EQ(store->checkpoint_offset(), 6);
  EXPECT_THAT(ScanAll(*store), ElementsAre(Pair("a", "1"), Pair("b", "2")));
}

// A wipe renames the database folder away before removing it; one interrupted after the rename
// leaves db.wiping and no database: the next open starts empty and removes the leftover.
TEST_F(PartitionStoreTest, AnInterruptedWipeIsFinishedAtOpen) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
    Commit(*store, {{"a", "1"}}, 5);
    ASSERT_THAT(store->Close(), IsOk());
  }
  fs::rename(path_ + "/db", path_ + "/db.wiping");
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  EXPECT_EQ(store->checkpoint_offset(), -1);
  EXPECT_TRUE(store->rebuilt_from_new());
  EXPECT_THAT(ScanAll(*store), IsEmpty());
  EXPECT_FALSE(fs::exists(path_ + "/db.wiping"));
}

TEST_F(PartitionStoreTest, CorruptDatabaseIsWipedNeverSilentlyWrong) {
  // Each damages <path>/db after a clean close with a valid checkpoint.
  struct Case {
    const char* name;
    void (*damage)(const std::string& db);
  };
  const Case cases[] = {
      {"CURRENT garbage", [](const std::string& db) { WriteFile(db + "/CURRENT", "\xde\xad"); }},
      {"CURRENT truncated", [](const std::string& db) { fs::resize_file(db + "/CURRENT", 0); }},
      {"CURRENT names a missing MANIFEST",
       [](const std::string& db) { WriteFile(db + "/CURRENT", "MANIFEST-999999\n"); }},
      {"MANIFEST garbage",
       [](const std::string& db) {
         const std::string m = FindManifest(db);
         ASSERT_FALSE(m.empty());
         WriteFile(m, std::string(4096, '\x5a'));
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    {
      ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
      Commit(*store, {{"a", "1"}, {"b", "2"}}, 9);
      ASSERT_THAT(store->Close(), IsOk());
    }
    c.damage(path_ + "/db");
    ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
    EXPECT_EQ(store->checkpoint_offset(), -1);
    EXPECT_THAT(store->rebuilt(), HasSubstr("failed to open"));
    EXPECT_THAT(ScanAll(*store), IsEmpty());
    // The wiped store works, and its next checkpoint is honoured.
    Commit(*store, {{"c", "3"}}, 12);
    ASSERT_THAT(store->Close(), IsOk());
    ASSERT_OK_AND_ASSIGN(store, OpenStore());
    EXPECT_EQ(store->rebuilt(), "");
    EXPECT_EQ(store->checkpoint_offset(), 12);
    EXPECT_THAT(ScanAll(*store), ElementsAre(Pair("c", "3")));
    ASSERT_THAT(store->Close(), IsOk());
    fs::remove_all(path_);
  }
}

TEST_F(PartitionStoreTest, RestoreAppliesRecordsAndMovesTheCheckpoint) {
  RecordingChangelog changelog;
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenStore(&changelog, /*restore_batch_records=*/2));
    ASSERT_EQ(store->checkpoint_offset(), -1);
    ASSERT_THAT(store->ApplyRestored("a", "1"), IsOk());
    ASSERT_THAT(store->ApplyRestored("b", "2"), IsOk());
    ASSERT_THAT(store->ApplyRestored("a", std::nullopt), IsOk());
    ASSERT_THAT(store->ApplyRestored("c", "3"), IsOk());
    ASSERT_THAT(store->ApplyRestored("b", "22"), IsOk());
    EXPECT_THAT(store->FinishRestore(-3),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("next_offset")));
    ASSERT_THAT(store->FinishRestore(100), IsOk());
    EXPECT_EQ(store->checkpoint_offset(), 100);
    EXPECT_THAT(store->Get("a"), IsOkAndHolds(std::nullopt));
    EXPECT_THAT(store->Get("b"), IsOkAndHolds(Optional(std::string("22"))));
    EXPECT_THAT(ScanAll(*store), ElementsAre(Pair("b", "22"), Pair("c", "3")));
    EXPECT_FALSE(store->has_pending());
    EXPECT_THAT(changelog.records, IsEmpty());

    // Restore is refused while a transaction has pending writes.
    ASSERT_THAT(store->Put("x", "y"), IsOk());
    EXPECT_THAT(store->ApplyRestored("z", "1"),
                StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("restore")));
    store->DiscardPending();
    ASSERT_THAT(store->Close(), IsOk());
  }
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  EXPECT_EQ(store->checkpoint_offset(), 100);
  EXPECT_THAT(ScanAll(*store), ElementsAre(Pair("b", "22"), Pair("c", "3")));
}

TEST_F(PartitionStoreTest, SecondOpenOfTheSameFolderIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  Commit(*store, {{"a", "1"}}, 1);
  EXPECT_THAT(OpenStore(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("held")));
  // The refused open wiped nothing.
  EXPECT_THAT(store->Get("a"), IsOkAndHolds(Optional(std::string("1"))));
  ASSERT_THAT(store->Close(), IsOk());
  ASSERT_OK_AND_ASSIGN(store, OpenStore());
  EXPECT_THAT(store->Get("a"), IsOkAndHolds(Optional(std::string("1"))));
}

TEST_F(PartitionStoreTest, TwoStoresShareOneEnv) {
  ASSERT_OK_AND_ASSIGN(auto first, OpenStore());
  ASSERT_OK_AND_ASSIGN(
      auto second, PartitionStore::Open({.path = dir_ + "/dedupe/1", .env = env_.get()}, nullptr));
  const std::string big(1 << 10, 'v');
  for (int i = 0; i < 2000; ++i) {
    ASSERT_THAT(first->Put("k" + std::to_string(i), big), IsOk());
    ASSERT_THAT(second->Put("k" + std::to_string(i), "second"), IsOk());
  }
  ASSERT_THAT(first->CommitPending(1), IsOk());
  ASSERT_THAT(second->CommitPending(2), IsOk());
  EXPECT_THAT(first->Get("k7"), IsOkAndHolds(Optional(big)));
  EXPECT_THAT(second->Get("k7"), IsOkAndHolds(Optional(std::string("second"))));
  EXPECT_EQ(first->checkpoint_offset(), 1);
  EXPECT_EQ(second->checkpoint_offset(), 2);
  // ~2 MiB of memtables are charged to the shared cache, and it stays within its capacity.
  EXPECT_GT(env_->cache_usage(), 0u);
  EXPECT_LE(env_->cache_usage(), env_->options().block_cache_bytes);
  ASSERT_THAT(first->Close(), IsOk());
  ASSERT_THAT(second->Close(), IsOk());
}

TEST(StateEnvTest, RejectsBadMemoryOptions) {
  EXPECT_THAT(StateEnv::Create({.block_cache_bytes = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("block_cache_bytes")));
  EXPECT_THAT(StateEnv::Create({.block_cache_bytes = 1 << 20, .write_buffer_bytes = 2 << 20}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("write_buffer_bytes")));
  ASSERT_OK_AND_ASSIGN(auto env, StateEnv::Create({}));
  EXPECT_EQ(env->options().block_cache_bytes, size_t{64} << 20);
  EXPECT_NE(env->block_cache(), nullptr);
  EXPECT_NE(env->write_buffer_manager(), nullptr);
}

TEST(PartitionStoreOptionsTest, RequiresPathAndEnv) {
  EXPECT_THAT(PartitionStore::Open({}, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("path")));
  EXPECT_THAT(PartitionStore::Open({.path = "/tmp/x"}, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("env")));
}

}  // namespace
}  // namespace onceflow::state
