// The value of a dedupe entry ("k" + key -> this), in the store and in its changelog.
//
//   std::string bytes, scratch;
//   state::EncodeDedupeEntry({.first_seen_ms = now, .input_offset = 42, .input_topic = "in"},
//                            bytes);
//   ONCEFLOW_ASSIGN_OR_RETURN(state::DedupeEntry entry,
//                             state::DecodeDedupeEntry(bytes, scratch));
//
// Two layouts are read; the first byte tells them apart:
//   - written since 2026-11-26 (issue 14): 0x00, 0x01 (format), first_seen_ms and
//     input_offset as varints (protobuf's base-128, of the two's complement), then the input
//     topic's bytes (the rest of the value): 11 bytes and the topic for a new key. Encoded
//     into a caller's buffer, with no message object and no allocation once the buffer has
//     grown.
//   - written before: a serialized onceflow.v1.DedupeEntry (proto/onceflow/v1/state.proto).
//     Its first byte is a field tag, never 0 (field number 0 does not exist), or the value is
//     empty (every field at its default).
// Stores and changelogs written before hold the old layout and are read as they are; an
// entry that passes again is rewritten in the new one. An onceflow older than this cannot
// read the new layout (it reports a corrupt entry): going back a version means a new state
// folder and changelog.
#ifndef ONCEFLOW_STATE_DEDUPE_ENTRY_H_
#define ONCEFLOW_STATE_DEDUPE_ENTRY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onceflow::state {

struct DedupeEntry {
  // When the key was first seen (clock time, ms since the epoch).
  int64_t first_seen_ms = 0;
  // Where: the input record's offset and topic. A record that finds an entry written by itself
  // (a retry of its transform, an at-least-once replay) is not a duplicate of itself.
  int64_t input_offset = 0;
  // A view: see DecodeDedupeEntry for what it points into.
  absl::string_view input_topic;
};

// Replaces `out` with the current layout of `entry`.
void EncodeDedupeEntry(const DedupeEntry& entry, std::string& out);

// Either layout; kDataLoss if `bytes` is neither. The result's input_topic points into
// `bytes` (current layout) or into `scratch` (the old one, whose topic is copied there): it is
// valid while both are and `scratch` is not changed.
absl::StatusOr<DedupeEntry> DecodeDedupeEntry(absl::string_view bytes, std::string& scratch);

}  // namespace onceflow::state

#endif  // ONCEFLOW_STATE_DEDUPE_ENTRY_H_
