// Kafka's rule for topic names, for topics the built-ins and plugins choose per record (route,
// a plugin's output topic) and for the prefixes and defaults they are configured with.
//
//   if (!IsValidTopicName(topic)) return PermanentError(...);
#ifndef ONCEFLOW_SIDECAR_TOPIC_NAME_H_
#define ONCEFLOW_SIDECAR_TOPIC_NAME_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace onceflow::sidecar {

// The longest topic name Kafka accepts.
inline constexpr size_t kMaxTopicNameLength = 249;

// A character Kafka allows in a topic name: [a-zA-Z0-9._-].
bool IsTopicChar(char c);

// 1 to kMaxTopicNameLength characters of IsTopicChar, not "." or "..".
bool IsValidTopicName(absl::string_view topic);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_TOPIC_NAME_H_
