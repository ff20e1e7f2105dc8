#include "kafka/consumer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "kafka/error.h"
#include "kafka/partition_list.h"
#include "onceflow/status_macros.h"

namespace onceflow::kafka {
namespace {

int ToMs(std::chrono::milliseconds d) { return static_cast<int>(d.count()); }

std::vector<TopicPartition> Partitions(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  for (const TopicPartitionOffset& tpo : FromList(list)) out.push_back(tpo.tp);
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Create(const Properties& props,
                                                           RebalanceListener* listener) {
  Properties effective = Merge({{"enable.auto.commit", "false"},
                                {"enable.auto.offset.store", "false"},
                                {"enable.partition.eof", "false"}},
                               props);
  ONCEFLOW_ASSIGN_OR_RETURN(ConfPtr conf, MakeConf(effective));
  auto consumer = std::make_unique<Consumer>(PrivateTag{}, listener);
  rd_kafka_conf_set_opaque(conf.get(), consumer.get());
  rd_kafka_conf_set_rebalance_cb(conf.get(), &Consumer::OnRebalance);
  char errstr[512];
  KafkaPtr rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof(errstr)));
  if (rk == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("creating consumer: ", errstr));
  }
  conf.release();  // owned by rk from here on
  rd_kafka_poll_set_consumer(rk.get());
  consumer->rk_ = std::move(rk);
  return consumer;
}

Consumer::Consumer(PrivateTag, RebalanceListener* listener) : listener_(listener) {}

Consumer::~Consumer() {
  if (rk_ != nullptr && !closed_) (void)Close();  // best effort: the status has no reader here
}

void Consumer::OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<Consumer*>(opaque);
  const std::vector<TopicPartition> tps = Partitions(partitions);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (self->listener_ != nullptr) self->listener_->OnAssigned(tps);
    rd_kafka_assign(rk, partitions);
  } else {
    if (self->listener_ != nullptr) {
      if (rd_kafka_assignment_lost(rk)) {
        self->listener_->OnLost(tps);
      } else {
        self->listener_->OnRevoked(tps);
      }
    }
    rd_kafka_assign(rk, nullptr);
  }
}

absl::Status Consumer::Subscribe(const std::vector<std::string>& topics) {
  TopicPartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const std::string& t : topics) {
    rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  return CodeToStatus(rd_kafka_subscribe(rk_.get(), list.get()), "subscribe");
}

absl::Status Consumer::Assign(const std::vector<TopicPartitionOffset>& partitions) {
  TopicPartitionListPtr list = ToList(partitions);
  return CodeToStatus(rd_kafka_assign(rk_.get(), list.get()), "assign");
}

absl::StatusOr<MessagePtr> Consumer::Poll(std::chrono::milliseconds timeout) {
  MessagePtr msg(rd_kafka_consumer_poll(rk_.get(), ToMs(timeout)));
  if (msg == nullptr) return MessagePtr();
  if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return msg;
  if (msg->err == RD_KAFKA_RESP_ERR__FATAL) {
    // The underlying error (e.g. FENCED_INSTANCE_ID) says what actually happened.
    char errstr[512];
    const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(rk_.get(), errstr, sizeof(errstr));
    absl::Status st = CodeToStatus(cause, "consumer fatal error", errstr);
    absl::Status fatal(absl::StatusCode::kFailedPrecondition, st.message());
    fatal.SetPayload(kErrorCodePayload, *st.GetPayload(kErrorCodePayload));
    return fatal;
  }
  if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::string where;
    if (msg->rkt != nullptr) {
      where = absl::StrCat(" on ", rd_kafka_topic_name(msg->rkt), "[", msg->partition, "]");
    }
    return CodeToStatus(msg->err, absl::StrCat("consume", where),
                        rd_kafka_message_errstr(msg.get()));
  }
  return msg;
}

absl::StatusOr<std::vector<TopicPartition>> Consumer::Assignment() const {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_assignment(rk_.get(), &raw);
  TopicPartitionListPtr list(raw);
  ONCEFLOW_RETURN_IF_ERROR(CodeToStatus(err, "assignment"));
  return Partitions(list.get());
}

absl::StatusOr<std::vector<TopicPartitionOffset>> Consumer::Positions(
    const std::vector<TopicPartition>& partitions) const {
  TopicPartitionListPtr list = ToList(partitions);
  ONCEFLOW_RETURN_IF_ERROR(CodeToStatus(rd_kafka_position(rk_.get(), list.get()), "position"));
  ONCEFLOW_RETURN_IF_ERROR(FirstPartitionError(list.get(), "position of"));
  return FromList(list.get());
}

absl::StatusOr<std::vector<TopicPartitionOffset>> Consumer::Committed(
    const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout) const {
  TopicPartitionListPtr list = ToList(partitions);
  ONCEFLOW_RETURN_IF_ERROR(
      CodeToStatus(rd_kafka_committed(rk_.get(), list.get(), ToMs(timeout)), "committed"));
  ONCEFLOW_RETURN_IF_ERROR(FirstPartitionError(list.get(), "committed offset of"));
  return FromList(list.get());
}

absl::Status Consumer::CommitSync(const std::vector<TopicPartitionOffset>& offsets) {
  TopicPartitionListPtr list = ToList(offsets);
  ONCEFLOW_RETURN_IF_ERROR(
      CodeToStatus(rd_kafka_commit(rk_.get(), list.get(), /*async=*/0), "commit"));
  return FirstPartitionError(list.get(), "commit of");
}

absl::Status Consumer::CommitAsync(const std::vector<TopicPartitionOffset>& offsets) {
  TopicPartitionListPtr list = ToList(offsets);
  return CodeToStatus(rd_kafka_commit(rk_.get(), list.get(), /*async=*/1), "commit (async)");
}

absl::Status Consumer::Seek(const TopicPartitionOffset& position,
                            std::chrono::milliseconds timeout) {
  TopicPartitionListPtr list = ToList(std::vector<TopicPartitionOffset>{position});
  ErrorPtr error(rd_kafka_seek_partitions(rk_.get(), list.get(), ToMs(timeout)));
  ONCEFLOW_RETURN_IF_ERROR(ErrorToStatus(error.get(), "seek"));
  return FirstPartitionError(list.get(), "seek of");
}

absl::Status Consumer::Pause(const std::vector<TopicPartition>& partitions) {
  TopicPartitionListPtr list = ToList(partitions);
  ONCEFLOW_RETURN_IF_ERROR(CodeToStatus(rd_kafka_pause_partitions(rk_.get(), list.get()), "pause"));
  return FirstPartitionError(list.get(), "pause of");
}

absl::Status Consumer::Resume(const std::vector<TopicPartition>& partitions) {
  TopicPartitionListPtr list = ToList(partitions);
  ONCEFLOW_RETURN_IF_ERROR(
      CodeToStatus(rd_kafka_resume_partitions(rk_.get(), list.get()), "resume"));
  return FirstPartitionError(list.get(), "resume of");
}

absl::StatusOr<std::pair<Offset, Offset>> Consumer::Watermarks(
    const TopicPartition& tp, std::chrono::milliseconds timeout) const {
  int64_t low = 0;
  int64_t high = 0;
  ONCEFLOW_RETURN_IF_ERROR(CodeToStatus(
      rd_kafka_query_watermark_offsets(rk_.get(), tp.topic.c_str(), tp.partition.value(), &low,
                                       &high, ToMs(timeout)),
      absl::StrCat("watermarks of ", tp.topic, "[", tp.partition.value(), "]")));
  return std::make_pair(Offset(low), Offset(high));
}

GroupMetadataPtr Consumer::GroupMetadata() const {
  return GroupMetadataPtr(rd_kafka_consumer_group_metadata(rk_.get()));
}

absl::Status Consumer::Close() {
  if (closed_) return absl::OkStatus();
  closed_ = true;
  return CodeToStatus(rd_kafka_consumer_close(rk_.get()), "consumer close");
}

}  // namespace onceflow::kafka
