#include "kafka/guarded_properties.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace onceflow::kafka {
namespace {

struct GuardedProperty {
  absl::string_view name;
  // The values that may be passed (lower case); empty = onceflow always sets it itself.
  std::array<absl::string_view, 2> allowed;
  absl::string_view reason;
  // The reason under at-least-once, when it differs.
  absl::string_view alos_reason = {};
};

constexpr GuardedProperty kGuarded[] = {
    {"enable.auto.commit",
     {"false"},
     "auto commit would commit offsets of records whose outputs are not yet written; onceflow "
     "commits offsets itself"},
    {"enable.auto.offset.store",
     {"false"},
     "onceflow stores offsets itself, after the outputs are safe"},
    {"isolation.level",
     {"read_committed"},
     "inputs are read with read_committed, or aborted upstream records would be processed"},
    {"group.id", {}, "the group id is application_id"},
    {"transactional.id",
     {},
     "the transactional.id is <application_id>-<instance_id>, stable per instance so a restart "
     "fences its zombie",
     "at-least-once mode does not use transactions"},
    {"enable.idempotence",
     {"true"},
     "the producer must be idempotent (no duplicates from its retries)"},
    {"acks",
     {"all", "-1"},
     "acks must be all: an output acknowledged by fewer replicas can be lost after its input "
     "offset was committed"},
    {"request.required.acks",
     {"all", "-1"},
     "acks must be all: an output acknowledged by fewer replicas can be lost after its input "
     "offset was committed"},
    {"group.instance.id", {}, "set from instance_id (see static_membership)"},
    {"enable.partition.eof", {}, "set by onceflow (see stop_when_caught_up)"},
    // The loop applies assignments with assign()/unassign() (the eager protocol); under the
    // cooperative protocol librdkafka refuses those calls and the group waits forever.
    {"group.protocol",
     {"classic"},
     "only the classic group protocol is supported (KIP-848's 'consumer' protocol needs "
     "incremental assignment, which onceflow does not do yet)"},
};

// partition.assignment.strategy is a list; every entry must be an eager assignor.
std::optional<std::string> CheckAssignor(absl::string_view value) {
  for (absl::string_view raw : absl::StrSplit(value, ',')) {
    const std::string strategy = absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
    if (strategy == "cooperative-sticky") {
      return std::string(
          "cooperative-sticky needs incremental assignment, which onceflow does not do yet "
          "(librdkafka refuses the eager assign() it uses, and the consumer would read nothing); "
          "use range or roundrobin");
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> GuaranteeConflict(absl::string_view name, absl::string_view value,
                                             bool exactly_once) {
  if (name == "partition.assignment.strategy") return CheckAssignor(value);
  const std::string lower = absl::AsciiStrToLower(value);
  for (const GuardedProperty& g : kGuarded) {
    if (g.name != name) continue;
    for (absl::string_view allowed : g.allowed) {
      if (!allowed.empty() && lower == allowed) return std::nullopt;
    }
    return std::string(!exactly_once && !g.alos_reason.empty() ? g.alos_reason : g.reason);
  }
  return std::nullopt;
}

std::chrono::milliseconds TransactionTimeout(std::initializer_list<const Properties*> maps,
                                             std::string* error) {
  std::chrono::milliseconds timeout = kDefaultTransactionTimeout;
  for (const Properties* map : maps) {
    if (map == nullptr) continue;
    auto it = map->find("transaction.timeout.ms");
    if (it == map->end()) continue;
    int64_t ms = 0;
    if (!absl::SimpleAtoi(it->second, &ms) || ms <= 0) {
      if (error != nullptr) {
        *error = absl::StrCat("transaction.timeout.ms must be a whole number of ms > 0, got '",
                              it->second, "'");
      }
      continue;
    }
    timeout = std::chrono::milliseconds(ms);
  }
  return timeout;
}

}  // namespace onceflow::kafka
