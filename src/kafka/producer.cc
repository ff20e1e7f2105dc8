#include "kafka/producer.h"

#include "absl/strings/str_cat.h"
#include "kafka/error.h"
#include "kafka/partition_list.h"
#include "onceflow/status_macros.h"

namespace onceflow::kafka {
namespace {

using Clock = std::chrono::steady_clock;

int ToMs(std::chrono::milliseconds d) { return static_cast<int>(d.count()); }

}  // namespace

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(const Properties& props,
                                                           DeliveryHandler on_delivery,
                                                           StatisticsHandler on_statistics) {
  ONCEFLOW_ASSIGN_OR_RETURN(ConfPtr conf, MakeConf(props));
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &Producer::OnDelivery);
  // The opaque must point at the Producer, which does not exist yet: build it with a null
  // handle first, then point the conf at it before creating the rd_kafka_t.
  auto producer = std::make_unique<Producer>(PrivateTag{}, nullptr, std::move(on_delivery));
  rd_kafka_conf_set_opaque(conf.get(), producer.get());
  if (on_statistics && StatisticsEnabled(props)) {
    producer->on_statistics_ = std::move(on_statistics);
    rd_kafka_conf_set_stats_cb(conf.get(), &Producer::OnStatistics);
  }
  char errstr[512];
  KafkaPtr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr)));
  if (rk == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("creating producer: ", errstr));
  }
  conf.release();  // owned by rk from here on
  producer->rk_ = std::move(rk);
  producer->transactional_ = props.count("transactional.id") > 0;
  return producer;
}

Producer::Producer(PrivateTag, KafkaPtr rk, DeliveryHandler on_delivery)
    : rk_(std::move(rk)), on_delivery_(std::move(on_delivery)) {}

Producer::~Producer() {
  // Serve outstanding delivery reports while `this` is alive; records still unsent after a
  // short grace period are dropped by rd_kafka_destroy (their reports never reach us).
  if (rk_ != nullptr) rd_kafka_flush(rk_.get(), 1000);
}

void Producer::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  auto* self = static_cast<Producer*>(opaque);
  DeliveryReport report;
  report.opaque = msg->_private;
  report.position.tp.topic = rd_kafka_topic_name(msg->rkt);
  report.position.tp.partition = Partition(msg->partition);
  if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++self->delivery_failures_;
    report.status = CodeToStatus(msg->err, "delivery");
  } else {
    ++self->delivered_;
    report.position.offset = Offset(msg->offset);
  }
  if (self->on_delivery_) self->on_delivery_(report);
}

int Producer::OnStatistics(rd_kafka_t*, char* json, size_t size, void* opaque) {
  DeliverStatistics(json, size, static_cast<Producer*>(opaque)->on_statistics_);
  return 0;  // librdkafka frees `json`
}

absl::Status Producer::Produce(const OutMessage& m, std::chrono::milliseconds queue_full_timeout) {
  HeadersPtr headers;
  if (!m.headers.empty()) {
    headers.reset(rd_kafka_headers_new(m.headers.size()));
    for (const auto& [name, value] : m.headers) {
      rd_kafka_header_add(headers.get(), name.data(), static_cast<ssize_t>(name.size()),
                          value.data(), static_cast<ssize_t>(value.size()));
    }
  }
  const std::string topic(m.topic);
  // rd_kafka_produceva rather than the RD_KAFKA_V_* macros: same call, no C casts.
  rd_kafka_vu_t vus[8];
  size_t n = 0;
  vus[n].vtype = RD_KAFKA_VTYPE_TOPIC;
  vus[n++].u.cstr = topic.c_str();
  vus[n].vtype = RD_KAFKA_VTYPE_PARTITION;
  vus[n++].u.i32 = m.partition.value();
  vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  vus[n++].u.i = RD_KAFKA_MSG_F_COPY;
  vus[n].vtype = RD_KAFKA_VTYPE_KEY;
  vus[n].u.mem.ptr = m.null_key ? nullptr : const_cast<char*>(m.key.data());
  vus[n++].u.mem.size = m.null_key ? 0 : m.key.size();
  vus[n].vtype = RD_KAFKA_VTYPE_VALUE;
  vus[n].u.mem.ptr = m.null_value ? nullptr : const_cast<char*>(m.value.data());
  vus[n++].u.mem.size = m.null_value ? 0 : m.value.size();
  vus[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
  vus[n++].u.i64 = m.timestamp_ms;
  vus[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
  vus[n++].u.ptr = m.opaque;
  const size_t headers_index = n;
  vus[n].vtype = RD_KAFKA_VTYPE_HEADERS;
  vus[n++].u.headers = headers.get();
  const size_t count = headers != nullptr ? n : headers_index;

  const Clock::time_point deadline = Clock::now() + queue_full_timeout;
  while (true) {
    // On success librdkafka owns the headers; on failure they are still ours.
    ErrorPtr error(rd_kafka_produceva(rk_.get(), vus, count));
    if (error == nullptr) {
      headers.release();
      return absl::OkStatus();
    }
    const rd_kafka_resp_err_t err = rd_kafka_error_code(error.get());
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || Clock::now() >= deadline) {
      if (err == RD_KAFKA_RESP_ERR__FATAL) return FatalError();
      absl::Status status = ErrorToStatus(error.get(), absl::StrCat("produce to ", topic));
      if (err == RD_KAFKA_RESP_ERR__STATE && transactional_ &&
          !rd_kafka_error_is_fatal(error.get())) {
        // The transaction failed (e.g. a delivery failed) and takes no more records until it
        // is aborted (rd_kafka_txn_may_enq_msg); librdkafka sets no abort flag on this error.
        absl::Status aborted(absl::StatusCode::kAborted,
                             absl::StrCat(status.message(),
                                          " (the transaction failed and must be aborted)"));
        aborted.SetPayload(kErrorCodePayload, *status.GetPayload(kErrorCodePayload));
        return aborted;
      }
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        return absl::UnavailableError(std::string(status.message()));
      }
      return status;
    }
    rd_kafka_poll(rk_.get(), 10);  // make room by serving delivery reports
  }
}

int Producer::Poll(std::chrono::milliseconds timeout) {
  return rd_kafka_poll(rk_.get(), ToMs(timeout));
}

absl::Status Producer::Flush(std::chrono::milliseconds timeout) {
  return CodeToStatus(rd_kafka_flush(rk_.get(), ToMs(timeout)), "flush");
}

absl::Status Producer::InitTransactions(std::chrono::milliseconds timeout) {
  ErrorPtr error(rd_kafka_init_transactions(rk_.get(), ToMs(timeout)));
  return ErrorToStatus(error.get(), "init_transactions");
}

absl::Status Producer::PrepareTopics(const std::vector<std::string>& topics,
                                     std::chrono::milliseconds timeout) {
  for (const std::string& topic : topics) {
    TopicPtr rkt(rd_kafka_topic_new(rk_.get(), topic.c_str(), nullptr));
    if (rkt == nullptr) {
      return CodeToStatus(rd_kafka_last_error(), absl::StrCat("topic handle for ", topic));
    }
    const rd_kafka_metadata_t* raw = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(rk_.get(), /*all_topics=*/0, rkt.get(), &raw, ToMs(timeout));
    MetadataPtr md(raw);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return CodeToStatus(err, absl::StrCat("metadata for ", topic));
    }
    topics_.push_back(std::move(rkt));
  }
  return absl::OkStatus();
}

absl::Status Producer::BeginTransaction() {
  ErrorPtr error(rd_kafka_begin_transaction(rk_.get()));
  return ErrorToStatus(error.get(), "begin_transaction");
}

absl::Status Producer::SendOffsetsToTransaction(const std::vector<TopicPartitionOffset>& offsets,
                                                const GroupMetadata& group,
                                                std::chrono::milliseconds timeout) {
  if (group.empty()) {
    return absl::InvalidArgumentError("send_offsets_to_transaction: no consumer group metadata");
  }
  TopicPartitionListPtr list = ToList(offsets);
  ErrorPtr error(rd_kafka_send_offsets_to_transaction(
      rk_.get(), list.get(), static_cast<const rd_kafka_consumer_group_metadata_t*>(group.get()),
      ToMs(timeout)));
  return ErrorToStatus(error.get(), "send_offsets_to_transaction");
}

absl::Status Producer::CommitTransaction(std::chrono::milliseconds timeout) {
  ErrorPtr error(rd_kafka_commit_transaction(rk_.get(), ToMs(timeout)));
  return ErrorToStatus(error.get(), "commit_transaction");
}

absl::Status Producer::AbortTransaction(std::chrono::milliseconds timeout) {
  ErrorPtr error(rd_kafka_abort_transaction(rk_.get(), ToMs(timeout)));
  return ErrorToStatus(error.get(), "abort_transaction");
}

absl::Status Producer::FatalError() const {
  char errstr[512];
  const rd_kafka_resp_err_t err = rd_kafka_fatal_error(rk_.get(), errstr, sizeof(errstr));
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
  absl::Status status = CodeToStatus(err, "producer fatal error", errstr);
  // Whatever the code, a fatal error means this producer cannot go on.
  absl::Status fatal(absl::StatusCode::kFailedPrecondition, status.message());
  status.ForEachPayload([&fatal](absl::string_view url, const absl::Cord& payload) {
    fatal.SetPayload(url, payload);
  });
  return fatal;
}

absl::Status Producer::InjectFatalError(int code, absl::string_view reason) {
  const rd_kafka_resp_err_t err = rd_kafka_test_fatal_error(
      rk_.get(), static_cast<rd_kafka_resp_err_t>(code), std::string(reason).c_str());
  return CodeToStatus(err, "inject a fatal error", "");
}

}  // namespace onceflow::kafka
