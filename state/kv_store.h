// KeyValueStore: the state API user transforms and the deduper see.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(std::optional<std::string> count, store.Get(key));
//   ONCEFLOW_RETURN_IF_ERROR(store.Put(key, absl::StrCat(n + 1)));
//
// Reads see the writes of the open transaction (read-your-writes). Writes become durable only
// when the Kafka transaction that carries their changelog records commits; if it aborts they
// vanish. Thread-safety: one thread at a time (the processing thread). Views passed to Scan's
// callback are valid only during that call.
#ifndef ONCEFLOW_STATE_KV_STORE_H_
#define ONCEFLOW_STATE_KV_STORE_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onceflow::state {

class KeyValueStore {
 public:
  // Called for each entry of a scan; return false to stop.
  using ScanFn = std::function<bool(absl::string_view key, absl::string_view value)>;

  virtual ~KeyValueStore() = default;

  // The value of `key`, or nullopt if absent (or deleted in the open transaction).
  virtual absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) = 0;
  virtual absl::Status Put(absl::string_view key, absl::string_view value) = 0;
  virtual absl::Status Delete(absl::string_view key) = 0;
  // Visits entries with begin <= key < end in key order (bytewise); an empty `end` means no
  // upper bound.
  virtual absl::Status Scan(absl::string_view begin, absl::string_view end, const ScanFn& fn) = 0;

  // Visits entries whose key starts with `prefix`.
  absl::Status ScanPrefix(absl::string_view prefix, const ScanFn& fn);
};

// The smallest key greater than every key with `prefix` ("" if there is none: all 0xff).
std::string PrefixSuccessor(absl::string_view prefix);

}  // namespace onceflow::state

#endif  // ONCEFLOW_STATE_KV_STORE_H_
