#include "kafka/consumer.h"

#include <algorithm>
#include <cstdint>
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

// librdkafka before 2.1.0 (fixed by #4230, "Fix timeout unit in rd_kafka_seek_partitions") passed
// the remaining milliseconds of rd_kafka_seek_partitions' timeout on as microseconds.
int SeekTimeoutArgument(std::chrono::milliseconds timeout) {
  static const bool micros = rd_kafka_version() < 0x02010000;
  const int64_t ms = std::max<int64_t>(1, timeout.count());
  return static_cast<int>(micros ? std::min<int64_t>(ms * 1000, INT32_MAX) : ms);
}

// Wraps a consumed librdkafka message: the record's views point into it.
ConsumedMessage Wrap(MessagePtr msg) {
  const rd_kafka_message_t& m = *msg;
  Record record;
  // The topic name lives as long as the topic handle, which the message holds.
  record.set_topic(rd_kafka_topic_name(m.rkt))
      .set_partition(Partition(m.partition))
      .set_offset(Offset(m.offset));
  if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    return ConsumedMessage(ConsumedMessage::Kind::kPartitionEnd, std::move(record),
                           ConsumedMessage::Owner(msg.release(), [](void* p) {
                             rd_kafka_message_destroy(static_cast<rd_kafka_message_t*>(p));
                           }));
  }
  rd_kafka_timestamp_type_t ts_type;
  record.set_timestamp_ms(rd_kafka_message_timestamp(&m, &ts_type));
  if (m.key != nullptr) record.set_key({static_cast<const char*>(m.key), m.key_len});
  if (m.payload != nullptr) record.set_value({static_cast<const char*>(m.payload), m.len});
  rd_kafka_headers_t* headers = nullptr;
  // librdkafka parses headers lazily into the message.
  if (rd_kafka_message_headers(msg.get(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      record.add_header(name, value == nullptr
                                  ? absl::string_view()
                                  : absl::string_view(static_cast<const char*>(value), size));
    }
  }
  return ConsumedMessage(ConsumedMessage::Kind::kRecord, std::move(record),
                         ConsumedMessage::Owner(msg.release(), [](void* p) {
                           rd_kafka_message_destroy(static_cast<rd_kafka_message_t*>(p));
                         }));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Create(const Properties& props,
                                                           RebalanceListener* listener,
                                                           StatisticsHandler on_statistics) {
  Properties effective = Merge({{"enable.auto.commit", "false"},
                                {"enable.auto.offset.store", "false"},
                                {"enable.partition.eof", "false"}},
                               props);
  ONCEFLOW_ASSIGN_OR_RETURN(ConfPtr conf, MakeConf(effective));
  auto consumer = std::make_unique<Consumer>(PrivateTag{}, listener);
  rd_kafka_conf_set_opaque(conf.get(), consumer.get());
  rd_kafka_conf_set_rebalance_cb(conf.get(), &Consumer::OnRebalance);
  if (on_statistics && StatisticsEnabled(effective)) {
    consumer->on_statistics_ = std::move(on_statistics);
    rd_kafka_conf_set_stats_cb(conf.get(), &Consumer::OnStatistics);
  }
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

int Consumer::OnStatistics(rd_kafka_t*, char* json, size_t size, void* opaque) {
  DeliverStatistics(json, size, static_cast<Consumer*>(opaque)->on_statistics_);
  return 0;  // librdkafka frees `json`
}

void Consumer::OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<Consumer*>(opaque);
  const std::vector<TopicPartition> tps = Partitions(partitions);
  const char* protocol = rd_kafka_rebalance_protocol(rk);
  // COOPERATIVE (cooperative-sticky, or KIP-848's consumer protocol): `partitions` are the ones
  // added or taken away, applied with incremental_(un)assign; the rest stay assigned and keep
  // being fetched. EAGER: every revocation is of the whole assignment.
  const bool incremental = protocol != nullptr && absl::string_view(protocol) == "COOPERATIVE";
  absl::Status applied;
  auto apply = [&](const char* what, rd_kafka_error_t* error) {
    if (error == nullptr) return;
    const rd_kafka_resp_err_t code = rd_kafka_error_code(error);
    applied = CodeToStatus(code, what, rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
  };
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    std::vector<TopicPartition> paused;
    if (self->listener_ != nullptr) paused = self->listener_->OnAssigned(tps);
    if (incremental) {
      apply("incremental_assign", rd_kafka_incremental_assign(rk, partitions));
    } else {
      applied = CodeToStatus(rd_kafka_assign(rk, partitions), "assign");
    }
    if (applied.ok() && !paused.empty()) {
      // Before the fetcher starts (it starts after this callback returns): no record of these
      // partitions is fetched until they are resumed.
      TopicPartitionListPtr list = ToList(paused);
      applied = CodeToStatus(rd_kafka_pause_partitions(rk, list.get()), "pause");
    }
  } else {
    if (self->listener_ != nullptr) {
      if (rd_kafka_assignment_lost(rk)) {
        self->listener_->OnLost(tps);
      } else {
        self->listener_->OnRevoked(tps);
      }
    }
    if (incremental) {
      apply("incremental_unassign", rd_kafka_incremental_unassign(rk, partitions));
    } else {
      applied = CodeToStatus(rd_kafka_assign(rk, nullptr), "unassign");
    }
  }
  if (!applied.ok() && self->rebalance_error_.ok()) {
    // The group would wait for an assignment call forever, consuming nothing. Stop instead.
    self->rebalance_error_ = absl::Status(
        absl::StatusCode::kFailedPrecondition,
        absl::StrCat("applying the group's assignment (rebalance protocol ",
                     protocol != nullptr ? protocol : "NONE", "): ", applied.message()));
    if (auto code = applied.GetPayload(kErrorCodePayload)) {
      self->rebalance_error_.SetPayload(kErrorCodePayload, *code);
    }
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

// The group's other members run assignors of the other rebalance protocol (eager range or
// roundrobin against cooperative-sticky, onceflow's default); librdkafka cannot list both.
constexpr absl::string_view kInconsistentProtocolHint =
    " (the group's members use another rebalance protocol: cooperative-sticky, onceflow's "
    "default, and the eager range/roundrobin cannot share a group; this member joins once the "
    "others have left. To switch a running group, stop every instance and start them again, "
    "or name the other members' assignor in partition.assignment.strategy)";

absl::StatusOr<std::optional<ConsumedMessage>> Consumer::Poll(std::chrono::milliseconds timeout) {
  MessagePtr msg(rd_kafka_consumer_poll(rk_.get(), ToMs(timeout)));
  if (!rebalance_error_.ok()) return rebalance_error_;
  if (msg == nullptr) return std::optional<ConsumedMessage>();
  if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return Wrap(std::move(msg));
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
    std::string detail = rd_kafka_message_errstr(msg.get());
    if (msg->err == RD_KAFKA_RESP_ERR_INCONSISTENT_GROUP_PROTOCOL) {
      // Transient on purpose: in a rolling deploy the member waits until the others are gone.
      absl::StrAppend(&detail, kInconsistentProtocolHint);
    }
    return CodeToStatus(msg->err, absl::StrCat("consume", where), detail);
  }
  return Wrap(std::move(msg));
}

bool Consumer::AssignmentLost() const { return rd_kafka_assignment_lost(rk_.get()) == 1; }

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
  ErrorPtr error(rd_kafka_seek_partitions(rk_.get(), list.get(), SeekTimeoutArgument(timeout)));
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

std::optional<std::pair<Offset, Offset>> Consumer::CachedWatermarks(
    const TopicPartition& tp) const {
  int64_t low = 0;
  int64_t high = 0;
  if (rd_kafka_get_watermark_offsets(rk_.get(), tp.topic.c_str(), tp.partition.value(), &low,
                                     &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      high < 0) {
    return std::nullopt;
  }
  return std::make_pair(Offset(low), Offset(high));
}

absl::StatusOr<std::vector<std::string>> Consumer::ListTopics(
    std::chrono::milliseconds timeout) const {
  const rd_kafka_metadata_t* raw = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk_.get(), /*all_topics=*/1, nullptr, &raw, ToMs(timeout));
  MetadataPtr md(raw);
  ONCEFLOW_RETURN_IF_ERROR(CodeToStatus(err, "metadata request"));
  std::vector<std::string> topics;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) topics.emplace_back(md->topics[i].topic);
  }
  return topics;
}

kafka::GroupMetadata Consumer::GroupMetadata() const {
  return kafka::GroupMetadata(kafka::GroupMetadata::Handle(
      rd_kafka_consumer_group_metadata(rk_.get()), [](void* p) {
        rd_kafka_consumer_group_metadata_destroy(
            static_cast<rd_kafka_consumer_group_metadata_t*>(p));
      }));
}

std::string Consumer::RebalanceProtocol() const {
  const char* protocol = rd_kafka_rebalance_protocol(rk_.get());
  return protocol != nullptr ? protocol : "NONE";
}

absl::Status Consumer::Close() {
  if (closed_) return absl::OkStatus();
  closed_ = true;
  return CodeToStatus(rd_kafka_consumer_close(rk_.get()), "consumer close");
}

}  // namespace onceflow::kafka
