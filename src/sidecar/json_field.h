// Looks up one field of a JSON document by dotted path, without building a document tree: the
// built-ins that read a field of a JSON value (filter, route, dedupe json_field) call it once per
// record, so it validates and scans the text in one pass and returns views into it.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(JsonPath path, JsonPath::Parse("order.id"));
//   absl::StatusOr<std::optional<JsonField>> id = FindJsonField(record.value(), path);
//   if (id.ok() && id->has_value()) {
//     std::string scratch;
//     absl::string_view text = (*id)->Text(scratch);  // "o-17" for {"order": {"id": "o-17"}}
//   }
//
// Semantics: the document must be one valid JSON value (RFC 8259; UTF-8 is not checked);
// anything else is kInvalidArgument with the byte offset. A document nested deeper than
// base::kMaxJsonDepth arrays and objects is not read (the scanner recurses per level): that is
// kOutOfRange. A field is found only through
// objects: `a.b` is member "b" of the object that is member "a" of the top-level object. If an
// object repeats a name, the last member wins (as in JavaScript). A path through something that
// is not an object (or a top-level value that is not an object) finds nothing.
#ifndef ONCEFLOW_SIDECAR_JSON_FIELD_H_
#define ONCEFLOW_SIDECAR_JSON_FIELD_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onceflow::sidecar {

// A dotted field path, split once when a transform is built.
class JsonPath {
 public:
  // "order.id" -> {"order", "id"}. kInvalidArgument for "" and for empty segments ("a..b").
  static absl::StatusOr<JsonPath> Parse(absl::string_view dotted);

  const std::vector<std::string>& segments() const { return segments_; }
  // The path as written, for messages.
  const std::string& dotted() const { return dotted_; }

 private:
  std::vector<std::string> segments_;
  std::string dotted_;
};

enum class JsonType { kString, kNumber, kBool, kNull, kObject, kArray };

// A field's value, as a view into the document that was searched (valid as long as it is).
struct JsonField {
  JsonType type = JsonType::kNull;
  // The value's JSON text exactly as written: `"a\nb"` with its quotes and escapes, `1.50`,
  // `true`, `{"x": 1}`.
  absl::string_view raw;

  // The value as text: a string's decoded contents (escapes resolved, no quotes); for every
  // other type its JSON text as written. Writes to `scratch` only when a string has escapes,
  // and then returns a view of it.
  absl::string_view Text(std::string& scratch) const;
  // True for strings, numbers and booleans: values that make sense as a key or a topic name.
  bool is_scalar() const {
    return type == JsonType::kString || type == JsonType::kNumber || type == JsonType::kBool;
  }
};

// Finds `path` in `json`. nullopt if the document is valid JSON without that field;
// kInvalidArgument (with the byte offset) if it is not valid JSON; kOutOfRange if it nests
// deeper than base::kMaxJsonDepth. Allocates nothing unless a member name on the path is
// written with escapes. Thread-safe (no shared state).
absl::StatusOr<std::optional<JsonField>> FindJsonField(absl::string_view json,
                                                       const JsonPath& path);

// As FindJsonField, for a built-in reading a field of a record's value (filter, route, dedupe
// json_field): a value that is not JSON has no field (nullopt), and the one error is a value
// the scanner will not read, nested too deep: kInvalidArgument, which as a transform's error
// is a PermanentError, so the error policy applies to that record. The message names the path
// and the limit.
absl::StatusOr<std::optional<JsonField>> FindFieldOfValue(absl::string_view value,
                                                          const JsonPath& path);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_JSON_FIELD_H_
