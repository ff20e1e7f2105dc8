// Regular expressions for the filter built-in (key_regex, header_regex, matches) and for the
// config check of those settings: RE2 syntax, compiled once, matched in time linear in the text
// and without recursion, so no record can crash or stall a match. (std::regex, used before,
// recursed once per character: `.*foo.*` on a 60 KB value overflowed the stack, and the
// restarted sidecar met the same record again.)
//
//   ONCEFLOW_ASSIGN_OR_RETURN(Regex tenant, Regex::Compile("eu|us"));
//   if (tenant.FullMatch(header_value)) ...
//
// Patterns and texts are bytes (RE2's Latin-1 mode), as std::regex<char> read them: `.` is one
// byte, a non-ASCII literal matches its UTF-8 bytes, and a key that is not UTF-8 still matches
// `.*`. `.` does not match "\n" unless the pattern starts with (?s). What RE2 cannot run in
// linear time it refuses at compile time: backreferences (\1), lookaround ((?=x), (?!x),
// (?<=x), (?<!x)), possessive and atomic groups; named groups are written (?P<name>...).
//
// Thread-safety: a Regex is immutable; copies share one compiled program and may be used from
// any number of threads.
#ifndef ONCEFLOW_SIDECAR_REGEX_H_
#define ONCEFLOW_SIDECAR_REGEX_H_

#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace onceflow::sidecar {

class Regex {
 public:
  // kInvalidArgument if RE2 refuses `pattern`. The message says why (e.g. "backreferences and
  // lookaround are not supported (RE2 syntax)") and never repeats the pattern, so a caller
  // decides whether the pattern may be shown (a substituted config value may not).
  static absl::StatusOr<Regex> Compile(absl::string_view pattern);

  // Whether the whole of `text` matches (a search for "foo" is written `.*foo.*`).
  bool FullMatch(absl::string_view text) const;

 private:
  explicit Regex(std::shared_ptr<const re2::RE2> re) : re_(std::move(re)) {}

  // RE2 objects can be neither copied nor moved; a const one is safe to share between threads.
  std::shared_ptr<const re2::RE2> re_;
};

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_REGEX_H_
