#include "sidecar/preflight.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "kafka/admin.h"
#include "kafka/consumer.h"
#include "kafka/error.h"
#include "onceflow/kafka_types.h"
#include "onceflow/status_macros.h"
#include "runtime/log.h"
#include "sidecar/access.h"

namespace onceflow::sidecar {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kRequestTimeout{10};

std::string TransactionalId(const ProcessorOptions& o) {
  return absl::StrCat(o.application_id, "-", o.instance_id);
}

// Waits for the cluster to answer, in slices so a stop request is noticed.
absl::StatusOr<std::unique_ptr<kafka::Admin>> Connect(const ProcessorOptions& o,
                                                      const kafka::Properties& props,
                                                      const std::function<bool()>& stopped,
                                                      std::chrono::milliseconds timeout) {
  // A producer-type handle: consumer-only properties would only draw librdkafka's warnings.
  kafka::Properties admin_props = kafka::WithoutScope(props, kafka::PropertyScope::kConsumer);
  admin_props["client.id"] = absl::StrCat(TransactionalId(o), "-preflight");
  ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<kafka::Admin> admin, kafka::Admin::Create(admin_props));
  const Clock::time_point deadline = Clock::now() + timeout;
  Clock::time_point next_warning = Clock::now() + std::chrono::seconds(5);
  while (true) {
    if (stopped()) return absl::CancelledError("stopped while waiting for the cluster");
    const absl::Status st = admin->Ping(std::chrono::seconds(1));
    if (st.ok()) return admin;
    if (IsAccessDenied(st)) return ExplainAccess(st, props, {"Cluster", "", {"Describe"}});
    const Clock::time_point now = Clock::now();
    if (now >= deadline) {
      return absl::UnavailableError(absl::StrCat("cannot reach Kafka at ", o.bootstrap_servers,
                                                 " within ", timeout.count() / 1000,
                                                 " s: ", st.message()));
    }
    if (now >= next_warning) {
      next_warning = now + std::chrono::seconds(10);
      runtime::Log(runtime::LogLevel::kWarn,
                   absl::StrCat("Kafka at ", o.bootstrap_servers, " not reachable yet (",
                                st.message(), "); waiting"));
    }
  }
}

}  // namespace

kafka::Properties ConsumerSideProperties(const ProcessorOptions& o) {
  return kafka::Merge(
      kafka::Merge({{"bootstrap.servers", o.bootstrap_servers}}, o.kafka_properties),
      o.consumer_properties);
}

kafka::Properties ProducerSideProperties(const ProcessorOptions& o) {
  return kafka::Merge(
      kafka::Merge({{"bootstrap.servers", o.bootstrap_servers}}, o.kafka_properties),
      o.producer_properties);
}

absl::Status CheckAccess(const ProcessorOptions& o, const std::function<bool()>& stopped,
                         std::chrono::milliseconds timeout) {
  const kafka::Properties props = ConsumerSideProperties(o);
  ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<kafka::Admin> admin,
                            Connect(o, props, stopped, timeout));

  struct Need {
    std::string topic;
    std::vector<std::string> operations;
  };
  std::vector<Need> needs;
  for (const std::string& in : o.input_topics) needs.push_back({in, {"Describe", "Read"}});
  if (!o.output_topic.empty()) needs.push_back({o.output_topic, {"Describe", "Write"}});
  if (o.errors.policy == ErrorPolicy::kDeadLetter && !o.errors.dead_letter_topic.empty()) {
    needs.push_back({o.errors.dead_letter_topic, {"Describe", "Write"}});
  }
  int first_input_partitions = 0;
  for (const Need& need : needs) {
    if (stopped()) return absl::CancelledError("stopped while checking access");
    absl::StatusOr<int> count = admin->PartitionCount(need.topic, kRequestTimeout);
    if (IsAccessDenied(count.status())) {
      return ExplainAccess(count.status(), props, {"Topic", need.topic, need.operations});
    }
    if (need.topic == o.input_topics.front() && count.ok()) first_input_partitions = *count;
  }
  if (first_input_partitions == 0) return absl::OkStatus();  // the engine reports the topic

  // The group: fetching its committed offsets needs the group's ACL, as joining it does. The
  // consumer never subscribes, so it never joins and disturbs no member.
  kafka::Properties consumer_props = kafka::WithoutScope(props, kafka::PropertyScope::kProducer);
  consumer_props["group.id"] = o.application_id;
  consumer_props.erase("group.instance.id");
  consumer_props["client.id"] = absl::StrCat(TransactionalId(o), "-preflight");
  ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<kafka::Consumer> consumer,
                            kafka::Consumer::Create(consumer_props));
  absl::StatusOr<std::vector<TopicPartitionOffset>> committed =
      consumer->Committed({{o.input_topics.front(), Partition(0)}}, kRequestTimeout);
  if (IsAccessDenied(committed.status())) {
    return ExplainAccess(committed.status(), props, {"Group", o.application_id, {"Read"}});
  }
  // Anything else (a coordinator still loading, a timeout) is the engine's to retry.
  return absl::OkStatus();
}

absl::Status ExplainRunError(const absl::Status& status, const ProcessorOptions& o) {
  if (!IsAccessDenied(status)) return status;
  switch (kafka::RefusalOf(status)) {
    case kafka::Refusal::kTransactionalId:
      return ExplainAccess(status, ProducerSideProperties(o),
                           {"TransactionalId", TransactionalId(o), {"Write", "Describe"}});
    case kafka::Refusal::kGroup:
      return ExplainAccess(status, ConsumerSideProperties(o),
                           {"Group", o.application_id, {"Read"}});
    case kafka::Refusal::kCluster:
      return ExplainAccess(status, ProducerSideProperties(o), {"Cluster", "", {"IdempotentWrite"}});
    case kafka::Refusal::kTopic: {
      const std::string principal = DescribePrincipal(ConsumerSideProperties(o));
      absl::Status explained(
          absl::StatusCode::kPermissionDenied,
          absl::StrCat(principal,
                       " is not allowed to use a topic (TOPIC_AUTHORIZATION_FAILED): inputs "
                       "need Read and Describe, the output and the dead-letter topic Write and "
                       "Describe (kafka-acls.sh --add --allow-principal ",
                       principal, " --operation Read --topic IN ...); ", status.message()));
      status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
        explained.SetPayload(url, payload);
      });
      return explained;
    }
    default:
      return ExplainAccess(status, ConsumerSideProperties(o), {"Cluster", "", {"Describe"}});
  }
}

}  // namespace onceflow::sidecar
