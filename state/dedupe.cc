#include "state/dedupe.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "onceflow/v1/state.pb.h"

namespace onceflow::state {
namespace {

constexpr char kEntryPrefix = 'k';
constexpr char kTimePrefix = 't';
constexpr size_t kTimeKeyHeader = 1 + 8;  // "t" + big-endian ms
// Expire deletes in chunks: a scan callback must not write, so keys are collected first.
constexpr size_t kExpireChunk = 1024;

std::string EntryKey(absl::string_view key) {
  std::string out;
  out.reserve(1 + key.size());
  out.push_back(kEntryPrefix);
  out.append(key.data(), key.size());
  return out;
}

// Big-endian so that the bytewise order of the index is the time order.
std::string TimeKey(int64_t ms, absl::string_view key) {
  std::string out;
  out.reserve(kTimeKeyHeader + key.size());
  out.push_back(kTimePrefix);
  const auto u = static_cast<uint64_t>(ms);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(u >> shift));
  out.append(key.data(), key.size());
  return out;
}

int64_t TimeKeyMs(absl::string_view time_key) {
  uint64_t u = 0;
  for (size_t i = 1; i < kTimeKeyHeader; ++i)
    u = (u << 8) | static_cast<unsigned char>(time_key[i]);
  return static_cast<int64_t>(u);
}

absl::StatusOr<v1::DedupeEntry> ParseEntry(absl::string_view entry_key, const std::string& bytes) {
  v1::DedupeEntry entry;
  if (!entry.ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat("dedupe entry for key of ", entry_key.size() - 1,
                                            " bytes is not a valid DedupeEntry"));
  }
  return entry;
}

}  // namespace

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
    : options_(std::move(options)), extractor_(std::move(extractor)), clock_(clock) {}

absl::StatusOr<Deduper::Verdict> Deduper::Check(const RecordView& record, KeyValueStore& store) {
  absl::StatusOr<std::optional<std::string>> key = extractor_->Extract(record);
  if (!key.ok()) return key.status();
  ++counters_.seen;
  if (!key->has_value() || (*key)->empty()) {
    ++counters_.keyless;
    return Verdict::kKeyless;
  }
  const absl::string_view id = **key;
  // Clamped so that the big-endian time index sorts (a clock before 1970 is not expected).
  const int64_t now = std::max<int64_t>(clock_.NowMs(), 0);
  const int64_t window_ms = options_.window.count();
  const std::string entry_key = EntryKey(id);

  absl::StatusOr<std::optional<std::string>> existing = store.Get(entry_key);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    absl::StatusOr<v1::DedupeEntry> entry = ParseEntry(entry_key, **existing);
    if (!entry.ok()) return entry.status();
    if (record.offset >= 0 && entry->input_offset() == record.offset &&
        entry->input_topic() == record.topic) {
      // The entry is this very record's: its transform is being retried, or an at-least-once
      // replay brings it again. It is not a duplicate of itself; nothing to write.
      ++counters_.rechecked;
      return Verdict::kPass;
    }
    if (window_ms == 0 || now - entry->first_seen_ms() < window_ms) {
      ++counters_.duplicates;
      return Verdict::kDuplicate;
    }
    // Outside the window but not yet removed by Expire: this sighting replaces the old one.
    if (absl::Status st = store.Delete(TimeKey(entry->first_seen_ms(), id)); !st.ok()) return st;
  }

  v1::DedupeEntry entry;
  entry.set_first_seen_ms(now);
  entry.set_input_offset(record.offset);
  entry.set_input_topic(std::string(record.topic));
  if (absl::Status st = store.Put(entry_key, entry.SerializeAsString()); !st.ok()) return st;
  if (window_ms > 0) {
    if (absl::Status st = store.Put(TimeKey(now, id), ""); !st.ok()) return st;
  }
  ++counters_.passed;
  return Verdict::kPass;
}

absl::StatusOr<int64_t> Deduper::Expire(KeyValueStore& store, int64_t limit) {
  const int64_t window_ms = options_.window.count();
  if (window_ms == 0) return 0;  // forever: there is no time index
  const int64_t now = std::max<int64_t>(clock_.NowMs(), 0);
  // Entries first seen at or before `cutoff` are outside the window (Check agrees: it calls a
  // key a duplicate only while now - first_seen < window).
  const int64_t cutoff = now - window_ms;
  if (cutoff < 0) return 0;
  const std::string end = TimeKey(cutoff + 1, "");
  std::string begin(1, kTimePrefix);
  int64_t removed = 0;
  while (removed < limit) {
    const size_t want = static_cast<size_t>(std::min<int64_t>(kExpireChunk, limit - removed));
    std::vector<std::string> chunk;
    absl::Status scanned = store.Scan(begin, end, [&](absl::string_view k, absl::string_view) {
      chunk.emplace_back(k);
      return chunk.size() < want;
    });
    if (!scanned.ok()) return scanned;
    for (const std::string& time_key : chunk) {
      if (time_key.size() > kTimeKeyHeader) {
        const absl::string_view id = absl::string_view(time_key).substr(kTimeKeyHeader);
        const std::string entry_key = EntryKey(id);
        absl::StatusOr<std::optional<std::string>> existing = store.Get(entry_key);
        if (!existing.ok()) return existing.status();
        if (existing->has_value()) {
          absl::StatusOr<v1::DedupeEntry> entry = ParseEntry(entry_key, **existing);
          if (!entry.ok()) return entry.status();
          // A key seen again after its window has a newer entry (and index): keep that one.
          if (entry->first_seen_ms() == TimeKeyMs(time_key)) {
            if (absl::Status st = store.Delete(entry_key); !st.ok()) return st;
          }
        }
      }
      if (absl::Status st = store.Delete(time_key); !st.ok()) return st;
      ++removed;
    }
    if (chunk.size() < want) break;
    begin = chunk.back();
    begin.push_back('\0');  // the next key after it
  }
  counters_.expired += removed;
  return removed;
}

}  // namespace onceflow::state
