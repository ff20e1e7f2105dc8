// UTF-8 encoding, for the JSON readers that decode \u escapes (state/canonical_json.cc,
// sidecar/json_field.cc).
//
//   std::string s;
//   base::AppendUtf8(0xe9, s);  // s == "\xc3\xa9" ("é")
#ifndef ONCEFLOW_BASE_UTF8_H_
#define ONCEFLOW_BASE_UTF8_H_

#include <cstdint>
#include <string>

namespace onceflow::base {

// Appends the UTF-8 encoding of `code_point` (1 to 4 bytes) to `out`.
// REQUIRES: code_point <= 0x10FFFF. Surrogates (U+D800..U+DFFF) are encoded as they are: a
// caller that must produce valid UTF-8 refuses or replaces them first.
void AppendUtf8(uint32_t code_point, std::string& out);

}  // namespace onceflow::base

#endif  // ONCEFLOW_BASE_UTF8_H_
