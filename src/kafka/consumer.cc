#include "kafka/consumer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "kafka/error.h"
#include "kafka/guarded_properties.h"
#include "kafka/partition_list.h"
#include "onceflow/status_macros.h"

namespace onceflow::kafka {
namespace {

int ToMs(std::chrono::milliseconds d) { return static_cast<int>(d.count()); }

// How long Resume waits for the committed offsets and seeks that wake the fetcher up.
constexpr std::chrono::milliseconds kResumeWakeTimeout{500};

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
ConsumedMessage Wrap(MessagePtr msg, bool read_headers) {
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
  // librdkafka parses headers lazily into the message (allocating a list even for none).
  if (read_headers &&
      rd_kafka_message_headers(msg.get(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
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

// What a fatal consumer error means under the consumer group protocol (KIP-848), where librdkafka
// makes the broker's refusals of ConsumerGroupHeartbeat fatal; empty when nothing is to add.
std::string ConsumerProtocolHint(rd_kafka_resp_err_t cause) {
  // Kafka's own error codes, which librdkafka names only from 2.4 on (not in 2.0.2's headers).
  constexpr int kUnreleasedInstanceId = 111;
  constexpr int kUnsupportedAssignor = 112;
  switch (static_cast<int>(cause)) {
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
      return "; the broker does not support the consumer group protocol (group.protocol: "
             "consumer, KIP-848): it needs Apache Kafka 4.0 or newer with the protocol enabled "
             "(group.coordinator.rebalance.protocols with consumer, the 4.x default), or use "
             "group.protocol: classic";
    case kUnreleasedInstanceId:
      return "; under group.protocol: consumer the broker refuses a member whose instance_id "
             "(group.instance.id) a live member still holds (the classic protocol fenced the old "
             "member instead), until the old one leaves or its session times out (the broker's "
             "group.consumer.session.timeout.ms, 45 s by default): after a crash, a later "
             "restart gets in";
    case kUnsupportedAssignor:
      return "; the broker does not know the group.remote.assignor asked for (Kafka ships "
             "uniform and range)";
    default:
      return "";
  }
}

// librdkafka's request numbers (Kafka's ApiKeys) that the watch below looks for.
constexpr int16_t kFindCoordinatorKey = 10;
constexpr int16_t kConsumerGroupHeartbeatKey = 68;

// How long after finding the group coordinator librdkafka may go without sending a
// ConsumerGroupHeartbeat before the broker is taken not to support the consumer protocol.
// Against a broker that does, the first heartbeat goes out within milliseconds.
constexpr std::chrono::seconds kHeartbeatWait{15};

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}


}  // namespace

// Whether librdkafka ever sends a ConsumerGroupHeartbeat. librdkafka (2.14.2 seen against Kafka
// 3.9.2; 2.12.0 to 2.15.0 have the same code), subscribed under group.protocol=consumer to a
// broker whose ApiVersions lacks ConsumerGroupHeartbeat v1 (Kafka 3.x), marks the coordinator
// dead at its first heartbeat, finds it again and then waits: no error event, no fatal error,
// nothing on poll (the reason shows only in its cgrp debug log). Its interceptors (on broker
// threads) see the coordinator being found and no heartbeat being sent, which is what Poll
// goes by.
struct Consumer::ProtocolWatch {
  std::atomic<bool> subscribed{false};
  std::atomic<bool> heartbeat_sent{false};
  // When a FindCoordinator answered without error after Subscribe (steady ns); 0 = not yet.
  std::atomic<int64_t> coordinator_found_ns{0};

  static rd_kafka_resp_err_t OnNew(rd_kafka_t* rk, const rd_kafka_conf_t*, void* opaque, char*,
                                   size_t) {
    rd_kafka_interceptor_add_on_request_sent(rk, "onceflow.protocol_watch", &OnRequestSent,
                                             opaque);
    rd_kafka_interceptor_add_on_response_received(rk, "onceflow.protocol_watch",
                                                  &OnResponseReceived, opaque);
    return RD_KAFKA_RESP_ERR_NO_ERROR;
  }

  static rd_kafka_resp_err_t OnRequestSent(rd_kafka_t*, int, const char*, int32_t,
                                           int16_t api_key, int16_t, int32_t, size_t,
                                           void* opaque) {
    if (api_key == kConsumerGroupHeartbeatKey) {
      static_cast<ProtocolWatch*>(opaque)->heartbeat_sent.store(true);
    }
    return RD_KAFKA_RESP_ERR_NO_ERROR;
  }

  static rd_kafka_resp_err_t OnResponseReceived(rd_kafka_t*, int, const char*, int32_t,
                                                int16_t api_key, int16_t, int32_t, size_t,
                                                int64_t, rd_kafka_resp_err_t err, void* opaque) {
    auto* self = static_cast<ProtocolWatch*>(opaque);
    if (api_key == kFindCoordinatorKey && err == RD_KAFKA_RESP_ERR_NO_ERROR &&
        self->subscribed.load()) {
      int64_t unset = 0;
      self->coordinator_found_ns.compare_exchange_strong(unset, SteadyNowNs());
    }
    return RD_KAFKA_RESP_ERR_NO_ERROR;
  }

  // kFailedPrecondition once the coordinator was found kHeartbeatWait ago and no heartbeat
  // went out since.
  absl::Status Check() const {
    if (heartbeat_sent.load()) return absl::OkStatus();
    const int64_t found = coordinator_found_ns.load();
    if (found == 0 || SteadyNowNs() - found < std::chrono::nanoseconds(kHeartbeatWait).count()) {
      return absl::OkStatus();
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "the broker does not support the consumer group protocol (group.protocol: consumer, "
        "KIP-848): librdkafka ",
        LibrdkafkaVersion(), " found the group coordinator ", kHeartbeatWait.count(),
        " s ago but sent it no ConsumerGroupHeartbeat, which needs the request's version 1 "
        "(Apache Kafka 4.0 or newer), and would wait forever without reporting an error; use "
        "a Kafka 4.0+ broker with the protocol enabled (group.coordinator.rebalance.protocols "
        "with consumer, the 4.x default), or group.protocol: classic"));
  }
};

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Create(const Properties& props,
                                                           RebalanceListener* listener,
                                                           StatisticsHandler on_statistics) {
  Properties effective = Merge({{"enable.auto.commit", "false"},
                                {"enable.auto.offset.store", "false"},
                                {"enable.partition.eof", "false"}},
                               props);
  ONCEFLOW_ASSIGN_OR_RETURN(ConfPtr conf, MakeConf(effective));
  auto consumer = std::make_unique<Consumer>(PrivateTag{}, listener);
  consumer->consumer_protocol_ = UsesConsumerGroupProtocol(effective);
  if (consumer->consumer_protocol_) {
    consumer->watch_ = std::make_unique<ProtocolWatch>();
    rd_kafka_conf_interceptor_add_on_new(conf.get(), "onceflow.protocol_watch",
                                         &ProtocolWatch::OnNew, consumer->watch_.get());
  }
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
  if (watch_ != nullptr) watch_->subscribed.store(true);
  return CodeToStatus(rd_kafka_subscribe(rk_.get(), list.get()), "subscribe");
}

absl::Status Consumer::Assign(const std::vector<TopicPartitionOffset>& partitions) {
  TopicPartitionListPtr list = ToList(partitions);
  return CodeToStatus(rd_kafka_assign(rk_.get(), list.get()), "assign");
}

// The group's other members run assignors of the other rebalance protocol (eager range or
// roundrobin against cooperative-sticky); librdkafka cannot list both.
constexpr absl::string_view kInconsistentProtocolHint =
    " (the group's members use another rebalance protocol: cooperative-sticky (onceflow's "
    "default without static membership) and the eager range/roundrobin (its default with "
    "static membership) cannot share a group; this member joins once the "
    "others have left. To switch a running group, stop every instance and start them again, "
    "or name the other members' assignor in partition.assignment.strategy)";

absl::StatusOr<std::optional<ConsumedMessage>> Consumer::Poll(std::chrono::milliseconds timeout) {
  MessagePtr msg(rd_kafka_consumer_poll(rk_.get(), ToMs(timeout)));
  if (!rebalance_error_.ok()) return rebalance_error_;
  if (watch_ != nullptr) ONCEFLOW_RETURN_IF_ERROR(watch_->Check());
  if (msg == nullptr) return std::optional<ConsumedMessage>();
  if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return Wrap(std::move(msg), read_headers_);
  if (msg->err == RD_KAFKA_RESP_ERR__FATAL) {
    // The underlying error (e.g. FENCED_INSTANCE_ID) says what actually happened.
    char errstr[512];
    const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(rk_.get(), errstr, sizeof(errstr));
    absl::Status st = CodeToStatus(cause, "consumer fatal error", errstr);
    absl::Status fatal(
        absl::StatusCode::kFailedPrecondition,
        absl::StrCat(st.message(), consumer_protocol_ ? ConsumerProtocolHint(cause) : ""));
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
  return Wrap(std::move(msg), read_headers_);
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
  ONCEFLOW_RETURN_IF_ERROR(FirstPartitionError(list.get(), "resume of"));
  // A resume only clears a flag on librdkafka's main thread; the broker thread that fetches
  // the partition notices when it next wakes up, and an idle one (every partition it serves
  // was paused, as while a restarted instance restores its state) sleeps up to a second
  // (rd_kafka_broker_consumer_serve, 2.0.2 to 2.14.2). A seek to an absolute offset wakes it
  // ("seek done", rd_kafka_toppar_seek). Seek each resumed partition to its committed offset,
  // where it would start anyway (paused since its assignment, nothing of it was consumed).
  // Best effort: when the committed offsets cannot be read at once, or a partition has none
  // (auto.offset.reset decides), the fetch starts when the broker thread wakes on its own.
  absl::StatusOr<std::vector<TopicPartitionOffset>> committed =
      Committed(partitions, kResumeWakeTimeout);
  if (!committed.ok()) return absl::OkStatus();  // deliberately ignored, see above
  for (const TopicPartitionOffset& tpo : *committed) {
    if (tpo.offset.is_logical()) continue;
    // Ignored on failure for the same reason: the seek only hurries a fetch along.
    Seek(tpo, kResumeWakeTimeout).IgnoreError();
  }
  return absl::OkStatus();
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
