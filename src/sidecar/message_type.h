// Protobuf message types loaded at run time from descriptor sets, for the json_to_proto and
// proto_to_json built-ins and the dedupe proto_field key.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(MessageType order, LoadMessageType("orders.desc", "shop.v1.Order"));
//   std::unique_ptr<google::protobuf::Message> m(factory.GetPrototype(order.descriptor)->New());
//
// Thread-safety: both loaders are thread-safe; a loaded pool is immutable.
#ifndef ONCEFLOW_SIDECAR_MESSAGE_TYPE_H_
#define ONCEFLOW_SIDECAR_MESSAGE_TYPE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"

namespace onceflow::sidecar {

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

// As LoadMessageType, for holders of a bare Descriptor* (state::DedupeOptions): the pool is
// kept until the process exits, and loading a file with the same contents again reuses it.
absl::StatusOr<MessageType> LoadProcessLifetimeMessageType(const std::string& descriptor_set_path,
                                                           const std::string& message);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_MESSAGE_TYPE_H_
