#include "audit/coordinator.h"

#include <cstdlib>
#include <limits>

namespace onceflow::audit {
namespace {

// Decodes one code point of `s` at `i` and moves `i` past it; U+FFFD for a bad sequence.
uint32_t NextCodePoint(absl::string_view s, size_t& i) {
  constexpr uint32_t kReplacement = 0xFFFD;
  const auto byte = [&s](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t b0 = byte(i);
  int extra = 0;
  uint32_t cp = 0;
  if (b0 < 0x80) {
    ++i;
    return b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    extra = 1;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    extra = 2;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    extra = 3;
    cp = b0 & 0x07;
  } else {
    ++i;
    return kReplacement;
  }
  if (i + static_cast<size_t>(extra) >= s.size()) {  // cut short
    ++i;
    return kReplacement;
  }
  for (int k = 1; k <= extra; ++k) {
    const uint8_t b = byte(i + static_cast<size_t>(k));
    if ((b & 0xC0) != 0x80) {
      ++i;
      return kReplacement;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  i += static_cast<size_t>(extra) + 1;
  return cp > 0x10FFFF ? kReplacement : cp;
}

}  // namespace

int32_t JavaStringHash(absl::string_view utf8) {
  uint32_t h = 0;  // unsigned: Java's int arithmetic wraps
  for (size_t i = 0; i < utf8.size();) {
    const uint32_t cp = NextCodePoint(utf8, i);
    if (cp >= 0x10000) {
      const uint32_t v = cp - 0x10000;
      h = h * 31 + (0xD800 + (v >> 10));
      h = h * 31 + (0xDC00 + (v & 0x3FF));
    } else {
      h = h * 31 + cp;
    }
  }
  return static_cast<int32_t>(h);
}

int CoordinatorPartition(absl::string_view id, int partitions) {
  const int32_t h = JavaStringHash(id);
  // Kafka's Utils.abs: abs, except that Integer.MIN_VALUE (which has none) becomes 0.
  const int32_t a = h == std::numeric_limits<int32_t>::min() ? 0 : std::abs(h);
  return a % partitions;
}

}  // namespace onceflow::audit
