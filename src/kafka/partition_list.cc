#include "kafka/partition_list.h"

#include "absl/strings/str_cat.h"
#include "kafka/error.h"

namespace onceflow::kafka {

TopicPartitionListPtr ToList(const std::vector<TopicPartitionOffset>& offsets) {
  TopicPartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const TopicPartitionOffset& tpo : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), tpo.tp.topic.c_str(), tpo.tp.partition.value())
        ->offset = tpo.offset.value();
  }
  return list;
}

TopicPartitionListPtr ToList(const std::vector<TopicPartition>& partitions, Offset offset) {
  TopicPartitionListPtr list(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const TopicPartition& tp : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition.value())->offset =
        offset.value();
  }
  return list;
}

std::vector<TopicPartitionOffset> FromList(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartitionOffset> out;
  if (list == nullptr) return out;
  out.reserve(static_cast<size_t>(list->cnt));
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& e = list->elems[i];
    out.push_back({TopicPartition{e.topic, Partition(e.partition)}, Offset(e.offset)});
  }
  return out;
}

absl::Status FirstPartitionError(const rd_kafka_topic_partition_list_t* list,
                                 absl::string_view context) {
  if (list == nullptr) return absl::OkStatus();
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& e = list->elems[i];
    if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return CodeToStatus(e.err, absl::StrCat(context, " ", e.topic, "[", e.partition, "]"));
    }
  }
  return absl::OkStatus();
}

}  // namespace onceflow::kafka
