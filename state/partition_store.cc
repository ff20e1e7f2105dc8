#include "state/partition_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <algorithm>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/compaction_filter.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "rocksdb/write_buffer_manager.h"
#include "state/checkpoint.h"

// Folder layout of one partition store:
//   <path>/LOCK        flock()ed while a PartitionStore has the folder open, so that a wipe
//                      never pulls files from under another store (in this process or another)
//   <path>/db/         the RocksDB database: the store's keys in the default column family,
//                      the checkpoint (the changelog offset the keys reflect) under key
//                      "checkpoint" of the column family "onceflow"
//   <path>/CHECKPOINT  only in folders written before the checkpoint moved into the database:
//                      read once at open, removed when the database has its own
// The database lives in its own sub-folder so that a wipe is one rename and one remove_all()
// that cannot touch the lock, and RocksDB never sees files it does not own.
//
// Why the checkpoint lives in the database: it is written in the same WriteBatch as the keys
// it vouches for, so the two are atomic under every crash, with no fsync at all. A process
// crash keeps the unsynced WAL in the page cache; a machine crash loses a suffix of the WAL,
// keys and checkpoint together (point-in-time recovery, atomic_flush across the two column
// families), and the restore replays the changelog from the older checkpoint. A checkpoint
// *file* had to be fsynced after a WAL sync on every commit: three fsyncs per partition per
// commit, most of a dedupe pipeline's commit time (docs/state.md).

namespace onceflow::state {
namespace {

namespace fs = std::filesystem;

constexpr char kDbDir[] = "db";
constexpr char kWipingDir[] = "db.wiping";
constexpr char kCheckpointFile[] = "CHECKPOINT";
constexpr char kLockFile[] = "LOCK";
constexpr char kNoCheckpoint[] = "no checkpoint (new or wiped state folder)";
// Bounds the table readers (and their file descriptors) each database keeps open.
constexpr int kMaxOpenFiles = 256;
constexpr int kBloomBitsPerKey = 10;

// rocksdb::Status -> absl::Status, naming what failed and where.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what, const std::string& path) {
  if (s.ok()) return absl::OkStatus();
  std::string message = absl::StrCat("RocksDB ", what, " ", path, ": ", s.ToString());
  switch (s.code()) {
    case rocksdb::Status::kNotFound:
      return absl::NotFoundError(std::move(message));
    case rocksdb::Status::kCorruption:
      return absl::DataLossError(std::move(message));
    case rocksdb::Status::kNotSupported:
      return absl::UnimplementedError(std::move(message));
    case rocksdb::Status::kInvalidArgument:
      return absl::InvalidArgumentError(std::move(message));
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTryAgain:
      return absl::UnavailableError(std::move(message));
    case rocksdb::Status::kTimedOut:
      return absl::DeadlineExceededError(std::move(message));
    case rocksdb::Status::kShutdownInProgress:
    case rocksdb::Status::kColumnFamilyDropped:
      return absl::FailedPreconditionError(std::move(message));
    case rocksdb::Status::kIOError:
      if (s.IsNoSpace()) return absl::ResourceExhaustedError(std::move(message));
      return absl::InternalError(std::move(message));
    default:
      return absl::InternalError(std::move(message));
  }
}

rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
absl::string_view ToView(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// An exclusive flock() on <path>/LOCK, released when destroyed. flock locks belong to the open
// file description, so a second store on the same folder is refused even in this process.
class FolderLock {
 public:
  static absl::StatusOr<std::unique_ptr<FolderLock>> Acquire(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return absl::InternalError(absl::StrCat("open ", path, ": ", std::strerror(errno)));
    }
    auto lock = std::make_unique<FolderLock>(fd);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return absl::FailedPreconditionError(
            absl::StrCat("state folder lock ", path, " is held: another store has it open"));
      }
      return absl::InternalError(absl::StrCat("flock ", path, ": ", std::strerror(errno)));
    }
    return lock;
  }
  explicit FolderLock(int fd) : fd_(fd) {}
  ~FolderLock() { ::close(fd_); }  // closing the descriptor releases the lock
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_;
};

// Hands RocksDB's compactions of the keys' column family to a CompactionPolicy.
class PolicyFilter : public rocksdb::CompactionFilter {
 public:
  explicit PolicyFilter(std::shared_ptr<CompactionPolicy> policy) : policy_(std::move(policy)) {}
  bool Filter(int /*level*/, const rocksdb::Slice& key, const rocksdb::Slice& value,
              std::string* /*new_value*/, bool* /*value_changed*/) const override {
    return policy_->Drop(ToView(key), ToView(value));
  }
  const char* Name() const override { return "onceflow.CompactionPolicy"; }

 private:
  std::shared_ptr<CompactionPolicy> policy_;
};

class PolicyFilterFactory : public rocksdb::CompactionFilterFactory {
 public:
  explicit PolicyFilterFactory(std::shared_ptr<CompactionPolicy> policy)
      : policy_(std::move(policy)) {}
  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context& /*context*/) override {
    return std::make_unique<PolicyFilter>(policy_);
  }
  const char* Name() const override { return "onceflow.CompactionPolicyFactory"; }

 private:
  std::shared_ptr<CompactionPolicy> policy_;
};

constexpr uint64_t kPeriodicCompactionSeconds = 24 * 60 * 60;

rocksdb::Options MakeOptions(const StateEnv& env, bool create_if_missing) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = env.block_cache();
  // Index and filter blocks live in the shared cache too (not in table-reader memory that
  // grows with the data), so the cache bounds them; high priority and pinned L0 keep the hot
  // ones from being evicted by data blocks.
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Most dedupe lookups are for keys never seen: the bloom filter answers them without a read.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
  table.optimize_filters_for_memory = true;
  // Partitioned index and filters: a 64 MiB SST file's whole filter (~2.5 MB) and index are
  // bigger than one shard of the LRU cache (64 MiB / 64 shards), so unpartitioned they were
  // evicted as soon as they were read and every Get re-read and re-checksummed megabytes.
  // Partitions are metadata_block_size each; only the small top level stays pinned.
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.metadata_block_size = 4096;
  table.pin_top_level_index_and_filter = true;

  rocksdb::Options options;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.create_if_missing = create_if_missing;
  options.create_missing_column_families = true;  // a folder from before the "onceflow" family
  // The keys' and the checkpoint's families are flushed together, so a machine crash can never
  // keep a flushed checkpoint whose keys were only in the lost part of the WAL.
  options.atomic_flush = true;
  options.write_buffer_size = env.options().memtable_bytes;
  options.write_buffer_manager = env.write_buffer_manager();
  options.max_open_files = kMaxOpenFiles;
  options.level_compaction_dynamic_level_bytes = true;
  // A whole-key bloom filter on memtables: most Gets (never-seen keys, keys already flushed)
  // then skip the memtable skip-list searches. Costs 2% of the memtable size.
  options.memtable_whole_key_filtering = true;
  options.memtable_prefix_bloom_size_ratio = 0.02;
  // Write flushed and compacted files back to disk as they grow (sync_file_range every MiB)
  // rather than leaving hundreds of dirty MiB for the next fsync: keeps the per-commit WAL and
  // checkpoint fsyncs short while compaction runs.
  options.bytes_per_sync = uint64_t{1} << 20;
  // RocksDB's own info LOG files, not data: keep a few.
  options.keep_log_file_num = 4;
  options.max_log_file_size = size_t{16} << 20;
  return options;
}

}  // namespace

// The database with its two column families. The handles are released before the database
// (RocksDB requires it), by Reset() and by the destructor.
struct Database {
  std::unique_ptr<rocksdb::DB> db;
  std::unique_ptr<rocksdb::ColumnFamilyHandle> keys;
  std::unique_ptr<rocksdb::ColumnFamilyHandle> meta;

  Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database() { Reset(); }

  bool is_open() const { return db != nullptr; }
  // Releases the handles, then closes the database (RocksDB wants no handle alive by then).
  rocksdb::Status Close() {
    keys.reset();
    meta.reset();
    if (db == nullptr) return rocksdb::Status::OK();
    const rocksdb::Status s = db->Close();
    db.reset();
    return s;
  }
  rocksdb::DB* operator->() const { return db.get(); }
  rocksdb::DB* get() const { return db.get(); }
  void Reset() {
    keys.reset();
    meta.reset();
    db.reset();
  }
};

namespace {

// Opens the database at `path` into `out`, read-write or read-only. The rocksdb::Status is
// returned as is so the caller can tell damaged files from a failing environment.
// `policy` (may be null) expires the keys' entries at compaction, never the checkpoint.
rocksdb::Status OpenDb(const rocksdb::Options& options, const std::string& path, Database& out,
                       bool read_only = false,
                       const std::shared_ptr<CompactionPolicy>& policy = nullptr) {
  out.Reset();
  rocksdb::ColumnFamilyOptions keys_options(options);
  if (policy != nullptr) {
    keys_options.compaction_filter_factory = std::make_shared<PolicyFilterFactory>(policy);
    keys_options.periodic_compaction_seconds = kPeriodicCompactionSeconds;
  }
  const std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, keys_options},
      {kCheckpointColumnFamily, rocksdb::ColumnFamilyOptions(options)}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s =
      read_only ? rocksdb::DB::OpenForReadOnly(options, path, families, &handles, &raw)
                : rocksdb::DB::Open(options, path, families, &handles, &raw);
  out.db.reset(raw);
  if (s.ok()) {
    out.keys.reset(handles[0]);
    out.meta.reset(handles[1]);
  }
  return s;
}

// The checkpoint stored in `db`: kNotFound if it has none, kDataLoss if it does not parse.
absl::StatusOr<v1::Checkpoint> ReadDbCheckpoint(const Database& db, const std::string& db_path) {
  std::string bytes;
  const rocksdb::Status s =
      db->Get(rocksdb::ReadOptions(), db.meta.get(), kCheckpointKey, &bytes);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat("no checkpoint in ", db_path));
  if (!s.ok()) return FromRocks(s, "read checkpoint of", db_path);
  v1::Checkpoint checkpoint;
  // Never empty when written (written_at_ms is set); an empty value would parse as offset 0.
  if (bytes.empty() || !checkpoint.ParseFromString(bytes)) {
    return absl::DataLossError(
        absl::StrCat("the checkpoint in ", db_path, " is corrupt (", bytes.size(), " bytes)"));
  }
  return checkpoint;
}

// Whether a failed open says the files themselves are bad (missing, corrupt, inconsistent):
// then wiping and rebuilding from the changelog is the cure. Other failures (no space, too
// many open files, permissions, I/O errors) say nothing about the files and are returned, so
// a transient problem never costs a full restore.
bool FilesAreBad(const rocksdb::Status& s) {
  return s.IsCorruption() || s.IsInvalidArgument() || s.IsNotFound() || s.IsPathNotFound();
}

// Removes a legacy checkpoint file first, then the database: the database folder is renamed
// away in one step (a crash during the removal leaves a folder that the next wipe removes,
// never half a database that still holds its checkpoint).
absl::Status Wipe(const std::string& checkpoint_path, const std::string& db_path) {
  std::error_code ec;
  for (const std::string& file : {checkpoint_path, absl::StrCat(checkpoint_path, ".tmp")}) {
    fs::remove(file, ec);
    if (ec) return absl::InternalError(absl::StrCat("remove ", file, ": ", ec.message()));
  }
  const fs::path wiping = fs::path(db_path).parent_path() / kWipingDir;
  fs::remove_all(wiping, ec);
  if (ec) return absl::InternalError(absl::StrCat("remove ", wiping.string(), ": ", ec.message()));
  if (fs::exists(db_path, ec)) {
    fs::rename(db_path, wiping, ec);
    if (ec) return absl::InternalError(absl::StrCat("rename ", db_path, ": ", ec.message()));
    fs::remove_all(wiping, ec);
    if (ec) {
      return absl::InternalError(absl::StrCat("remove ", wiping.string(), ": ", ec.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// StateEnv

absl::StatusOr<std::unique_ptr<StateEnv>> StateEnv::Create(const StateMemoryOptions& options) {
  if (options.block_cache_bytes == 0) {
    return absl::InvalidArgumentError("StateMemoryOptions.block_cache_bytes must be > 0");
  }
  if (options.write_buffer_bytes == 0 || options.memtable_bytes == 0) {
    return absl::InvalidArgumentError(
        "StateMemoryOptions.write_buffer_bytes and memtable_bytes must be > 0");
  }
  if (options.write_buffer_bytes > options.block_cache_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("StateMemoryOptions.write_buffer_bytes (", options.write_buffer_bytes,
                     ") is charged to the block cache and must not exceed block_cache_bytes (",
                     options.block_cache_bytes, ")"));
  }
  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  if (cache == nullptr) return absl::InternalError("RocksDB NewLRUCache failed");
  // Memtables reserve their memory in the block cache, so block_cache_bytes bounds blocks and
  // memtables together. No stall: the manager flushes the largest memtable when over budget.
  auto wbm = std::make_shared<rocksdb::WriteBufferManager>(options.write_buffer_bytes, cache,
                                                           /*allow_stall=*/false);
  return std::make_unique<StateEnv>(PrivateTag{}, options, std::move(cache), std::move(wbm));
}

StateEnv::StateEnv(PrivateTag, StateMemoryOptions options, std::shared_ptr<rocksdb::Cache> cache,
                   std::shared_ptr<rocksdb::WriteBufferManager> wbm)
    : options_(options), cache_(std::move(cache)), wbm_(std::move(wbm)) {}

StateEnv::~StateEnv() = default;

size_t StateEnv::cache_usage() const { return cache_->GetUsage(); }

// ---------------------------------------------------------------------------------------------
// PartitionStore

struct PartitionStore::Impl {
  PartitionStoreOptions options;
  ChangelogSink* changelog = nullptr;
  std::string checkpoint_path;
  std::string db_path;
  // Declared before `db` so the folder stays locked until the database is closed.
  std::unique_ptr<FolderLock> lock;
  Database db;
  // The open transaction's writes, key -> value (nullopt: a delete); a key written twice keeps
  // its last value. A hash map, not RocksDB's WriteBatchWithIndex: a record's Get and Put cost
  // a hash each instead of two skip-list searches (profile in docs/state.md); the batch is
  // built at commit, in key order, so the memtable inserts walk the skip list forward.
  absl::flat_hash_map<std::string, std::optional<std::string>> pending;
  // The last committed transaction's writes while `writer` (a thread of their own) writes them
  // to RocksDB with their checkpoint `writing_offset`: the processing thread goes on with the
  // next transaction meanwhile. Reads see them after the pending writes. Nothing changes this
  // map or `writing_offset` while the writer runs; the writer touches nothing else of Impl but
  // `write_status`, `retired` and the database. JoinWriter ends the write.
  absl::flat_hash_map<std::string, std::optional<std::string>> writing;
  // The transaction before `writing`'s, written already: freed by the next background write
  // (thousands of strings; freeing them was a few percent of the processing thread's time).
  // Touched by the processing thread only while no writer runs.
  absl::flat_hash_map<std::string, std::optional<std::string>> retired;
  int64_t writing_offset = -1;
  std::thread writer;
  absl::Status write_status;  // the writer's result, read after the join
  // A background write failed: its transaction's writes are not in the database and its
  // checkpoint did not move. Every later commit and Close returns this (the runtime stops and
  // a restart restores from the changelog), so no later checkpoint can vouch for them.
  absl::Status failed;
  // Restored changelog records not yet written, in changelog order. (Not sorted by key as a
  // transaction's writes are: in a restore's batches of 10,000 among the memtable's hundreds of
  // thousands of keys, sorting saved no insert time and cost its own.)
  rocksdb::WriteBatch restored;
  int64_t checkpoint_offset = -1;
  std::string rebuilt;
  bool rebuilt_from_new = false;
  // An attempt is open (BeginAttempt): its writes wait here, in write order, until
  // CommitAttempt moves them into `pending` and their changelog records to the sink.
  bool in_attempt = false;
  std::vector<std::pair<std::string, std::optional<std::string>>> attempt;
  // Whether <path>/CHECKPOINT (the layout before the checkpoint moved into the database) is
  // known to be gone.
  bool legacy_checkpoint_removed = false;
  // True while Scan runs a callback: the scan holds views of the pending writes, which any
  // update may move, so writes from inside a scan are refused, not corrupted.
  bool scanning = false;

  // Writes are not synced (sync=false): a process crash keeps the OS page cache, so the WAL
  // survives it, and the changelog in Kafka, not these files, is the truth. A machine crash
  // (power loss, kernel panic) loses a suffix of the WAL, and with it the checkpoints written
  // in the same batches: what is left is consistent and behind, and replayed (see the top).
  rocksdb::WriteOptions write_options;

  absl::Status CheckOpen() const {
    if (!db.is_open()) {
      return absl::FailedPreconditionError(
          absl::StrCat("partition store ", options.path, " is closed"));
    }
    return absl::OkStatus();
  }
  absl::Status CheckWritable() const {
    if (absl::Status st = CheckOpen(); !st.ok()) return st;
    if (scanning) {
      return absl::FailedPreconditionError(
          absl::StrCat("partition store ", options.path,
                       ": writes from inside a Scan callback are not "
                       "supported; collect the keys and write after the scan"));
    }
    return absl::OkStatus();
  }
  // Writes `batch` (the keys of a transaction or a restore, or nothing) to the database, with
  // the checkpoint moved to `offset` in the same atomic write when `offset` >= 0. On failure
  // neither the keys nor the checkpoint changed; the batch is left to the caller.
  absl::Status WriteWithCheckpoint(rocksdb::WriteBatchBase* batch, int64_t offset,
                                   bool clean_shutdown) {
    if (absl::Status st = WriteBatchAndCheckpoint(batch, offset, clean_shutdown); !st.ok()) {
      return st;
    }
    CheckpointWritten(offset);
    return absl::OkStatus();
  }
  // The write itself, touching nothing of Impl but the database: the background writer runs it.
  absl::Status WriteBatchAndCheckpoint(rocksdb::WriteBatchBase* batch, int64_t offset,
                                       bool clean_shutdown) const {
    rocksdb::WriteBatch only_checkpoint;
    if (batch == nullptr) batch = &only_checkpoint;
    batch->SetSavePoint();
    if (offset >= 0) {
      v1::Checkpoint checkpoint;
      checkpoint.set_next_offset(offset);
      checkpoint.set_clean_shutdown(clean_shutdown);
      checkpoint.set_written_at_ms(NowMs());
      const rocksdb::Status put =
          batch->Put(db.meta.get(), kCheckpointKey, checkpoint.SerializeAsString());
      if (!put.ok()) return FromRocks(put, "checkpoint into batch of", db_path);
    }
    const rocksdb::Status s = db->Write(write_options, batch->GetWriteBatch());
    if (!s.ok()) {
      // The checkpoint must not stay in a batch the caller may retry with another offset.
      batch->RollbackToSavePoint().PermitUncheckedError();
      return FromRocks(s, "write to", db_path);
    }
    batch->PopSavePoint().PermitUncheckedError();
    return absl::OkStatus();
  }
  void CheckpointWritten(int64_t offset) {
    if (offset < 0) return;
    checkpoint_offset = offset;
    if (!legacy_checkpoint_removed) {
      // Best effort: the database's own checkpoint wins over the file at every open.
      std::error_code ec;
      fs::remove(checkpoint_path, ec);
      legacy_checkpoint_removed = !ec;
    }
  }
  // Ends the background write, if one runs: on success its writes and checkpoint are in the
  // database; on failure the store stays failed (see `failed`). Returns `failed`.
  absl::Status JoinWriter() {
    if (writer.joinable()) {
      writer.join();
      if (write_status.ok()) {
        CheckpointWritten(writing_offset);
      } else if (failed.ok()) {
        // Not the write's own code (an I/O error may read as transient): this store cannot
        // go on without a restore.
        failed = absl::FailedPreconditionError(absl::StrCat(
            "partition store ", options.path,
            ": the write of a committed transaction failed (a restore from the changelog "
            "repairs it): ",
            write_status.message()));
      }
      retired = std::move(writing);
      writing.clear();  // moved from: empty already, now also by contract
      writing_offset = -1;
    }
    return failed;
  }
  // `writes` (distinct keys) as one batch in key order: consecutive memtable inserts then
  // share most of their skip-list path.
  template <typename Writes>
  absl::StatusOr<rocksdb::WriteBatch> SortedBatch(const Writes& writes) const {
    std::vector<const typename Writes::value_type*> sorted;
    sorted.reserve(writes.size());
    for (const auto& w : writes) sorted.push_back(&w);
    std::sort(sorted.begin(), sorted.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    rocksdb::WriteBatch batch;
    for (const auto* w : sorted) {
      const rocksdb::Status s =
          w->second.has_value()
              ? batch.Put(db.keys.get(), ToSlice(w->first), ToSlice(*w->second))
              : batch.Delete(db.keys.get(), ToSlice(w->first));
      if (!s.ok()) return FromRocks(s, "batch of", db_path);
    }
    return batch;
  }
  // The background writer's job: `writing` and its checkpoint into the database.
  absl::Status WriteInBackground() const {
    if (options.write_hook) {
      if (absl::Status st = options.write_hook(); !st.ok()) return st;
    }
    absl::StatusOr<rocksdb::WriteBatch> batch = SortedBatch(writing);
    if (!batch.ok()) return batch.status();
    return WriteBatchAndCheckpoint(&*batch, writing_offset, /*clean_shutdown=*/false);
  }
  // Writes the restored records so far, with the checkpoint moved to `offset` when >= 0.
  absl::Status FlushRestored(int64_t offset) {
    if (restored.Count() == 0 && offset < 0) return absl::OkStatus();
    if (absl::Status st = WriteWithCheckpoint(&restored, offset, /*clean_shutdown=*/false);
        !st.ok()) {
      return st;
    }
    restored.Clear();
    return absl::OkStatus();
  }
};

absl::StatusOr<std::unique_ptr<PartitionStore>> PartitionStore::Open(
    const PartitionStoreOptions& options, ChangelogSink* changelog) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("PartitionStoreOptions.path is required");
  }
  if (options.env == nullptr) {
    return absl::InvalidArgumentError("PartitionStoreOptions.env is required");
  }
  if (options.restore_batch_records <= 0) {
    return absl::InvalidArgumentError("PartitionStoreOptions.restore_batch_records must be > 0");
  }
  std::error_code ec;
  fs::create_directories(options.path, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("create state folder ", options.path, ": ", ec.message()));
  }

  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->changelog = changelog;
  const fs::path folder(options.path);
  impl->checkpoint_path = (folder / kCheckpointFile).string();
  impl->db_path = (folder / kDbDir).string();
  absl::StatusOr<std::unique_ptr<FolderLock>> lock =
      FolderLock::Acquire((folder / kLockFile).string());
  if (!lock.ok()) return lock.status();
  impl->lock = *std::move(lock);

  // Why the folder must be wiped; empty if the checkpoint and the database are usable.
  std::string why;
  if (!fs::exists(fs::path(impl->db_path) / "CURRENT", ec)) {
    why = kNoCheckpoint;  // no database (a new folder, or one whose wipe was interrupted)
  } else {
    const rocksdb::Status s =
        OpenDb(MakeOptions(*options.env, /*create_if_missing=*/false), impl->db_path, impl->db,
               /*read_only=*/false, options.compaction);
    if (!s.ok()) {
      if (!FilesAreBad(s)) return FromRocks(s, "open", impl->db_path);
      why = absl::StrCat("the database failed to open: ",
                         FromRocks(s, "open", impl->db_path).message());
    }
  }
  if (why.empty()) {
    absl::StatusOr<v1::Checkpoint> checkpoint = ReadDbCheckpoint(impl->db, impl->db_path);
    if (absl::IsNotFound(checkpoint.status())) {
      // A folder written before the checkpoint moved into the database.
      checkpoint = ReadCheckpoint(impl->checkpoint_path);
    } else {
      impl->legacy_checkpoint_removed = !fs::exists(impl->checkpoint_path, ec);
    }
    if (checkpoint.ok()) {
      if (checkpoint->next_offset() < 0) {
        why = absl::StrCat("the checkpoint of ", impl->db_path, " has a negative offset ",
                           checkpoint->next_offset());
      } else {
        impl->checkpoint_offset = checkpoint->next_offset();
      }
    } else if (absl::IsNotFound(checkpoint.status())) {
      why = kNoCheckpoint;  // keys without a checkpoint: an interrupted first restore
    } else if (absl::IsDataLoss(checkpoint.status())) {
      why = std::string(checkpoint.status().message());
    } else {
      return checkpoint.status();  // an I/O problem, not a verdict on the files: don't wipe
    }
  }

  if (!why.empty()) {
    impl->db.Reset();
    if (absl::Status st = Wipe(impl->checkpoint_path, impl->db_path); !st.ok()) return st;
    impl->legacy_checkpoint_removed = true;
    const rocksdb::Status s =
        OpenDb(MakeOptions(*options.env, /*create_if_missing=*/true), impl->db_path, impl->db,
               /*read_only=*/false, options.compaction);
    if (!s.ok()) return FromRocks(s, "create", impl->db_path);
    impl->checkpoint_offset = -1;
    impl->rebuilt_from_new = why == kNoCheckpoint;
    impl->rebuilt = std::move(why);
  }
  return std::make_unique<PartitionStore>(PrivateTag{}, std::move(impl));
}

PartitionStore::PartitionStore(PrivateTag, std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PartitionStore::~PartitionStore() {
  // A running write finishes first (its thread must not outlive the database); its result
  // needs no report here: a failed write never moved the checkpoint.
  impl_->JoinWriter().IgnoreError();
  if (!impl_->db.is_open()) return;
  // Not closed explicitly: the last checkpoint written by CommitPending/FinishRestore still
  // holds (it is never ahead of the database), so nothing more is written here. The close
  // status is dropped on purpose: a destructor cannot report it, and the WAL plus the
  // changelog cover whatever the close could not finish.
  impl_->pending.clear();
  impl_->db.Close().PermitUncheckedError();
}

absl::StatusOr<std::optional<std::string>> PartitionStore::Get(absl::string_view key) {
  if (absl::Status st = impl_->CheckOpen(); !st.ok()) return st;
  if (impl_->in_attempt) {
    // The attempt's own writes first, the latest of a key winning.
    for (auto it = impl_->attempt.rbegin(); it != impl_->attempt.rend(); ++it) {
      if (it->first == key) return it->second;
    }
  }
  if (const auto it = impl_->pending.find(key); it != impl_->pending.end()) return it->second;
  // Being written: the database may or may not have it yet, and holds the same value if it has.
  if (const auto it = impl_->writing.find(key); it != impl_->writing.end()) return it->second;
  std::string value;
  const rocksdb::Status s =
      impl_->db->Get(rocksdb::ReadOptions(), impl_->db.keys.get(), ToSlice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "get from", impl_->db_path);
  return value;
}

absl::Status PartitionStore::Put(absl::string_view key, absl::string_view value) {
  if (absl::Status st = impl_->CheckWritable(); !st.ok()) return st;
  if (impl_->in_attempt) {
    impl_->attempt.emplace_back(std::string(key), std::string(value));
    return absl::OkStatus();
  }
  // Changelog first: if it refuses the record, the pending writes are left unchanged.
  if (impl_->changelog != nullptr) {
    if (absl::Status st = impl_->changelog->Append(key, value); !st.ok()) return st;
  }
  impl_->pending.insert_or_assign(std::string(key), std::string(value));
  return absl::OkStatus();
}

absl::Status PartitionStore::Delete(absl::string_view key) {
  if (absl::Status st = impl_->CheckWritable(); !st.ok()) return st;
  if (impl_->in_attempt) {
    impl_->attempt.emplace_back(std::string(key), std::nullopt);
    return absl::OkStatus();
  }
  if (impl_->changelog != nullptr) {
    if (absl::Status st = impl_->changelog->Append(key, std::nullopt); !st.ok()) return st;
  }
  impl_->pending.insert_or_assign(std::string(key), std::nullopt);
  return absl::OkStatus();
}

absl::Status PartitionStore::Scan(absl::string_view begin, absl::string_view end,
                                  const ScanFn& fn) {
  if (absl::Status st = impl_->CheckOpen(); !st.ok()) return st;
  // A scan reads the database: the last transaction's writes must be in it.
  if (absl::Status st = impl_->JoinWriter(); !st.ok()) return st;
  if (impl_->scanning) {
    return absl::FailedPreconditionError(
        absl::StrCat("partition store ", impl_->options.path, ": nested Scan is not supported"));
  }
  if (!end.empty() && end <= begin) return absl::OkStatus();
  const auto in_range = [&](absl::string_view key) {
    return key >= begin && (end.empty() || key < end);
  };

  // The unwritten side in key order: the transaction's writes, the open attempt's over them.
  absl::flat_hash_map<absl::string_view, const std::optional<std::string>*> unwritten;
  for (const auto& [key, value] : impl_->pending) {
    if (in_range(key)) unwritten[key] = &value;
  }
  if (impl_->in_attempt) {
    for (const auto& [key, value] : impl_->attempt) {
      if (in_range(key)) unwritten[key] = &value;
    }
  }
  std::vector<std::pair<absl::string_view, const std::optional<std::string>*>> overlay(
      unwritten.begin(), unwritten.end());
  std::sort(overlay.begin(), overlay.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });

  rocksdb::ReadOptions read_options;
  const rocksdb::Slice upper = ToSlice(end);  // must outlive the iterator
  if (!end.empty()) read_options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(read_options, impl_->db.keys.get()));

  impl_->scanning = true;
  struct ResetScanning {
    bool& flag;
    ~ResetScanning() { flag = false; }
  } reset{impl_->scanning};
  // A merge of the two sorted sides; an unwritten write shadows the database's value of its
  // key, and an unwritten delete hides it.
  size_t next = 0;
  for (it->Seek(ToSlice(begin));;) {
    const bool stored = it->Valid();
    if (!stored && next == overlay.size()) break;
    const int order = !stored                  ? 1
                      : next == overlay.size() ? -1
                                               : ToView(it->key()).compare(overlay[next].first);
    if (order < 0) {
      if (!fn(ToView(it->key()), ToView(it->value()))) break;
      it->Next();
      continue;
    }
    if (order == 0) it->Next();
    const auto& [key, value] = overlay[next++];
    if (value->has_value() && !fn(key, **value)) break;
  }
  return FromRocks(it->status(), "scan of", impl_->db_path);
}

bool PartitionStore::has_pending() const {
  return !impl_->pending.empty() || !impl_->attempt.empty();
}

void PartitionStore::BeginAttempt() {
  impl_->attempt.clear();
  impl_->in_attempt = true;
}

void PartitionStore::RollbackAttempt() {
  impl_->in_attempt = false;
  impl_->attempt.clear();
}

absl::Status PartitionStore::CommitAttempt() {
  if (!impl_->in_attempt) return absl::OkStatus();
  impl_->in_attempt = false;
  std::vector<std::pair<std::string, std::optional<std::string>>> writes;
  writes.swap(impl_->attempt);
  for (auto& [key, value] : writes) {
    if (impl_->changelog != nullptr) {
      std::optional<absl::string_view> v;
      if (value.has_value()) v = *value;
      // On an error the writes so far stay pending; the caller rolls back their unit.
      if (absl::Status st = impl_->changelog->Append(key, v); !st.ok()) return st;
    }
    impl_->pending.insert_or_assign(std::move(key), std::move(value));
  }
  writes.clear();
  impl_->attempt.swap(writes);  // keeps the vector's capacity for the next attempt
  return absl::OkStatus();
}

absl::Status PartitionStore::CommitPending(int64_t changelog_next_offset) {
  if (absl::Status st = impl_->CheckWritable(); !st.ok()) return st;
  // One write at a time, in commit order: the previous transaction's first.
  if (absl::Status st = impl_->JoinWriter(); !st.ok()) return st;
  if (impl_->pending.empty() && changelog_next_offset < 0) return absl::OkStatus();
  // The transaction's keys and the checkpoint after its changelog records go to RocksDB in one
  // atomic write, in key order, on a thread of its own (profile in docs/benchmarks.md: the
  // write was a fifth of the processing thread's time). Until it ends, a crash leaves the
  // database and its checkpoint where they were, behind the changelog, as a crash before this
  // call would: the restore replays from the checkpoint.
  impl_->writing.swap(impl_->pending);
  // The next transaction is likely about as large as this one: its map is sized once rather
  // than grown through a rehash per doubling.
  impl_->pending.reserve(impl_->writing.size());
  impl_->writing_offset = changelog_next_offset;
  Impl* impl = impl_.get();
  impl_->writer = std::thread([impl] {
    impl->write_status = impl->WriteInBackground();
    // After the write, which the next commit waits for.
    absl::flat_hash_map<std::string, std::optional<std::string>>().swap(impl->retired);
  });
  return absl::OkStatus();
}

absl::Status PartitionStore::WaitForWrites() {
  if (absl::Status st = impl_->CheckOpen(); !st.ok()) return st;
  return impl_->JoinWriter();
}

absl::Status PartitionStore::Rebuild(absl::string_view why) {
  if (absl::Status st = impl_->CheckOpen(); !st.ok()) return st;
  // Whatever the last write did no longer matters: the files go, and the restore rebuilds them.
  impl_->JoinWriter().IgnoreError();
  impl_->failed = absl::OkStatus();
  impl_->pending.clear();
  impl_->restored.Clear();
  impl_->in_attempt = false;
  impl_->attempt.clear();
  impl_->db.Close().PermitUncheckedError();  // its files are about to go
  if (absl::Status st = Wipe(impl_->checkpoint_path, impl_->db_path); !st.ok()) return st;
  impl_->legacy_checkpoint_removed = true;
  const rocksdb::Status s = OpenDb(MakeOptions(*impl_->options.env, /*create_if_missing=*/true),
                                   impl_->db_path, impl_->db, /*read_only=*/false,
                                   impl_->options.compaction);
  if (!s.ok()) return FromRocks(s, "create", impl_->db_path);
  impl_->checkpoint_offset = -1;
  impl_->rebuilt_from_new = false;
  impl_->rebuilt = std::string(why);
  return absl::OkStatus();
}

void PartitionStore::DiscardPending() {
  impl_->pending.clear();
  impl_->in_attempt = false;
  impl_->attempt.clear();
}

absl::Status PartitionStore::ApplyRestored(absl::string_view key,
                                           std::optional<absl::string_view> value) {
  if (absl::Status st = impl_->CheckWritable(); !st.ok()) return st;
  if (has_pending()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "partition store ", impl_->options.path, ": restore with an open transaction's writes"));
  }
  if (absl::Status st = impl_->JoinWriter(); !st.ok()) return st;
  const rocksdb::Status s = value.has_value()
                                ? impl_->restored.Put(impl_->db.keys.get(), ToSlice(key),
                                                      ToSlice(*value))
                                : impl_->restored.Delete(impl_->db.keys.get(), ToSlice(key));
  if (!s.ok()) return FromRocks(s, "restore batch of", impl_->db_path);
  // Partial restore batches may reach the database before FinishRestore moves the checkpoint:
  // the database is then ahead of its checkpoint, which is safe (replaying puts and deletes
  // in order is idempotent); it is never behind it.
  if (static_cast<int64_t>(impl_->restored.Count()) >= impl_->options.restore_batch_records) {
    return impl_->FlushRestored(/*offset=*/-1);
  }
  return absl::OkStatus();
}

absl::Status PartitionStore::FinishRestore(int64_t next_offset) {
  if (absl::Status st = impl_->CheckWritable(); !st.ok()) return st;
  if (next_offset < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("FinishRestore: next_offset must be >= 0, got ", next_offset));
  }
  if (absl::Status st = impl_->JoinWriter(); !st.ok()) return st;
  return impl_->FlushRestored(next_offset);
}

int64_t PartitionStore::checkpoint_offset() const {
  // A checkpoint being written counts already: if its write fails, the store refuses every
  // later commit, so nothing builds on it.
  if (impl_->writer.joinable() && impl_->writing_offset >= 0) return impl_->writing_offset;
  return impl_->checkpoint_offset;
}

absl::StatusOr<v1::Checkpoint> PartitionStore::StoredCheckpoint(const std::string& path) {
  const std::string db_path = (fs::path(path) / kDbDir).string();
  rocksdb::Options options;
  Database db;
  const std::string legacy = (fs::path(path) / kCheckpointFile).string();
  const rocksdb::Status s = OpenDb(options, db_path, db, /*read_only=*/true);
  if (!s.ok()) {
    // A folder from before the checkpoint moved into the database has no "onceflow" family.
    absl::StatusOr<v1::Checkpoint> from_file = ReadCheckpoint(legacy);
    if (from_file.ok()) return from_file;
    return FromRocks(s, "open (read-only)", db_path);
  }
  absl::StatusOr<v1::Checkpoint> checkpoint = ReadDbCheckpoint(db, db_path);
  if (absl::IsNotFound(checkpoint.status())) return ReadCheckpoint(legacy);
  return checkpoint;
}

const std::string& PartitionStore::rebuilt() const { return impl_->rebuilt; }
bool PartitionStore::rebuilt_from_new() const { return impl_->rebuilt_from_new; }

absl::Status PartitionStore::Close() {
  if (!impl_->db.is_open()) return absl::OkStatus();
  if (has_pending()) {
    return absl::FailedPreconditionError(
        absl::StrCat("partition store ", impl_->options.path,
                     ": Close with pending writes; CommitPending or DiscardPending first"));
  }
  if (absl::Status st = impl_->JoinWriter(); !st.ok()) {
    // The database lacks a committed transaction: no checkpoint (clean or not) may be written.
    impl_->db.Close().PermitUncheckedError();
    impl_->lock.reset();
    return st;
  }
  // An unfinished restore is dropped: its checkpoint never moved, so it restarts from there.
  impl_->restored.Clear();
  if (impl_->checkpoint_offset >= 0) {
    if (absl::Status st = impl_->WriteWithCheckpoint(nullptr, impl_->checkpoint_offset,
                                                     /*clean_shutdown=*/true);
        !st.ok()) {
      return st;
    }
  }
  // One fsync at a clean stop, so that a machine crash soon after does not cost a replay.
  if (absl::Status st = FromRocks(impl_->db->SyncWAL(), "sync WAL of", impl_->db_path);
      !st.ok()) {
    return st;
  }
  const rocksdb::Status s = impl_->db.Close();
  impl_->lock.reset();
  return FromRocks(s, "close", impl_->db_path);
}

absl::Status PartitionStore::CompactAll() {
  if (absl::Status st = impl_->CheckOpen(); !st.ok()) return st;
  if (absl::Status st = impl_->JoinWriter(); !st.ok()) return st;
  // Both families: atomic_flush flushes them together anyway.
  const rocksdb::Status flushed =
      impl_->db->Flush(rocksdb::FlushOptions(), {impl_->db.keys.get(), impl_->db.meta.get()});
  if (!flushed.ok()) return FromRocks(flushed, "flush", impl_->db_path);
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  return FromRocks(
      impl_->db->CompactRange(options, impl_->db.keys.get(), nullptr, nullptr), "compact",
      impl_->db_path);
}

uint64_t PartitionStore::ApproximateKeys() const {
  uint64_t keys = 0;
  if (!impl_->db.is_open() || !impl_->db->GetIntProperty(
                                   impl_->db.keys.get(),
                                   rocksdb::DB::Properties::kEstimateNumKeys, &keys)) {
    return 0;
  }
  return keys;
}

}  // namespace onceflow::state
