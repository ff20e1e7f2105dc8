#include "sidecar/topic_name.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace onceflow::sidecar {

bool IsTopicChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

bool IsValidTopicName(absl::string_view topic) {
  if (topic.empty() || topic.size() > kMaxTopicNameLength || topic == "." || topic == "..") {
    return false;
  }
  return std::all_of(topic.begin(), topic.end(), IsTopicChar);
}

}  // namespace onceflow::sidecar
