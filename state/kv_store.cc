#include "state/kv_store.h"

#include <string>

namespace onceflow::state {

absl::Status KeyValueStore::ScanPrefix(absl::string_view prefix, const ScanFn& fn) {
  // PrefixSuccessor is "" when no key bounds the prefix from above (all 0xff), and "" as
  // `end` means "no upper bound", which is exactly right then.
  return Scan(prefix, PrefixSuccessor(prefix), fn);
}

std::string PrefixSuccessor(absl::string_view prefix) {
  std::string successor(prefix);
  // Drop trailing 0xff bytes (they cannot be incremented), then increment the last byte:
  // "ab\xff" -> "ac" is greater than every "ab\xff..." and smaller than anything else above.
  while (!successor.empty()) {
    const auto last = static_cast<unsigned char>(successor.back());
    if (last != 0xff) {
      successor.back() = static_cast<char>(last + 1);
      return successor;
    }
    successor.pop_back();
  }
  return successor;
}

}  // namespace onceflow::state
