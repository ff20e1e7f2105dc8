#include "base/excerpt.h"

#include <cstddef>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace onceflow::base {

std::string Excerpt(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return absl::CEscape(text);
  return absl::StrCat(absl::CEscape(text.substr(0, max_bytes)), "... (", text.size(), " bytes)");
}

std::string Shortened(absl::string_view reason, size_t max_bytes) {
  if (reason.size() <= max_bytes) return std::string(reason);
  return absl::StrCat(reason.substr(0, max_bytes), "... (", reason.size(), " bytes)");
}

}  // namespace onceflow::base
