// Dedupe by idempotency key: drop a record whose key was already seen inside the window.
//
//   state::Deduper dedupe({.source = state::DedupeKeySource::kHeader, .window = 24h}, clock);
//   ONCEFLOW_ASSIGN_OR_RETURN(state::Deduper::Verdict v, dedupe.Check(view, store));
//   if (v == state::Deduper::Verdict::kDuplicate) return;  // drop it
//
// Keys are per store, and a store belongs to one input partition: duplicates are detected per
// input partition, so upstream must key records by their id (same id -> same partition).
//
// Storage layout in the KeyValueStore (all writes go through it, so they are in the
// transaction and its changelog): one entry per key,
//   "k" + key -> DedupeEntry (first_seen_ms, input_offset, input_topic; state/dedupe_entry.h:
//                             a compact layout, or a v1::DedupeEntry message in older stores)
// Expiry writes nothing: an entry first seen before the window is treated as absent by Check,
// dropped from the local files when RocksDB compacts them (compaction_policy(), handed to the
// store's PartitionStoreOptions), and aged out of the changelog topic by its retention
// (cleanup.policy compact,delete; see docs/state.md). Stores written before this layout also
// hold a time index ("t" + big-endian ms + key): Check never reads it, and the compaction
// policy drops it.
#ifndef ONCEFLOW_STATE_DEDUPE_H_
#define ONCEFLOW_STATE_DEDUPE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/clock.h"
#include "state/dedupe_options.h"
#include "state/key_extractor.h"
#include "state/kv_store.h"
#include "state/partition_store.h"

namespace onceflow::state {

struct DedupeCounters {
  int64_t seen = 0;        // records checked
  int64_t passed = 0;      // first time seen inside the window: passed on
  int64_t duplicates = 0;  // dropped
  int64_t keyless = 0;     // no key: passed on, counted
  int64_t expired = 0;     // entries removed by expiry
  int64_t rechecked = 0;   // the same input record checked again (retry, replay): passed
};

class Deduper {
 public:
  enum class Verdict { kPass, kDuplicate, kKeyless };

  // `clock` must outlive the Deduper.
  static absl::StatusOr<std::unique_ptr<Deduper>> Create(DedupeOptions options, base::Clock& clock);

  // Checks `record` against `store`; on kPass remembers its key (one write to `store`).
  absl::StatusOr<Verdict> Check(const RecordView& record, KeyValueStore& store);

  // The compaction policy of this deduper's stores: drops the entries first seen before the
  // window as of the latest Check (none before the first), and the time index of the older
  // layout. Thread-safe; shared by every partition's store.
  std::shared_ptr<CompactionPolicy> compaction_policy() const;

  // counters().expired counts the entries the compaction policy dropped (so far, any thread).
  const DedupeCounters& counters();
  const DedupeOptions& options() const { return options_; }

  struct PrivateTag {};
  Deduper(PrivateTag, DedupeOptions options, std::unique_ptr<KeyExtractor> extractor,
          base::Clock& clock);

 private:
  DedupeOptions options_;
  std::unique_ptr<KeyExtractor> extractor_;
  base::Clock& clock_;
  DedupeCounters counters_;
  // Check's buffers, kept across calls so that a key costs no allocation of its own here.
  std::string entry_key_;
  std::string entry_value_;
  std::string topic_scratch_;
  class Expiry;
  std::shared_ptr<Expiry> expiry_;
};

}  // namespace onceflow::state

#endif  // ONCEFLOW_STATE_DEDUPE_H_
