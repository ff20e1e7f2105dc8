// Canonical JSON: one byte string per JSON document, whatever its member order and whitespace,
// so that equal documents hash alike (the dedupe json_hash key).
//
//   ONCEFLOW_ASSIGN_OR_RETURN(std::string canonical, CanonicalJson(R"({"b": 1, "a": [true]})"));
//   // canonical == R"({"a":[true],"b":1})"
//
// Thread-safety: both functions are thread-safe (no shared state).
#ifndef ONCEFLOW_STATE_CANONICAL_JSON_H_
#define ONCEFLOW_STATE_CANONICAL_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onceflow::state {

// `json` re-serialized canonically: object keys sorted (bytewise), no insignificant
// whitespace, numbers and strings as written (strings re-escaped minimally). kInvalidArgument
// with the byte offset for malformed JSON, for strings that are not UTF-8 (a \u escape of a
// lone surrogate included), for nesting deeper than base::kMaxJsonDepth, and for an object
// that repeats a key (its canonical form would be ambiguous; the JSON field lookups of the
// sidecar, which take the last member as JavaScript does, accept both).
absl::StatusOr<std::string> CanonicalJson(absl::string_view json);


}  // namespace onceflow::state

#endif  // ONCEFLOW_STATE_CANONICAL_JSON_H_
