#include "sidecar/config_substitution.h"

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"

namespace onceflow::sidecar::config_internal {
namespace {

bool IsEnvName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace

absl::StatusOr<Substituted> Substitute(absl::string_view text, const EnvLookup& env) {
  Substituted out;
  if (!absl::StrContains(text, "${")) {
    out.value = std::string(text);
    return out;
  }
  size_t i = 0;
  while (i < text.size()) {
    if (absl::StartsWith(text.substr(i), "$${")) {
      out.value += "${";
      i += 3;
      continue;
    }
    if (!absl::StartsWith(text.substr(i), "${")) {
      out.value += text[i++];
      continue;
    }
    const size_t close = text.find('}', i + 2);
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError("unterminated '${' (write '$${' for a literal '${')");
    }
    const absl::string_view ref = text.substr(i + 2, close - i - 2);
    if (absl::StartsWith(ref, "file:")) {
      const std::string path(ref.substr(5));
      if (path.empty()) return absl::InvalidArgumentError("'${file:}' names no file");
      absl::StatusOr<std::string> contents = base::ReadFile(path);
      if (!contents.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("${file:", path, "}: ", contents.status().message()));
      }
      if (absl::EndsWith(*contents, "\n")) contents->pop_back();
      out.value += *contents;
    } else {
      // ${NAME:-default}: the default when NAME is unset or empty, as in a POSIX shell.
      const size_t dash = ref.find(":-");
      const absl::string_view name = ref.substr(0, dash);
      if (!IsEnvName(name)) {
        return absl::InvalidArgumentError(
            absl::StrCat("'${", name, dash == absl::string_view::npos ? "" : ":-...",
                         "}' is neither ${NAME}, ${NAME:-default} (NAME: letters, digits, _) nor "
                         "${file:PATH}"));
      }
      const std::optional<std::string> value = env(std::string(name));
      if (dash != absl::string_view::npos && (!value.has_value() || value->empty())) {
        absl::StrAppend(&out.value, ref.substr(dash + 2));
      } else if (!value.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "environment variable ", name, " is not set (${", name, ":-default} gives a default)"));
      } else {
        out.value += *value;
      }
    }
    out.substituted = true;
    i = close + 1;
  }
  return out;
}

}  // namespace onceflow::sidecar::config_internal
