#include "kafka/guarded_properties.h"

#include <librdkafka/rdkafka.h>

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
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
};

// partition.assignment.strategy is a list; librdkafka picks one of its entries for the whole
// group, so the cooperative assignor may not stand beside eager ones (librdkafka refuses the mix
// too, at the first rebalance).
std::optional<std::string> CheckAssignor(absl::string_view value) {
  bool cooperative = false;
  bool eager = false;
  for (absl::string_view raw : absl::StrSplit(value, ',')) {
    const std::string strategy = absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
    if (strategy.empty()) continue;
    (strategy == "cooperative-sticky" ? cooperative : eager) = true;
  }
  if (cooperative && eager) {
    return std::string(
        "cooperative-sticky cannot be mixed with eager assignors (range, roundrobin): the group "
        "would switch rebalance protocols; name cooperative-sticky alone");
  }
  return std::nullopt;
}

// librdkafka made the consumer group protocol (KIP-848) generally available in 2.12.0; before,
// it was an early access preview (2.4 to 2.11) or absent (2.0.2 does not know the property).
// Gated on the library the process runs, not the headers it was built with.
constexpr int kConsumerProtocolVersion = 0x020c0000;  // 2.12.0
constexpr absl::string_view kConsumerProtocolVersionName = "2.12";

std::optional<std::string> CheckGroupProtocol(absl::string_view value) {
  const std::string protocol = absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
  if (protocol == "classic") return std::nullopt;
  if (protocol != "consumer") {
    return absl::StrCat("group.protocol must be classic or consumer, got '", value, "'");
  }
  if (SupportsConsumerGroupProtocol()) return std::nullopt;
  return absl::StrCat(
      "the consumer group protocol (KIP-848) needs librdkafka ", kConsumerProtocolVersionName,
      " or newer, where it is generally available (this process runs librdkafka ",
      LibrdkafkaVersion(),
      "); for incremental rebalancing use partition.assignment.strategy: cooperative-sticky with "
      "group.protocol: classic (the default)");
}

// What group.protocol: consumer does not take: under KIP-848 the broker assigns the partitions
// and owns the session and heartbeat timing, so these classic-protocol properties have no
// meaning there. librdkafka refuses each of them too, but only when the consumer is created;
// naming them here lets `onceflow validate` refuse them with the file's line.
struct ClassicOnlyProperty {
  absl::string_view name;
  absl::string_view reason;
};

constexpr ClassicOnlyProperty kClassicOnly[] = {
    {"partition.assignment.strategy",
     "group.protocol: consumer (KIP-848) has the broker assign partitions, always incrementally: "
     "partition.assignment.strategy is for the classic protocol; leave it out, or choose the "
     "broker's assignor with group.remote.assignor (uniform or range)"},
    {"session.timeout.ms",
     "under group.protocol: consumer (KIP-848) the session timeout is the broker's "
     "(group.consumer.session.timeout.ms, default 45 s); leave it out"},
    {"heartbeat.interval.ms",
     "under group.protocol: consumer (KIP-848) the heartbeat interval is the broker's "
     "(group.consumer.heartbeat.interval.ms, default 5 s); leave it out"},
    {"group.protocol.type",
     "group.protocol.type belongs to the classic protocol; leave it out with group.protocol: "
     "consumer (KIP-848)"},
};

}  // namespace

std::optional<std::string> GuaranteeConflict(absl::string_view name, absl::string_view value,
                                             bool exactly_once) {
  if (name == "partition.assignment.strategy") return CheckAssignor(value);
  if (name == "group.protocol") return CheckGroupProtocol(value);
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

bool SupportsConsumerGroupProtocol() { return rd_kafka_version() >= kConsumerProtocolVersion; }

std::optional<GroupProtocolConflict> ConsumerProtocolConflict(
    std::initializer_list<const Properties*> maps) {
  bool consumer_protocol = false;
  for (const Properties* map : maps) {
    if (map == nullptr) continue;
    if (auto it = map->find("group.protocol"); it != map->end()) {
      consumer_protocol = IsConsumerGroupProtocol(it->second);
    }
  }
  if (!consumer_protocol) return std::nullopt;
  size_t index = 0;
  for (const Properties* map : maps) {
    if (map != nullptr) {
      for (const ClassicOnlyProperty& p : kClassicOnly) {
        if (map->count(std::string(p.name)) > 0) {
          return GroupProtocolConflict{index, std::string(p.name), std::string(p.reason)};
        }
      }
    }
    ++index;
  }
  return std::nullopt;
}

bool IsConsumerGroupProtocol(absl::string_view value) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(value)) == "consumer";
}

bool UsesConsumerGroupProtocol(const Properties& props) {
  auto it = props.find("group.protocol");
  return it != props.end() && IsConsumerGroupProtocol(it->second);
}

bool IncrementalRebalancing(std::initializer_list<const Properties*> maps) {
  bool incremental = false;
  for (const Properties* map : maps) {
    if (map == nullptr) continue;
    if (auto it = map->find("partition.assignment.strategy"); it != map->end()) {
      incremental = absl::StrContains(absl::AsciiStrToLower(it->second), "cooperative-sticky");
    }
    if (auto it = map->find("group.protocol"); it != map->end()) {
      if (IsConsumerGroupProtocol(it->second)) incremental = true;
    }
  }
  return incremental;
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
