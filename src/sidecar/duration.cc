#include "sidecar/duration.h"

#include <cstdint>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace onceflow::sidecar {

absl::StatusOr<std::chrono::milliseconds> ParseDuration(absl::string_view text) {
  struct Unit {
    absl::string_view name;
    int64_t ms;
  };
  // Longest names first where one is a prefix of another ("ms" before "m").
  static constexpr Unit kUnits[] = {
      {"d", 86400000}, {"h", 3600000}, {"ms", 1}, {"m", 60000}, {"s", 1000}};
  // The order units must come in: d, h, m, s, ms.
  const auto rank = [](absl::string_view unit) {
    if (unit == "d") return 0;
    if (unit == "h") return 1;
    if (unit == "m") return 2;
    if (unit == "s") return 3;
    return 4;
  };
  if (text.empty()) return absl::InvalidArgumentError("an empty duration");
  int64_t total = 0;
  int last_rank = -1;
  size_t i = 0;
  while (i < text.size()) {
    const size_t digits_start = i;
    int64_t n = 0;
    while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      if (n > (std::numeric_limits<int64_t>::max() - (text[i] - '0')) / 10) {
        return absl::InvalidArgumentError("a duration too long to count in milliseconds");
      }
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    if (i == digits_start) {
      return absl::InvalidArgumentError(
          "not a duration: want a whole number and a unit (ms, s, m, h, d), e.g. 250ms, 5s, "
          "1m30s");
    }
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (absl::StartsWith(text.substr(i), u.name)) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) {
      return absl::InvalidArgumentError(
          "a duration needs a unit after each number: ms, s, m, h or d (e.g. 250ms, 5s, 1h30m)");
    }
    if (rank(unit->name) <= last_rank) {
      return absl::InvalidArgumentError(
          "a duration's units go from the largest down, each once (e.g. 1h30m, not 30m1h)");
    }
    last_rank = rank(unit->name);
    i += unit->name.size();
    if (n > (std::numeric_limits<int64_t>::max() - total) / unit->ms) {
      return absl::InvalidArgumentError("a duration too long to count in milliseconds");
    }
    total += n * unit->ms;
  }
  return std::chrono::milliseconds(total);
}

}  // namespace onceflow::sidecar
