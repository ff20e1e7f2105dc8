// PartitionStore: the RocksDB-backed KeyValueStore of one input partition, with a pending
// write batch per transaction, a changelog and a checkpoint.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(auto env, state::StateEnv::Create({}));
//   ONCEFLOW_ASSIGN_OR_RETURN(auto store, state::PartitionStore::Open(
//       {.path = "/var/lib/onceflow/app/dedupe/3", .env = env.get()}, &changelog));
//   store->Put("k", "v");            // pending + a changelog record through `changelog`
//   ... Kafka transaction commits ...
//   store->CommitPending(next_changelog_offset);  // RocksDB write, then checkpoint
//
// Layout: one RocksDB database per (store, partition) under `path`; the checkpoint is a key of
// that database, written in the same atomic batch as the keys it vouches for.
// Why one DB per partition (not a column family per partition): a partition's files can be
// wiped and rebuilt, or dropped when the partition moves away, without touching the others,
// and its checkpoint is its own. Memory stays bounded because every DB of a process shares
// StateEnv's block cache and write-buffer manager.
//
// Crash semantics: the pending batch reaches RocksDB only after CommitPending, which the runtime
// calls after the Kafka transaction committed (the write itself runs in the background, keys
// and checkpoint in one atomic write). A crash between the
// two leaves RocksDB behind the changelog, never ahead, and the restore replays from the
// checkpoint (puts and deletes are idempotent), so local state is never ahead of what Kafka
// committed and never silently behind. Keys and checkpoint are one RocksDB write, never
// fsynced: a machine crash loses both together (the WAL's suffix), and replays more.
//
// Thread-safety: one thread at a time (the store's own background writer aside).
#ifndef ONCEFLOW_STATE_PARTITION_STORE_H_
#define ONCEFLOW_STATE_PARTITION_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "onceflow/v1/state.pb.h"
#include "state/kv_store.h"

namespace rocksdb {
class Cache;
class WriteBufferManager;
}  // namespace rocksdb

namespace onceflow::state {

// Where a store's checkpoint lives inside its database: a column family of its own (so that no
// key of the store can collide with it), one key, a serialized v1::Checkpoint.
inline constexpr char kCheckpointColumnFamily[] = "onceflow";
inline constexpr char kCheckpointKey[] = "checkpoint";

struct StateMemoryOptions {
  // LRU block cache shared by every store of the process. Default: 64 MiB.
  size_t block_cache_bytes = size_t{64} << 20;
  // Memtable budget shared by every store (charged to the block cache). Default: 32 MiB.
  size_t write_buffer_bytes = size_t{32} << 20;
  // One memtable's size before it is flushed. Default: 8 MiB.
  size_t memtable_bytes = size_t{8} << 20;
};

// Process-wide RocksDB resources shared by the stores (block cache, write-buffer manager).
class StateEnv {
 public:
  static absl::StatusOr<std::unique_ptr<StateEnv>> Create(const StateMemoryOptions& options);
  ~StateEnv();
  StateEnv(const StateEnv&) = delete;
  StateEnv& operator=(const StateEnv&) = delete;

  const StateMemoryOptions& options() const { return options_; }
  const std::shared_ptr<rocksdb::Cache>& block_cache() const { return cache_; }
  const std::shared_ptr<rocksdb::WriteBufferManager>& write_buffer_manager() const { return wbm_; }
  // Bytes currently held by the block cache (incl. memtables charged to it).
  size_t cache_usage() const;

  struct PrivateTag {};
  StateEnv(PrivateTag, StateMemoryOptions options, std::shared_ptr<rocksdb::Cache> cache,
           std::shared_ptr<rocksdb::WriteBufferManager> wbm);

 private:
  StateMemoryOptions options_;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::shared_ptr<rocksdb::WriteBufferManager> wbm_;
};

// Receives the changelog record of every write (value nullopt = tombstone). The runtime
// produces them to the store's changelog topic, partition = the store's partition, inside the
// open transaction.
class ChangelogSink {
 public:
  virtual ~ChangelogSink() = default;
  virtual absl::Status Append(absl::string_view key, std::optional<absl::string_view> value) = 0;
};

// Which entries RocksDB drops while it compacts a store's files: how a store expires entries
// without writing deletes (and without changelog tombstones; the changelog topic ages them
// out by retention instead). Drop runs on RocksDB's background threads, concurrently with the
// store's user: it must be thread-safe. It sees the entries that reached the database, never
// the pending ones; a Get may still find an entry Drop would drop, so the store's user must
// treat such entries as absent itself.
class CompactionPolicy {
 public:
  virtual ~CompactionPolicy() = default;
  virtual bool Drop(absl::string_view key, absl::string_view value) = 0;
};

struct PartitionStoreOptions {
  // Folder of this partition's database and checkpoint. REQUIRED.
  std::string path;
  // Shared resources. REQUIRED; must outlive the store.
  StateEnv* env = nullptr;
  // Restore writes are applied to RocksDB in batches of this many records. Default: 10000.
  int restore_batch_records = 10000;
  // Expiry at compaction; null: keep every entry. With a policy, every file is compacted at
  // least once a day (RocksDB's periodic compaction), so that expired entries in files no
  // compaction would otherwise touch are dropped too.
  std::shared_ptr<CompactionPolicy> compaction;
  // Tests only: runs on the background writer before each CommitPending's write; an error
  // takes the write's place (as if RocksDB had refused it). Default: none.
  std::function<absl::Status()> write_hook;
};

class PartitionStore : public KeyValueStore {
 public:
  // Opens (creating) the database at options.path. If the database cannot be opened (missing,
  // corrupt) or its checkpoint is missing or unreadable, the folder is wiped and opened empty
  // with checkpoint_offset() == -1, so the caller restores the whole changelog; `rebuilt()`
  // then says why. `changelog` may be null (no changelog: tests, benchmarks); it must outlive
  // the store.
  static absl::StatusOr<std::unique_ptr<PartitionStore>> Open(const PartitionStoreOptions& options,
                                                              ChangelogSink* changelog);
  ~PartitionStore() override;

  // KeyValueStore. Writes go to the pending batch and to the changelog sink.
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) override;
  absl::Status Put(absl::string_view key, absl::string_view value) override;
  absl::Status Delete(absl::string_view key) override;
  absl::Status Scan(absl::string_view begin, absl::string_view end, const ScanFn& fn) override;

  bool has_pending() const;

  // Attempts: one try of a transform on one record. Between BeginAttempt and the end of the
  // attempt, writes go to the pending batch after a save point and their changelog records are
  // held back. RollbackAttempt drops the attempt's writes (the batch returns to the save point);
  // CommitAttempt keeps them and appends their changelog records to the sink, in write order
  // (the sink's error is returned; the writes stay pending, and the unit they belong to is
  // rolled back by the caller). At most one attempt is open; DiscardPending ends it.
  void BeginAttempt();
  void RollbackAttempt();
  absl::Status CommitAttempt();
  // The Kafka transaction committed: writes the pending batch to RocksDB, with the checkpoint
  // at `changelog_next_offset` (the changelog position after this transaction's records;
  // -1 = unchanged) in the same atomic write. The write runs in the background, on a thread
  // of its own, while the caller goes on with the next transaction; reads see its keys at
  // once. The next CommitPending (and Scan, Close, the restore calls, CompactAll,
  // WaitForWrites) waits for it first. If it fails, that call and every later commit return
  // the error and Close writes no checkpoint: the database misses a committed transaction,
  // and only a restore from the changelog repairs it.
  absl::Status CommitPending(int64_t changelog_next_offset);
  // Waits until the last CommitPending's write is in the database; returns its error.
  absl::Status WaitForWrites();
  // The Kafka transaction aborted: drops the pending batch.
  void DiscardPending();

  // Restore: applies one changelog record straight to RocksDB (batched; no changelog).
  absl::Status ApplyRestored(absl::string_view key, std::optional<absl::string_view> value);
  // Flushes the restore batch and writes the checkpoint at `next_offset`.
  absl::Status FinishRestore(int64_t next_offset);

  // The changelog position the local files reflect (counting a checkpoint whose write is
  // running); -1 = none (restore from the beginning).
  int64_t checkpoint_offset() const;
  // The checkpoint of the store folder `path` as stored, read without opening the store (a
  // read-only look, allowed while a store has it open): for tools and tests.
  static absl::StatusOr<v1::Checkpoint> StoredCheckpoint(const std::string& path);
  // Wipes the database and the checkpoint and opens it empty (checkpoint_offset() -1), for a
  // checkpoint that cannot be trusted any more (beyond the changelog's end: the changelog was
  // deleted and recreated, or truncated). `rebuilt()` says `why` afterwards.
  absl::Status Rebuild(absl::string_view why);
  // Why the folder was wiped at Open ("" if it was not).
  const std::string& rebuilt() const;
  // Whether it was wiped only because it had no checkpoint (a new folder, or one wiped on
  // purpose), as opposed to damaged files.
  bool rebuilt_from_new() const;
  // Writes the checkpoint one last time and closes the database. Pending writes must have
  // been committed or discarded.
  absl::Status Close();
  // Flushes the written entries and compacts the whole store now, through the compaction policy
  // (RocksDB does it in the background as files accumulate; this is for tools and tests).
  absl::Status CompactAll();
  // RocksDB's estimate of the number of keys.
  uint64_t ApproximateKeys() const;

  struct Impl;
  struct PrivateTag {};
  PartitionStore(PrivateTag, std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace onceflow::state

#endif  // ONCEFLOW_STATE_PARTITION_STORE_H_
