#ifndef ONCEFLOW_BASE_JSON_STRING_H_
#define ONCEFLOW_BASE_JSON_STRING_H_

#include <string>

#include "absl/strings/string_view.h"

namespace onceflow::base {

// Appends `decoded` to `out` as a JSON string literal with the fewest escapes: ", \, the short
// escapes \b \f \n \r \t, \u00xx for other control characters, everything else (non-ASCII
// UTF-8 included, and bytes that are not UTF-8) as is. Equal strings always have equal
// encodings (the canonical JSON of state keys rests on it).
void AppendJsonString(absl::string_view decoded, std::string& out);

}  // namespace onceflow::base

#endif  // ONCEFLOW_BASE_JSON_STRING_H_
