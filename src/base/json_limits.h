// The limits every JSON reader of onceflow applies to a record's value (the sidecar's field
// lookups for filter, route and dedupe json_field; the canonical JSON of dedupe json_hash), so
// that they accept and refuse the same documents.
#ifndef ONCEFLOW_BASE_JSON_LIMITS_H_
#define ONCEFLOW_BASE_JSON_LIMITS_H_

namespace onceflow::base {

// The most arrays and objects a JSON document may nest: `[[1]]` nests 2, `{"a": [1]}` 2, a
// scalar 0. Both readers recurse once per level, so a bound keeps a hostile value (100,000
// '[') from overflowing the stack; a deeper document is a per-record error, never a crash.
// 100 is protobuf's own limit for JSON (json_to_proto) and for binary messages, so no
// built-in takes a document another one refuses for its depth.
inline constexpr int kMaxJsonDepth = 100;

}  // namespace onceflow::base

#endif  // ONCEFLOW_BASE_JSON_LIMITS_H_
