// Typed transforms over protobuf messages: the runtime parses the input value into `In`,
// calls your function, and serializes the `Out` it returns, in protobuf's binary format or
// its JSON mapping.
//
//   auto enrich = onceflow::TypedMap<Order, EnrichedOrder>(
//       [](const Order& o) -> absl::StatusOr<EnrichedOrder> { ... }, Codec::kJson);
//
// An input that does not parse as `In` is a permanent error ("cannot parse ... as Order"), so
// the error policy (dead-letter, skip, fail) applies to it. To drop records, chain a Filter.
#ifndef ONCEFLOW_TYPED_TRANSFORM_H_
#define ONCEFLOW_TYPED_TRANSFORM_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver.h"
#include "onceflow/transform.h"

namespace onceflow {

enum class Codec {
  kBinary,  // protobuf wire format
  kJson,    // protobuf's canonical JSON mapping
};

// Parses `bytes` into `message` with `codec`; a permanent error names the message type.
absl::Status ParseAs(absl::string_view bytes, Codec codec, google::protobuf::Message& message);
// Serializes `message` with `codec`.
absl::StatusOr<std::string> SerializeAs(const google::protobuf::Message& message, Codec codec);

// As above, with JSON translated through `resolver` (which must know `message`'s type under
// "type.googleapis.com/"). For message types outside the generated pool (descriptor sets
// loaded at run time, as the sidecar's json_to_proto / proto_to_json do), protobuf's own JSON
// functions build a new resolver on every call and re-translate every descriptor each time;
// a NewCachingTypeResolver kept for the pool's lifetime does that once per type.
absl::Status ParseAs(absl::string_view bytes, Codec codec, google::protobuf::Message& message,
                     google::protobuf::util::TypeResolver& resolver);
absl::StatusOr<std::string> SerializeAs(const google::protobuf::Message& message, Codec codec,
                                        google::protobuf::util::TypeResolver& resolver);

// A resolver for the types of `pool` (which must outlive it) that remembers each type it
// resolved. Thread-safe.
std::unique_ptr<google::protobuf::util::TypeResolver> NewCachingTypeResolver(
    const google::protobuf::DescriptorPool* pool);

// `fn(const In&)` returns absl::StatusOr<Out>; the output keeps the input's key, headers and
// timestamp. `out_codec` defaults to `in_codec`.
template <typename In, typename Out, typename F>
std::unique_ptr<Transform> TypedMap(F fn, Codec in_codec = Codec::kBinary,
                                    std::optional<Codec> out_codec = std::nullopt,
                                    std::string name = "typed_map") {
  const Codec oc = out_codec.value_or(in_codec);
  return std::make_unique<FunctionTransform>(
      std::move(name),
      [fn = std::move(fn), in_codec, oc](const Record& in, Emitter& out) -> absl::Status {
        In input;
        if (absl::Status st = ParseAs(in.value(), in_codec, input); !st.ok()) return st;
        absl::StatusOr<Out> result = fn(input);
        if (!result.ok()) return result.status();
        absl::StatusOr<std::string> bytes = SerializeAs(*result, oc);
        if (!bytes.ok()) return bytes.status();
        out.Emit(OutputRecord::Forward(in).SetValue(*std::move(bytes)));
        return absl::OkStatus();
      });
}

}  // namespace onceflow

#endif  // ONCEFLOW_TYPED_TRANSFORM_H_
