// Idempotency keys of records, for the deduper (state/dedupe.h): the record key, a header, a
// SHA-256 of the value's bytes or of its canonical JSON, a protobuf field, or a function.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<KeyExtractor> keys, KeyExtractor::Create(options));
//   ONCEFLOW_ASSIGN_OR_RETURN(std::optional<std::string> key, keys->Extract(view));
//
// Thread-safety: Extract is const and thread-safe, unless a kFunction key_fn is not.
#ifndef ONCEFLOW_STATE_KEY_EXTRACTOR_H_
#define ONCEFLOW_STATE_KEY_EXTRACTOR_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "state/dedupe_options.h"

namespace onceflow::state {

// The longest idempotency key a record may have. Keys are ids; each is stored in RocksDB (its
// entry's key) and in the changelog, whose records the broker caps (1 MB by
// default), so a key as large as its record is refused (kInvalidArgument: the error policy
// applies to that record) instead of being stored. Hash keys (32 bytes) never reach it: large
// values are deduped by kContentHash or kJsonHash.
inline constexpr size_t kMaxDedupeKeyBytes = 64 * 1024;

// Extracts idempotency keys. A record without one (no key, no header, empty field...) yields
// nullopt; an empty key counts as none (deduping every "" id against each other would drop all
// but the first). A value that cannot be parsed (kJsonHash, kProtoField) is an error
// (kInvalidArgument) — the runtime's error policy applies to it — and so is a key longer than
// kMaxDedupeKeyBytes. kProtoField takes singular
// string, bytes, integer, enum (its number) and bool fields; Create refuses any other path.
class KeyExtractor {
 public:
  static absl::StatusOr<std::unique_ptr<KeyExtractor>> Create(const DedupeOptions& options);
  virtual ~KeyExtractor() = default;
  virtual absl::StatusOr<std::optional<std::string>> Extract(const RecordView& record) const = 0;
};

}  // namespace onceflow::state

#endif  // ONCEFLOW_STATE_KEY_EXTRACTOR_H_
