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
// transaction and its changelog):
//   "k" + key                      -> v1::DedupeEntry (first_seen_ms, input_offset)
//   "t" + big-endian first_seen_ms + key -> ""   time index, only with a finite window
// Expiry walks the time index in order and deletes both entries (tombstones in the changelog).
#ifndef ONCEFLOW_STATE_DEDUPE_H_
#define ONCEFLOW_STATE_DEDUPE_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/clock.h"
#include "state/dedupe_options.h"
#include "state/key_extractor.h"
#include "state/kv_store.h"

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

  // Checks `record` against `store`; on kPass remembers its key (writes to `store`).
  absl::StatusOr<Verdict> Check(const RecordView& record, KeyValueStore& store);
  // Removes the entries of `store` older than the window; returns how many.
  // Removes the entries of `store` outside the window, oldest first, at most `limit` of them;
  // returns how many it removed (== limit: there may be more).
  absl::StatusOr<int64_t> Expire(KeyValueStore& store, int64_t limit = INT64_MAX);

  const DedupeCounters& counters() const { return counters_; }
  const DedupeOptions& options() const { return options_; }

  struct PrivateTag {};
  Deduper(PrivateTag, DedupeOptions options, std::unique_ptr<KeyExtractor> extractor,
          base::Clock& clock);

 private:
  DedupeOptions options_;
  std::unique_ptr<KeyExtractor> extractor_;
  base::Clock& clock_;
  DedupeCounters counters_;
};

}  // namespace onceflow::state

#endif  // ONCEFLOW_STATE_DEDUPE_H_
