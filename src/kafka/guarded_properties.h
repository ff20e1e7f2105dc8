// The one table of librdkafka properties that a user's pass-through map (ProcessorOptions'
// kafka/consumer/producer_properties, a config file's `kafka:` maps) may not set, because
// onceflow sets them itself to keep its delivery guarantee, each with the reason.
// Processor::Create and `onceflow validate` both read it, so they refuse the same things with
// the same words.
//
//   if (std::optional<std::string> why = kafka::GuaranteeConflict(name, value, eos)) {
//     return absl::InvalidArgumentError(absl::StrCat(name, ": ", *why));
//   }
#ifndef ONCEFLOW_KAFKA_GUARDED_PROPERTIES_H_
#define ONCEFLOW_KAFKA_GUARDED_PROPERTIES_H_

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "kafka/config.h"

namespace onceflow::kafka {

// Why passing `name` = `value` through would break the guarantee of the mode (eos when
// `exactly_once`), or nullopt when it may be passed through. Values compare case-insensitively.
// `group.protocol: consumer` is refused when the librdkafka the process runs is older than 2.12.
std::optional<std::string> GuaranteeConflict(absl::string_view name, absl::string_view value,
                                             bool exactly_once);

// Whether `value` of group.protocol names the consumer group protocol (KIP-848).
bool IsConsumerGroupProtocol(absl::string_view value);

// Whether the merged properties of a consumer run the consumer group protocol.
bool UsesConsumerGroupProtocol(const Properties& props);

// Whether the librdkafka this process runs (rd_kafka_version(), not the headers') has the
// consumer group protocol generally available: 2.12 or newer.
bool SupportsConsumerGroupProtocol();

// A property that the consumer group protocol does not take, and where it was found.
struct GroupProtocolConflict {
  size_t map_index;  // which of `maps` holds it (0 = the first)
  std::string name;
  std::string reason;
};

// When the consumer of these properties runs the consumer group protocol (`group.protocol:
// consumer`, KIP-848; the last of `maps` that sets it wins): the first property among them that
// only the classic protocol takes (partition.assignment.strategy, session.timeout.ms,
// heartbeat.interval.ms, group.protocol.type), with the reason; nullopt when there is none or
// the protocol is classic. librdkafka refuses the same ones when the consumer is created.
std::optional<GroupProtocolConflict> ConsumerProtocolConflict(
    std::initializer_list<const Properties*> maps);

// Whether the consumer of these properties rebalances incrementally: cooperative-sticky, or
// KIP-848's consumer group protocol (the last of `maps` that sets a property wins).
bool IncrementalRebalancing(std::initializer_list<const Properties*> maps);

// librdkafka's default transaction.timeout.ms.
inline constexpr std::chrono::milliseconds kDefaultTransactionTimeout{60000};

// The transaction.timeout.ms the producer will run with: the last of `maps` that sets it
// (later maps override earlier ones, as the producer's properties are merged), else
// librdkafka's default. kInvalidArgument text in `error` when a value is not a number.
std::chrono::milliseconds TransactionTimeout(std::initializer_list<const Properties*> maps,
                                             std::string* error = nullptr);

}  // namespace onceflow::kafka

#endif  // ONCEFLOW_KAFKA_GUARDED_PROPERTIES_H_
