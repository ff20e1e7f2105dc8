// Record content quoted in an error message, bounded: errors travel into logs and dead-letter
// headers, so a 50 MB value must not become a 50 MB (or, escaped, 200 MB) message.
//
//   return PermanentError(absl::StrCat("topic \"", base::Excerpt(topic), "\" is not valid"));
//   return PermanentError(absl::StrCat("cannot parse: ", base::Shortened(library_message)));
#ifndef ONCEFLOW_BASE_EXCERPT_H_
#define ONCEFLOW_BASE_EXCERPT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace onceflow::base {

// How many bytes of a record's content an error message quotes by default.
inline constexpr size_t kExcerptBytes = 64;

// `text` C-escaped (absl::CEscape) if it is at most `max_bytes` long; else its first
// `max_bytes` bytes escaped, then "... (<size> bytes)".
std::string Excerpt(absl::string_view text, size_t max_bytes = kExcerptBytes);

// How many bytes of a library's error message (which may quote the record: protobuf's JSON
// parser quotes a value of the wrong type whole) an error message keeps by default.
inline constexpr size_t kReasonBytes = 256;

// `reason` as it is if it is at most `max_bytes` long; else its first `max_bytes` bytes, then
// "... (<size> bytes)". Not escaped: for messages that are text already.
std::string Shortened(absl::string_view reason, size_t max_bytes = kReasonBytes);

}  // namespace onceflow::base

#endif  // ONCEFLOW_BASE_EXCERPT_H_
