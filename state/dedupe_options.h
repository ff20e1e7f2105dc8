// What the deduper is asked to do: where a record's idempotency key comes from and how long it
// is remembered (state/dedupe.h, state/key_extractor.h).
//
//   state::DedupeOptions options{.source = state::DedupeKeySource::kHeader,
//                                .header = "idempotency-key",
//                                .window = std::chrono::hours(24)};
#ifndef ONCEFLOW_STATE_DEDUPE_OPTIONS_H_
#define ONCEFLOW_STATE_DEDUPE_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

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
  // kFunction: returns the key, nullopt for "no key", or kInvalidArgument for a record whose
  // key cannot be read (the error policy applies to it). A function returning
  // std::optional<std::string> converts.
  std::function<absl::StatusOr<std::optional<std::string>>(const RecordView&)> key_fn;
  // How long a key is remembered; 0 = forever. Default: 24 h.
  std::chrono::milliseconds window = std::chrono::hours(24);
};

}  // namespace onceflow::state

#endif  // ONCEFLOW_STATE_DEDUPE_OPTIONS_H_
