#include "state/dedupe_entry.h"

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "onceflow/v1/state.pb.h"

namespace onceflow::state {
namespace {

// The current layout's first two bytes. A serialized v1::DedupeEntry never starts with 0x00.
constexpr char kMarker = '\x00';
constexpr char kFormat = '\x01';

// Varints as protobuf writes them (7 bits a byte, low first): a time in ms takes 6 bytes, an
// offset 1 to 5, a negative number 10.
void AppendVarint(uint64_t v, std::string& out) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Reads the varint at the front of `in` and drops it from `in`; false if `in` ends inside it
// or it runs past 10 bytes.
bool ConsumeVarint(absl::string_view& in, uint64_t& v) {
  v = 0;
  for (size_t i = 0; i < 10 && i < in.size(); ++i) {
    const auto byte = static_cast<unsigned char>(in[i]);
    v |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      in.remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

absl::Status Corrupt(absl::string_view bytes, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("dedupe entry of ", bytes.size(), " bytes ", why));
}

}  // namespace

void EncodeDedupeEntry(const DedupeEntry& entry, std::string& out) {
  out.clear();
  out.push_back(kMarker);
  out.push_back(kFormat);
  AppendVarint(static_cast<uint64_t>(entry.first_seen_ms), out);
  AppendVarint(static_cast<uint64_t>(entry.input_offset), out);
  out.append(entry.input_topic.data(), entry.input_topic.size());
}

absl::StatusOr<DedupeEntry> DecodeDedupeEntry(absl::string_view bytes, std::string& scratch) {
  DedupeEntry entry;
  if (!bytes.empty() && bytes[0] == kMarker) {
    if (bytes.size() < 2 || bytes[1] != kFormat) return Corrupt(bytes, "has an unknown format");
    absl::string_view in = bytes.substr(2);
    uint64_t first_seen_ms = 0;
    uint64_t input_offset = 0;
    if (!ConsumeVarint(in, first_seen_ms) || !ConsumeVarint(in, input_offset)) {
      return Corrupt(bytes, "is truncated");
    }
    entry.first_seen_ms = static_cast<int64_t>(first_seen_ms);
    entry.input_offset = static_cast<int64_t>(input_offset);
    entry.input_topic = in;  // the rest
    return entry;
  }
  // The layout before: a protobuf message.
  v1::DedupeEntry old;
  if (!old.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Corrupt(bytes, "is not a valid DedupeEntry");
  }
  entry.first_seen_ms = old.first_seen_ms();
  entry.input_offset = old.input_offset();
  scratch.swap(*old.mutable_input_topic());
  entry.input_topic = scratch;
  return entry;
}

}  // namespace onceflow::state
