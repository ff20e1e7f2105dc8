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

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "base/clock.h"
#include "state/kv_store.h"

namespace google::protobuf {
class Descriptor;
}  // namespace google::protobuf

namespace onceflow::state {

// What the deduper needs of a record (state/ does not depend on the runtime's Record).
struct RecordView {
  std::optional<absl::string_view> key;  // nullopt = null key
  std::optional<absl::string_view> value;
  // The input record's topic and offset: an entry written by the same record (same topic and
  // offset) does not make it a duplicate of itself (transform retries, at-least-once replays).
  absl::string_view topic;
  absl::Span<const std::pair<absl::string_view, absl::string_view>> headers;
  int64_t offset = -1;
};

// Where the idempotency key comes from. Hash keys (kContentHash, kJsonHash) are the raw
// 32-byte SHA-256 digest, not hex: half the bytes in RocksDB and the changelog. A null value
// has no hash key; an empty one is hashed like any content.
enum class DedupeKeySource {
  kRecordKey,    // the record key
  kHeader,       // the value of header `header` (the last one, if repeated)
  kContentHash,  // SHA-256 of the value bytes
  kJsonHash,     // SHA-256 of the value as canonical JSON (keys sorted, no whitespace)
  kProtoField,   // a field (dotted path) of the value parsed as protobuf `descriptor`
  kFunction,     // `key_fn`
};

struct DedupeOptions {
  DedupeKeySource source = DedupeKeySource::kRecordKey;
  // kHeader: the header name. Default: "idempotency-key".
  std::string header = "idempotency-key";
  // kProtoField: message type of the value (binary protobuf) and field path, e.g. "order.id".
  const google::protobuf::Descriptor* descriptor = nullptr;
  std::string field_path;
  // kFunction: returns the key, or nullopt for "no key".
  std::function<std::optional<std::string>(const RecordView&)> key_fn;
  // How long a key is remembered; 0 = forever. Default: 24 h.
  std::chrono::milliseconds window = std::chrono::hours(24);
};

// Extracts idempotency keys. A record without one (no key, no header, empty field...) yields
// nullopt; an empty key counts as none (deduping every "" id against each other would drop all
// but the first). A value that cannot be parsed (kJsonHash, kProtoField) is an error
// (kInvalidArgument) — the runtime's error policy applies to it. kProtoField takes singular
// string, bytes, integer, enum (its number) and bool fields; Create refuses any other path.
class KeyExtractor {
 public:
  static absl::StatusOr<std::unique_ptr<KeyExtractor>> Create(const DedupeOptions& options);
  virtual ~KeyExtractor() = default;
  virtual absl::StatusOr<std::optional<std::string>> Extract(const RecordView& record) const = 0;
};

// `json` re-serialized canonically: object keys sorted (bytewise), no insignificant
// whitespace, numbers and strings as written (strings re-escaped minimally). kInvalidArgument
// with the byte offset for malformed JSON, for strings that are not UTF-8, and for an object
// that repeats a key (its canonical form would be ambiguous; the JSON field lookups of the
// sidecar, which take the last member as JavaScript does, accept both).
absl::StatusOr<std::string> CanonicalJson(absl::string_view json);

// Appends `decoded` to `out` as a JSON string literal, with minimal escaping: ", \, the
// short escapes \b \f \n \r \t, \u00XX for other control characters, everything else
// (non-ASCII UTF-8 included) as is.
void AppendJsonString(absl::string_view decoded, std::string& out);


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
