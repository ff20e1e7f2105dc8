#include "kafka/message.h"

namespace onceflow::kafka {

ConsumedMessage ConsumedMessage::Copy(Kind kind, Fields fields) {
  auto owned = std::make_unique<Fields>(std::move(fields));
  Record record;
  record.set_topic(owned->topic)
      .set_partition(Partition(owned->partition))
      .set_offset(Offset(owned->offset))
      .set_timestamp_ms(owned->timestamp_ms);
  if (owned->key.has_value()) record.set_key(*owned->key);
  if (owned->value.has_value()) record.set_value(*owned->value);
  for (const auto& [name, value] : owned->headers) record.add_header(name, value);
  Owner owner(owned.release(),
              [](void* p) { std::default_delete<Fields>()(static_cast<Fields*>(p)); });
  return ConsumedMessage(kind, std::move(record), std::move(owner));
}

}  // namespace onceflow::kafka
