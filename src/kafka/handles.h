// RAII ownership of librdkafka's C handles: one deleter and one std::unique_ptr alias per
// handle type, so every handle is owned the moment it exists.
//
//   kafka::ConfPtr conf(rd_kafka_conf_new());
//   kafka::TopicPartitionListPtr list(rd_kafka_topic_partition_list_new(4));
//
// KafkaPtr only calls rd_kafka_destroy(); a consumer must be closed first (kafka::Consumer does
// that in its destructor).
#ifndef ONCEFLOW_KAFKA_HANDLES_H_
#define ONCEFLOW_KAFKA_HANDLES_H_

#include <librdkafka/rdkafka.h>

#include <memory>

namespace onceflow::kafka {

// Calls `Destroy` on a non-null pointer.
template <auto Destroy>
struct CDeleter {
  template <typename T>
  void operator()(T* handle) const {
    if (handle != nullptr) Destroy(handle);
  }
};

using KafkaPtr = std::unique_ptr<rd_kafka_t, CDeleter<rd_kafka_destroy>>;
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, CDeleter<rd_kafka_conf_destroy>>;
using TopicConfPtr = std::unique_ptr<rd_kafka_topic_conf_t, CDeleter<rd_kafka_topic_conf_destroy>>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, CDeleter<rd_kafka_error_destroy>>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, CDeleter<rd_kafka_message_destroy>>;
using HeadersPtr = std::unique_ptr<rd_kafka_headers_t, CDeleter<rd_kafka_headers_destroy>>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, CDeleter<rd_kafka_queue_destroy>>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, CDeleter<rd_kafka_event_destroy>>;
using TopicPartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t,
                                              CDeleter<rd_kafka_topic_partition_list_destroy>>;
using GroupMetadataPtr = std::unique_ptr<rd_kafka_consumer_group_metadata_t,
                                         CDeleter<rd_kafka_consumer_group_metadata_destroy>>;
using AdminOptionsPtr =
    std::unique_ptr<rd_kafka_AdminOptions_t, CDeleter<rd_kafka_AdminOptions_destroy>>;
using NewTopicPtr = std::unique_ptr<rd_kafka_NewTopic_t, CDeleter<rd_kafka_NewTopic_destroy>>;
using ConfigResourcePtr =
    std::unique_ptr<rd_kafka_ConfigResource_t, CDeleter<rd_kafka_ConfigResource_destroy>>;
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, CDeleter<rd_kafka_topic_destroy>>;
using DeleteTopicPtr =
    std::unique_ptr<rd_kafka_DeleteTopic_t, CDeleter<rd_kafka_DeleteTopic_destroy>>;

// rd_kafka_metadata() hands out a const pointer freed with rd_kafka_metadata_destroy().
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* md) const {
    if (md != nullptr) rd_kafka_metadata_destroy(md);
  }
};
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;

}  // namespace onceflow::kafka

#endif  // ONCEFLOW_KAFKA_HANDLES_H_
