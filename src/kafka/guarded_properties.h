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
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "kafka/config.h"

namespace onceflow::kafka {

// Why passing `name` = `value` through would break the guarantee of the mode (eos when
// `exactly_once`), or nullopt when it may be passed through. Values compare case-insensitively.
std::optional<std::string> GuaranteeConflict(absl::string_view name, absl::string_view value,
                                             bool exactly_once);

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
