#include "sidecar/config_errors.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace onceflow::sidecar::config_internal {
namespace {

namespace pb = ::google::protobuf;

// Levenshtein distance, for "did you mean".
size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

absl::Status ConfigError(const std::string& file, int line, const std::string& key_path,
                         absl::string_view why) {
  std::string message = file;
  if (line > 0) absl::StrAppend(&message, ":", line);
  absl::StrAppend(&message, ": ");
  if (!key_path.empty()) absl::StrAppend(&message, key_path, ": ");
  absl::StrAppend(&message, why);
  return absl::InvalidArgumentError(message);
}

std::string JoinKey(const std::string& path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

std::string JoinIndex(const std::string& path, int index) {
  return absl::StrCat(path, "[", index, "]");
}

std::string DidYouMean(absl::string_view word, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  size_t best_distance = 3;
  for (const std::string& candidate : candidates) {
    const size_t distance = EditDistance(word, candidate);
    if (distance < best_distance && distance < std::max<size_t>(candidate.size(), 1)) {
      best = &candidate;
      best_distance = distance;
    }
  }
  return best == nullptr ? "" : absl::StrCat("; did you mean '", *best, "'?");
}

std::vector<std::string> FieldNames(const pb::Descriptor& descriptor) {
  std::vector<std::string> names;
  for (int i = 0; i < descriptor.field_count(); ++i) names.push_back(descriptor.field(i)->name());
  return names;
}

}  // namespace onceflow::sidecar::config_internal
