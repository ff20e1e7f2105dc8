#include "state/dedupe.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "state/dedupe_entry.h"

namespace onceflow::state {
namespace {

constexpr char kEntryPrefix = 'k';
// The time index of the layout before expiry moved into compaction: dropped when met.
constexpr char kLegacyTimePrefix = 't';

}  // namespace

// The compaction policy: the window's start is published by Check (the processing thread)
// and read by RocksDB's compaction threads.
class Deduper::Expiry : public CompactionPolicy {
 public:
  // Entries first seen before `cutoff_ms` are outside the window.
  void Advance(int64_t cutoff_ms) { cutoff_ms_.store(cutoff_ms, std::memory_order_relaxed); }
  int64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

  bool Drop(absl::string_view key, absl::string_view value) override {
    if (key.empty()) return false;
    if (key[0] == kLegacyTimePrefix) return true;
    if (key[0] != kEntryPrefix) return false;
    const int64_t cutoff = cutoff_ms_.load(std::memory_order_relaxed);
    if (cutoff == kNoCutoff) return false;
    std::string scratch;
    absl::StatusOr<DedupeEntry> entry = DecodeDedupeEntry(value, scratch);
    // An entry that does not decode is kept: Check reports it where it meets it.
    if (!entry.ok()) return false;
    if (entry->first_seen_ms >= cutoff) return false;
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

 private:
  static constexpr int64_t kNoCutoff = INT64_MIN;  // no Check yet, or a window of forever
  std::atomic<int64_t> cutoff_ms_{kNoCutoff};
  std::atomic<int64_t> dropped_{0};
};

absl::StatusOr<std::unique_ptr<Deduper>> Deduper::Create(DedupeOptions options,
                                                         base::Clock& clock) {
  if (options.window.count() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("dedupe window must be >= 0 (0 = forever), got ",
                                                   options.window.count(), " ms"));
  }
  absl::StatusOr<std::unique_ptr<KeyExtractor>> extractor = KeyExtractor::Create(options);
  if (!extractor.ok()) return extractor.status();
  return std::make_unique<Deduper>(PrivateTag{}, std::move(options), *std::move(extractor), clock);
}

Deduper::Deduper(PrivateTag, DedupeOptions options, std::unique_ptr<KeyExtractor> extractor,
                 base::Clock& clock)
    : options_(std::move(options)),
      extractor_(std::move(extractor)),
      clock_(clock),
      expiry_(std::make_shared<Expiry>()) {}

std::shared_ptr<CompactionPolicy> Deduper::compaction_policy() const { return expiry_; }

const DedupeCounters& Deduper::counters() {
  counters_.expired = expiry_->dropped();
  return counters_;
}

absl::StatusOr<Deduper::Verdict> Deduper::Check(const RecordView& record, KeyValueStore& store) {
  absl::StatusOr<std::optional<std::string>> key = extractor_->Extract(record);
  if (!key.ok()) return key.status();
  ++counters_.seen;
  if (!key->has_value() || (*key)->empty()) {
    ++counters_.keyless;
    return Verdict::kKeyless;
  }
  const absl::string_view id = **key;
  const int64_t now = clock_.NowMs();
  const int64_t window_ms = options_.window.count();
  // Check and the compaction policy agree: an entry is inside the window while
  // now - first_seen < window, i.e. first_seen > now - window.
  if (window_ms > 0) expiry_->Advance(now - window_ms + 1);
  // The entry's key and value are built in buffers kept across calls: no allocation per key
  // once they have grown (profile in docs/benchmarks.md).
  entry_key_.assign(1, kEntryPrefix);
  entry_key_.append(id.data(), id.size());

  absl::StatusOr<std::optional<std::string>> existing = store.Get(entry_key_);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    absl::StatusOr<DedupeEntry> entry = DecodeDedupeEntry(**existing, topic_scratch_);
    if (!entry.ok()) {
      return absl::DataLossError(absl::StrCat("dedupe entry for key of ", id.size(),
                                              " bytes: ", entry.status().message()));
    }
    if (record.offset >= 0 && entry->input_offset == record.offset &&
        entry->input_topic == record.topic) {
      // The entry is this very record's: its transform is being retried, or an at-least-once
      // replay brings it again. It is not a duplicate of itself; nothing to write.
      ++counters_.rechecked;
      return Verdict::kPass;
    }
    if (window_ms == 0 || now - entry->first_seen_ms < window_ms) {
      ++counters_.duplicates;
      return Verdict::kDuplicate;
    }
    // Outside the window (not yet dropped by a compaction): this sighting replaces it.
  }

  EncodeDedupeEntry(
      {.first_seen_ms = now, .input_offset = record.offset, .input_topic = record.topic},
      entry_value_);
  if (absl::Status st = store.Put(entry_key_, entry_value_); !st.ok()) return st;
  ++counters_.passed;
  return Verdict::kPass;
}

}  // namespace onceflow::state
