#include "sidecar/regex.h"

#include <re2/re2.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onceflow::sidecar {
namespace {

// Why RE2 refused a pattern, by its error code: RE2's own text ends with a fragment of the
// pattern, which a config error must not show for a substituted value.
absl::string_view Why(RE2::ErrorCode code) {
  switch (code) {
    case RE2::ErrorBadEscape:
      return "invalid escape sequence (RE2 syntax has no backreferences such as \\1)";
    case RE2::ErrorBadPerlOp:
      return "invalid (? group (RE2 syntax has no lookaround such as (?=x) or (?<=x); named "
             "groups are (?P<name>x))";
    case RE2::ErrorBadCharClass:
      return "invalid character class";
    case RE2::ErrorBadCharRange:
      return "invalid character class range";
    case RE2::ErrorMissingBracket:
      return "missing ]";
    case RE2::ErrorMissingParen:
      return "missing )";
    case RE2::ErrorUnexpectedParen:
      return "unexpected )";
    case RE2::ErrorTrailingBackslash:
      return "trailing \\";
    case RE2::ErrorRepeatArgument:
      return "repetition operator without an argument (e.g. a leading *)";
    case RE2::ErrorRepeatSize:
      return "invalid repetition size (at most {1000})";
    case RE2::ErrorRepeatOp:
      return "invalid repetition operator (RE2 refuses a repetition of a repetition, such as a** "
             "or the possessive a++)";
    case RE2::ErrorBadNamedCapture:
      return "invalid named group";
    case RE2::ErrorPatternTooLarge:
      return "pattern too large (its compiled program exceeds RE2's memory budget)";
    case RE2::ErrorBadUTF8:  // not in Latin-1 mode
    case RE2::ErrorInternal:
    case RE2::NoError:
      break;
  }
  return "refused by RE2";
}

}  // namespace

absl::StatusOr<Regex> Regex::Compile(absl::string_view pattern) {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);  // bytes, as std::regex<char> read them
  options.set_log_errors(false);                       // the error is returned, not logged
  auto re = std::make_shared<const RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) return absl::InvalidArgumentError(Why(re->error_code()));
  return Regex(std::move(re));
}

bool Regex::FullMatch(absl::string_view text) const {
  return RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

}  // namespace onceflow::sidecar
