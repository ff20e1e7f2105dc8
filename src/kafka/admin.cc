#include "kafka/admin.h"

#include <algorithm>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "kafka/error.h"
#include "onceflow/status_macros.h"

namespace onceflow::kafka {
namespace {

using Clock = std::chrono::steady_clock;

int ToMs(std::chrono::milliseconds d) { return static_cast<int>(d.count()); }

// Waits for the result event of one admin request on `queue`.
absl::StatusOr<EventPtr> AwaitResult(rd_kafka_queue_t* queue, rd_kafka_event_type_t type,
                                     std::chrono::milliseconds timeout, absl::string_view context) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return absl::DeadlineExceededError(
          absl::StrCat(context, ": no answer within ", timeout.count(), " ms"));
    }
    EventPtr event(rd_kafka_queue_poll(queue, ToMs(left)));
    if (event == nullptr) continue;
    if (rd_kafka_event_type(event.get()) != type) continue;  // stray event: keep waiting
    if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return CodeToStatus(rd_kafka_event_error(event.get()), context,
                          rd_kafka_event_error_string(event.get()));
    }
    return event;
  }
}

extern "C" void OnClientError(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
  auto* errors = static_cast<Admin::ClientError*>(opaque);
  if (errors == nullptr) return;
  try {
    std::lock_guard<std::mutex> lock(errors->mu);
    // A definitive error is kept: a later "all brokers down" must not hide why they are.
    const bool definitive =
        errors->code == RD_KAFKA_RESP_ERR__AUTHENTICATION || errors->code == RD_KAFKA_RESP_ERR__SSL;
    if (definitive && err != RD_KAFKA_RESP_ERR__AUTHENTICATION && err != RD_KAFKA_RESP_ERR__SSL) {
      return;
    }
    errors->code = static_cast<rd_kafka_resp_err_t>(err);
    errors->reason = reason != nullptr ? reason : "";
  } catch (...) {
    // Never unwind into librdkafka.
  }
}

absl::StatusOr<AdminOptionsPtr> MakeOptions(rd_kafka_t* rk, rd_kafka_admin_op_t op,
                                            std::chrono::milliseconds timeout) {
  AdminOptionsPtr options(rd_kafka_AdminOptions_new(rk, op));
  char errstr[256];
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), ToMs(timeout), errstr,
                                                sizeof(errstr)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InvalidArgumentError(absl::StrCat("admin request timeout: ", errstr));
  }
  if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS) {
    if (rd_kafka_AdminOptions_set_operation_timeout(options.get(), ToMs(timeout), errstr,
                                                    sizeof(errstr)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::InvalidArgumentError(absl::StrCat("admin operation timeout: ", errstr));
    }
  }
  return options;
}

}  // namespace

Admin::Admin(PrivateTag, KafkaPtr rk, std::unique_ptr<ClientError> errors)
    : errors_(std::move(errors)), rk_(std::move(rk)), queue_(rd_kafka_queue_new(rk_.get())) {}

absl::StatusOr<std::unique_ptr<Admin>> Admin::Create(const Properties& props) {
  ONCEFLOW_ASSIGN_OR_RETURN(ConfPtr conf, MakeConf(props));
  auto errors = std::make_unique<ClientError>();
  rd_kafka_conf_set_opaque(conf.get(), errors.get());
  rd_kafka_conf_set_error_cb(conf.get(), &OnClientError);
  char errstr[512];
  // rd_kafka_new takes ownership of the conf only on success.
  KafkaPtr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr)));
  if (rk == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("creating admin client: ", errstr));
  }
  conf.release();
  return std::make_unique<Admin>(PrivateTag{}, std::move(rk), std::move(errors));
}

absl::Status Admin::CreateTopic(const TopicSpec& spec, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  char errstr[512];
  NewTopicPtr topic(rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions,
                                          spec.replication_factor, errstr, sizeof(errstr)));
  if (topic == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("topic ", spec.name, ": ", errstr));
  }
  for (const auto& [name, value] : spec.configs) {
    ONCEFLOW_RETURN_IF_ERROR(
        CodeToStatus(rd_kafka_NewTopic_set_config(topic.get(), name.c_str(), value.c_str()),
                     absl::StrCat("topic ", spec.name, " config ", name)));
  }
  ONCEFLOW_ASSIGN_OR_RETURN(AdminOptionsPtr options,
                            MakeOptions(rk_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout));
  rd_kafka_NewTopic_t* topics[] = {topic.get()};
  rd_kafka_CreateTopics(rk_.get(), topics, 1, options.get(), queue_.get());
  const std::string context = absl::StrCat("create topic ", spec.name);
  ONCEFLOW_ASSIGN_OR_RETURN(
      EventPtr event,
      AwaitResult(queue_.get(), RD_KAFKA_EVENT_CREATETOPICS_RESULT, timeout, context));
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* msg = rd_kafka_topic_result_error_string(results[i]);
      return CodeToStatus(err, context, msg != nullptr ? msg : "");
    }
  }
  // The controller has accepted the topic; wait until the broker's metadata shows every
  // partition with a leader, or the first produce would fail with UNKNOWN_TOPIC_OR_PART.
  while (true) {
    MetadataPtr md;
    const rd_kafka_metadata_t* raw = nullptr;
    TopicPtr rkt(rd_kafka_topic_new(rk_.get(), spec.name.c_str(), nullptr));
    const rd_kafka_resp_err_t err = rd_kafka_metadata(rk_.get(), 0, rkt.get(), &raw, 2000);
    md.reset(raw);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 &&
        md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
        md->topics[0].partition_cnt == spec.partitions) {
      bool all_led = true;
      for (int p = 0; p < md->topics[0].partition_cnt; ++p) {
        if (md->topics[0].partitions[p].leader < 0 ||
            md->topics[0].partitions[p].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          all_led = false;
        }
      }
      if (all_led) return absl::OkStatus();
    }
    if (Clock::now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          context, ": created, but its partitions have no leader after ", timeout.count(), " ms"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

absl::Status Admin::DeleteTopics(const std::vector<std::string>& names,
                                 std::chrono::milliseconds timeout) {
  if (names.empty()) return absl::OkStatus();
  std::vector<DeleteTopicPtr> owned;
  std::vector<rd_kafka_DeleteTopic_t*> raw;
  for (const std::string& name : names) {
    owned.emplace_back(rd_kafka_DeleteTopic_new(name.c_str()));
    raw.push_back(owned.back().get());
  }
  ONCEFLOW_ASSIGN_OR_RETURN(AdminOptionsPtr options,
                            MakeOptions(rk_.get(), RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout));
  rd_kafka_DeleteTopics(rk_.get(), raw.data(), raw.size(), options.get(), queue_.get());
  ONCEFLOW_ASSIGN_OR_RETURN(
      EventPtr event,
      AwaitResult(queue_.get(), RD_KAFKA_EVENT_DELETETOPICS_RESULT, timeout, "delete topics"));
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      const char* msg = rd_kafka_topic_result_error_string(results[i]);
      return CodeToStatus(err,
                          absl::StrCat("delete topic ", rd_kafka_topic_result_name(results[i])),
                          msg != nullptr ? msg : "");
    }
  }
  return absl::OkStatus();
}

namespace {

// The metadata of `topic` alone: kNotFound if it does not exist, the topic's own error if it has
// one. The answer holds exactly one topic, md->topics[0].
absl::StatusOr<MetadataPtr> TopicMetadata(rd_kafka_t* rk, const std::string& topic,
                                          std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* raw = nullptr;
  TopicPtr rkt(rd_kafka_topic_new(rk, topic.c_str(), nullptr));
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt.get(), &raw, ToMs(timeout));
  MetadataPtr md(raw);
  ONCEFLOW_RETURN_IF_ERROR(CodeToStatus(err, absl::StrCat("metadata of topic ", topic)));
  if (md->topic_cnt != 1) {
    return absl::NotFoundError(absl::StrCat("topic ", topic, " not in metadata"));
  }
  ONCEFLOW_RETURN_IF_ERROR(
      CodeToStatus(md->topics[0].err, absl::StrCat("metadata of topic ", topic)));
  return md;
}

}  // namespace

absl::StatusOr<int> Admin::PartitionCount(const std::string& topic,
                                          std::chrono::milliseconds timeout) {
  ONCEFLOW_ASSIGN_OR_RETURN(MetadataPtr md, TopicMetadata(rk_.get(), topic, timeout));
  return md->topics[0].partition_cnt;
}

absl::StatusOr<Properties> Admin::TopicConfig(const std::string& topic,
                                              std::chrono::milliseconds timeout) {
  ConfigResourcePtr resource(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
  ONCEFLOW_ASSIGN_OR_RETURN(AdminOptionsPtr options,
                            MakeOptions(rk_.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout));
  rd_kafka_ConfigResource_t* resources[] = {resource.get()};
  rd_kafka_DescribeConfigs(rk_.get(), resources, 1, options.get(), queue_.get());
  const std::string context = absl::StrCat("describe config of topic ", topic);
  ONCEFLOW_ASSIGN_OR_RETURN(
      EventPtr event,
      AwaitResult(queue_.get(), RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, timeout, context));
  size_t count = 0;
  const rd_kafka_ConfigResource_t** results = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(event.get()), &count);
  if (count != 1) {
    return absl::InternalError(absl::StrCat(context, ": ", count, " resources in the answer"));
  }
  const rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(results[0]);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* msg = rd_kafka_ConfigResource_error_string(results[0]);
    return CodeToStatus(err, context, msg != nullptr ? msg : "");
  }
  Properties config;
  size_t entries = 0;
  const rd_kafka_ConfigEntry_t** list = rd_kafka_ConfigResource_configs(results[0], &entries);
  for (size_t i = 0; i < entries; ++i) {
    const char* value = rd_kafka_ConfigEntry_value(list[i]);
    config[rd_kafka_ConfigEntry_name(list[i])] = value != nullptr ? value : "";
  }
  return config;
}

absl::StatusOr<std::vector<int32_t>> Admin::PartitionLeaders(const std::string& topic,
                                                             std::chrono::milliseconds timeout) {
  ONCEFLOW_ASSIGN_OR_RETURN(MetadataPtr md, TopicMetadata(rk_.get(), topic, timeout));
  const rd_kafka_metadata_topic_t& t = md->topics[0];
  std::vector<int32_t> leaders(static_cast<size_t>(std::max(0, t.partition_cnt)), -1);
  for (int i = 0; i < t.partition_cnt; ++i) {
    const rd_kafka_metadata_partition_t& p = t.partitions[i];
    if (p.id >= 0 && p.id < t.partition_cnt && p.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      leaders[static_cast<size_t>(p.id)] = p.leader;
    }
  }
  return leaders;
}

absl::Status Admin::LastClientError() const {
  std::lock_guard<std::mutex> lock(errors_->mu);
  if (errors_->code == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
  return CodeToStatus(errors_->code, "connecting", errors_->reason);
}

absl::Status Admin::Ping(std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  absl::Status last;
  while (true) {
    // Short requests, so an error the callback reports meanwhile ends the wait early.
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    const rd_kafka_metadata_t* raw = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(
        rk_.get(), 0, nullptr, &raw,
        ToMs(std::clamp(left, std::chrono::milliseconds(1), std::chrono::milliseconds(500))));
    MetadataPtr md(raw);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
    last = CodeToStatus(err, "metadata request");
    rd_kafka_poll(rk_.get(), 0);  // serves the error callback
    absl::Status client = LastClientError();
    if (const Refusal refusal = RefusalOf(client);
        refusal == Refusal::kAuthentication || refusal == Refusal::kTls) {
      return client;
    }
    if (!client.ok()) last = client;
    if (Clock::now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("no answer within ", timeout.count(),
                                                      " ms (last error: ", last.message(), ")"));
    }
  }
}

}  // namespace onceflow::kafka
