// librdkafka configuration: building rd_kafka_conf_t from a property map, with errors that
// name the property and never echo secret values. Every client made from MakeConf logs through
// onceflow's logger (kafka/log_bridge.h).
//
//   kafka::Properties props = {{"bootstrap.servers", "127.0.0.1:19092"}};
//   ONCEFLOW_ASSIGN_OR_RETURN(kafka::ConfPtr conf, kafka::MakeConf(props));
#ifndef ONCEFLOW_KAFKA_CONFIG_H_
#define ONCEFLOW_KAFKA_CONFIG_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kafka/handles.h"

namespace onceflow::kafka {

// librdkafka properties by name. Ordered, so errors and logs list them deterministically.
using Properties = std::map<std::string, std::string>;

// True for properties whose values must never be printed (passwords, keys, JAAS configs).
bool IsSecretProperty(absl::string_view name);

// Sets one property. On error (kInvalidArgument) the message names the property and
// librdkafka's reason, and shows the value only if the property is not secret.
absl::Status SetProperty(rd_kafka_conf_t* conf, absl::string_view name, absl::string_view value);

// Marks SetProperty's error for a name librdkafka does not know (as opposed to a bad value).
inline constexpr absl::string_view kUnknownPropertyPayload =
    "type.onceflow.dev/kafka.UnknownProperty";
bool IsUnknownProperty(const absl::Status& status);

// Whether librdkafka accepts `name` = `value` (SetProperty on a scratch configuration).
absl::Status CheckProperty(absl::string_view name, absl::string_view value);

// The librdkafka library's version at run time, e.g. "2.0.2".
std::string LibrdkafkaVersion();

// A new configuration with every property of `props` set, and librdkafka's log lines routed
// through onceflow's logger (LogToOnceflow).
absl::StatusOr<ConfPtr> MakeConf(const Properties& props);

// Which clients a librdkafka property applies to, from librdkafka's own property table.
enum class PropertyScope { kUnknown, kAny, kConsumer, kProducer };

struct PropertyInfo {
  std::string name;
  PropertyScope scope = PropertyScope::kUnknown;
};

// Every property this librdkafka knows (global and topic-level), in its table's order. Read once
// from rd_kafka_conf_properties_show; thread-safe.
const std::vector<PropertyInfo>& KnownProperties();

// The scope of property `name` (kUnknown if librdkafka does not know it).
PropertyScope ScopeOf(absl::string_view name);

// `props` without the properties that apply only to consumers (kConsumer) or only to producers
// (kProducer): what a client of the other kind may be given without librdkafka's "is a consumer
// property and will be ignored" warnings.
Properties WithoutScope(const Properties& props, PropertyScope scope);

// `base` with every entry of `overrides` replacing or adding to it.
Properties Merge(Properties base, const Properties& overrides);

}  // namespace onceflow::kafka

#endif  // ONCEFLOW_KAFKA_CONFIG_H_
