// Conversions between onceflow's TopicPartitionOffset vectors and librdkafka's
// rd_kafka_topic_partition_list_t.
#ifndef ONCEFLOW_KAFKA_PARTITION_LIST_H_
#define ONCEFLOW_KAFKA_PARTITION_LIST_H_

#include <vector>

#include "absl/status/status.h"
#include "kafka/handles.h"
#include "onceflow/kafka_types.h"

namespace onceflow::kafka {

// A new list holding `offsets` in order.
TopicPartitionListPtr ToList(const std::vector<TopicPartitionOffset>& offsets);

// A new list of the partitions, each with offset `offset` (Invalid by default).
TopicPartitionListPtr ToList(const std::vector<TopicPartition>& partitions,
                             Offset offset = Offset::Invalid());

// The entries of `list`, in order.
std::vector<TopicPartitionOffset> FromList(const rd_kafka_topic_partition_list_t* list);

// The first per-partition error in `list` (OK if none), with `context` in the message.
absl::Status FirstPartitionError(const rd_kafka_topic_partition_list_t* list,
                                 absl::string_view context);

}  // namespace onceflow::kafka

#endif  // ONCEFLOW_KAFKA_PARTITION_LIST_H_
