// The sidecar's built-in transforms and dedupe settings, built from the configuration
// (proto/onceflow/v1/pipeline_config.proto, whose comments define what each one does).
//
//   ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<Transform> chain, BuildChain(config.transforms()));
//   if (config.has_dedupe()) {
//     ONCEFLOW_ASSIGN_OR_RETURN(options.state.dedupe, BuildDedupeOptions(config.dedupe()));
//   }
//
// Everything that can be checked is checked at build time (regexes compiled, descriptor sets
// loaded, plugins created, topic names validated), so a bad configuration stops the sidecar
// before it consumes anything; build errors are kInvalidArgument (kNotFound for a file that
// is not there) and start with where the mistake is ("transforms[2]: filter: ...").
//
// The built-ins, each a Transform whose name() is its kind ("filter", "route",
// "json_to_proto:shop.v1.Order", "plugin:redact"):
//   passthrough    every record unchanged (views, no copy).
//   filter         keeps records meeting every condition given; `negate` keeps the others.
//                  Regexes are RE2 (sidecar/regex.h), compiled once, matched against the
//                  whole string, in time linear in it. A null key reads as "". The header
//                  condition looks at the last header of that name. A json_field condition is
//                  false for a value that is not JSON, not an object, or lacks the field (so
//                  `negate` keeps such records); `equals` compares with a string field's
//                  decoded value or another field's JSON text as written ("1.50" is not
//                  "1.5"); json_field alone means "present and not null". Empty strings mean
//                  "not set" (proto3).
//   headers        rename (old -> new), then remove, then set (replacing every header of that
//                  name; appended in name order). Values are never copied; each header is
//                  renamed at most once (a -> b, b -> c turns a into b).
//   json_to_proto  the value, protobuf's JSON mapping of `message`, becomes its binary
//   proto_to_json  encoding, and back (JSON out uses the lowerCamelCase JSON names). A value
//                  that does not parse is a PermanentError naming the message type. Null
//                  values (tombstones) pass through unchanged.
//   route          sets the topic to topic_prefix + the value of `json_field` (a string, number
//                  or boolean) or of `header`; when it is missing, empty, null, an object or an
//                  array, or the value is not JSON: default_topic, or if that is empty the
//                  topic is left to the pipeline's output (or an earlier route). A chosen topic
//                  that is not a valid Kafka topic name is a PermanentError.
//   plugin         a shared library implementing onceflow/plugin_abi.h (sidecar/plugin_loader.h).
// In a chain, a stage's output keeps the topic and partition an earlier stage chose unless it
// chooses its own, so `route` may be followed by other stages.
//
// Thread-safety: building is thread-safe. Each Transform, as every Transform, is called from
// one thread at a time.
#ifndef ONCEFLOW_SIDECAR_BUILTINS_H_
#define ONCEFLOW_SIDECAR_BUILTINS_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "onceflow/transform.h"
#include "onceflow/v1/pipeline_config.pb.h"
#include "state/dedupe.h"

namespace onceflow::sidecar {

// One transform from config; `where` (e.g. "transforms[2]") prefixes error messages.
absl::StatusOr<std::unique_ptr<Transform>> BuildTransform(const v1::TransformConfig& config,
                                                          const std::string& where);

// The whole chain, in order (Passthrough() for an empty list; a single transform is returned
// as is). Errors name the entry: "transforms[1]: route: ...".
absl::StatusOr<std::unique_ptr<Transform>> BuildChain(
    const google::protobuf::RepeatedPtrField<v1::TransformConfig>& configs);

// DedupeConfig -> state::DedupeOptions. key: "key" (default), "header", "hash", "json_hash",
// "json_field" (a kFunction extractor: the field's decoded string, or a number's or boolean's
// JSON text; a value that is not JSON, or a missing, null, object or array field, gives no key
// and the record passes as keyless), "proto_field" (descriptor_set + message + field). Fields
// that the chosen key does not use are refused, as likely mistakes. The descriptor pool behind
// a proto_field descriptor is kept for the life of the process (DedupeOptions holds a bare
// Descriptor*); loading the same file again reuses it.
absl::StatusOr<state::DedupeOptions> BuildDedupeOptions(const v1::DedupeConfig& config);

// "30s", "15m", "1h", "24h", "7d" (a positive whole number and one unit of s, m, h, d), or
// "forever" (0). "" is the default, 24 h.
absl::StatusOr<std::chrono::milliseconds> ParseDedupeWindow(absl::string_view window);

// A message type loaded from a descriptor set, with the pool that owns it: `descriptor` is
// valid as long as `pool` is.
struct MessageType {
  std::shared_ptr<const google::protobuf::DescriptorPool> pool;
  const google::protobuf::Descriptor* descriptor = nullptr;
};

// Loads a FileDescriptorSet file (protoc --descriptor_set_out=FILE --include_imports) and finds
// the message `message` (full name, e.g. "shop.v1.Order"). Errors name the file and the message:
// unreadable file (kNotFound if missing), not a descriptor set, files that do not build (e.g.
// imports left out), no such message (the messages it has are listed).
absl::StatusOr<MessageType> LoadMessageType(const std::string& descriptor_set_path,
                                            const std::string& message);

// Kafka's rule for topic names: 1 to 249 characters from [a-zA-Z0-9._-], not "." or "..".
bool IsValidTopicName(absl::string_view topic);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_BUILTINS_H_
