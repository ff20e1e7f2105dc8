#include "runtime/pipeline_factory.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "kafka/guarded_properties.h"
#include "onceflow/processor.h"
#include "onceflow/status_macros.h"
#include "runtime/dedupe_transform.h"
#include "runtime/kafka_io.h"
#include "runtime/offsets_committer.h"
#include "runtime/state_manager.h"
#include "runtime/transactional_committer.h"

namespace onceflow::runtime {
namespace {

std::string TransactionalId(const ProcessorOptions& o) {
  return absl::StrCat(o.application_id, "-", o.instance_id);
}

// Whether the user left the assignment to onceflow: no assignor named, and the classic group
// protocol (under KIP-848's consumer protocol the broker assigns, and librdkafka refuses an
// assignor).
bool UsesDefaultAssignor(const kafka::Properties& props) {
  return props.find("partition.assignment.strategy") == props.end() &&
         !kafka::UsesConsumerGroupProtocol(props);
}

// A store serves one partition number of every input topic, which only the eager range
// assignor keeps on one member (Processor::Create refuses incremental rebalancing there).
bool StateOverSeveralTopics(const ProcessorOptions& o) {
  const bool stores = !o.state.stores.empty() || o.state.dedupe.has_value();
  return stores && o.input_topics.size() > 1;
}

}  // namespace

// The default assignor is cooperative-sticky (incremental rebalancing: a rebalance moves only
// the partitions that change owner, the others keep processing), except with state over several
// input topics and with static membership, where librdkafka's eager default (range,roundrobin)
// stays. Static membership with cooperative-sticky can leave a partition with no owner: a
// member killed between the two rounds of an incremental rebalance (a partition revoked from
// it, not yet given to the other) comes back with its stored assignment and no rebalance, and
// no second round ever runs (tests/integration/eos_test.cc, found by the audit). docs/choices.md
// says why, and what it means for rolling upgrades of a group that ran the eager default.
//
// Both clients set socket.nagle.disable=true, librdkafka's own default from 2.10.0 (#4986):
// before that, Nagle's algorithm could hold back small requests such as a commit's. Set on
// every version, it keeps one behaviour, overridable the same way (docs/compatibility.md).
kafka::Properties ConsumerProperties(const ProcessorOptions& o) {
  kafka::Properties props = kafka::Merge(
      {
          {"bootstrap.servers", o.bootstrap_servers},
          {"client.id", TransactionalId(o)},
          {"auto.offset.reset", "earliest"},
          {"socket.nagle.disable", "true"},
      },
      o.kafka_properties);
  props = kafka::Merge(props, o.consumer_properties);
  props = kafka::Merge(props, {
                                  {"group.id", o.application_id},
                                  {"isolation.level", "read_committed"},
                                  {"enable.auto.commit", "false"},
                                  {"enable.auto.offset.store", "false"},
                                  {"enable.partition.eof", o.stop_when_caught_up ? "true" : "false"},
                              });
  if (o.static_membership) props["group.instance.id"] = o.instance_id;
  if (UsesDefaultAssignor(props) && !StateOverSeveralTopics(o) && !o.static_membership) {
    props["partition.assignment.strategy"] = "cooperative-sticky";
  }
  return props;
}

kafka::Properties ProducerProperties(const ProcessorOptions& o) {
  kafka::Properties props = kafka::Merge(
      {
          {"bootstrap.servers", o.bootstrap_servers},
          {"client.id", TransactionalId(o)},
          {"socket.nagle.disable", "true"},
          {"linger.ms", "5"},
      },
      o.kafka_properties);
  props = kafka::Merge(props, o.producer_properties);
  props = kafka::Merge(props, {{"acks", "all"}, {"enable.idempotence", "true"}});
  if (o.mode == Mode::kExactlyOnce) props["transactional.id"] = TransactionalId(o);
  return props;
}

absl::StatusOr<std::unique_ptr<Pipeline>> MakeKafkaPipeline(ProcessorOptions options,
                                                            std::unique_ptr<Transform> transform) {
  const kafka::Properties consumer_props = ConsumerProperties(options);
  const kafka::Properties producer_props = ProducerProperties(options);
  // One board for both clients, only when one of them asks for statistics.
  std::shared_ptr<ClientStatistics> statistics;
  kafka::StatisticsHandler on_statistics;
  if (kafka::StatisticsEnabled(consumer_props) || kafka::StatisticsEnabled(producer_props)) {
    statistics = std::make_shared<ClientStatistics>();
    on_statistics = statistics->Handler();
  }
  ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<KafkaSource> source,
                            KafkaSource::Create(consumer_props, on_statistics));
  std::vector<std::string> topics;
  if (!options.output_topic.empty()) topics.push_back(options.output_topic);
  if (options.errors.policy == ErrorPolicy::kDeadLetter) {
    topics.push_back(options.errors.dead_letter_topic);
  }
  // The changelogs too: the producer learns their leaders at init_transactions (alos: at the
  // first record), after StateManager::Start has created them. Left to librdkafka, the first
  // commit of a new instance waited ~0.7 s in its flush for the metadata of a changelog
  // created moments before (docs/benchmarks.md, the issue-14 profile).
  for (std::string& t : StateManager::ChangelogTopics(options)) topics.push_back(std::move(t));
  ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<KafkaProducerClient> producer,
                            KafkaProducerClient::Create(producer_props, topics, on_statistics));
  return MakePipeline(std::move(options), std::move(transform), std::move(source),
                      std::move(producer), base::SystemClock(), std::move(statistics));
}

absl::StatusOr<std::unique_ptr<Pipeline>> MakePipeline(
    ProcessorOptions options, std::unique_ptr<Transform> transform,
    std::unique_ptr<Source> source, std::unique_ptr<ProducerClient> producer, base::Clock& clock,
    std::shared_ptr<ClientStatistics> statistics) {
  PipelineParts parts;
  parts.client_statistics = std::move(statistics);
  parts.clock = &clock;
  parts.counters = std::make_unique<EngineCounters>();
  parts.source = std::move(source);
  parts.producer = std::move(producer);
  parts.sink = std::make_unique<ProducerSink>(*parts.producer, clock);

  if (options.mode == Mode::kExactlyOnce) {
    TransactionalCommitterOptions t;
    t.transactional_id = TransactionalId(options);
    t.commit_interval = options.commit_interval;
    t.max_records = options.max_records_per_transaction;
    t.call_timeout = options.transaction_call_timeout;
    t.transaction_timeout =
        kafka::TransactionTimeout({&options.kafka_properties, &options.producer_properties});
    t.longest_record = WorstCaseRetryTime(options.errors.retry);
    t.recovery_timeout = options.startup_timeout;
    parts.committer = std::make_unique<TransactionalCommitter>(
        std::move(t), *parts.producer, *parts.source, clock, *parts.counters);
  } else {
    OffsetsCommitterOptions a;
    a.policy = options.commit_policy;
    a.commit_interval = options.commit_interval;
    a.every_records = options.commit_every_records;
    a.async = options.async_commit;
    a.flush_timeout = options.transaction_call_timeout;
    parts.committer = std::make_unique<OffsetsCommitter>(std::move(a), *parts.producer,
                                                         *parts.sink, *parts.source,
                                                         *parts.counters);
  }

  std::shared_ptr<state::CompactionPolicy> dedupe_policy;
  if (options.state.dedupe.has_value()) {
    base::Clock& dedupe_clock =
        options.state.clock != nullptr ? *options.state.clock : base::SystemClock();
    ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<DedupeTransform> dedupe,
                              DedupeTransform::Create(*options.state.dedupe, dedupe_clock));
    parts.participants.push_back(dedupe.get());
    dedupe_policy = dedupe->compaction_policy();
    transform = Chain(std::move(dedupe), std::move(transform));
  }
  parts.transform = std::move(transform);

  ProducerSink* sink = parts.sink.get();
  parts.state = std::make_unique<StateManager>(
      options, [sink](const std::string& topic, int32_t partition, absl::string_view key,
                      std::optional<absl::string_view> value) {
        return sink->SendChangelog(topic, partition, key, value);
      });
  StateManager* state = parts.state.get();
  if (dedupe_policy != nullptr) state->SetCompactionPolicy(kDedupeStore, std::move(dedupe_policy));
  sink->SetChangelogDelivered(
      [state](const TopicPartitionOffset& position) { state->OnChangelogDelivered(position); });
  return std::make_unique<Pipeline>(std::move(options), std::move(parts));
}

}  // namespace onceflow::runtime
