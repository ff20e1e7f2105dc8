#include "onceflow/processor.h"

#include <unistd.h>

#include <array>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "kafka/error.h"
#include "kafka/guarded_properties.h"
#include "onceflow/status_macros.h"
#include "runtime/log.h"
#include "runtime/pipeline_factory.h"

namespace onceflow {
namespace {

std::string HostName() {
  std::array<char, 256> buf{};
  if (::gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0') return "localhost";
  return std::string(buf.data());
}

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("ProcessorOptions.", field, ": ", why));
}

// Refuses pass-through librdkafka properties that would break the mode's guarantee (the one
// table in kafka/guarded_properties.h, which `onceflow validate` reads too).
absl::Status CheckProperties(absl::string_view field,
                             const std::map<std::string, std::string>& props, Mode mode) {
  for (const auto& [name, value] : props) {
    if (std::optional<std::string> why =
            kafka::GuaranteeConflict(name, value, mode == Mode::kExactlyOnce)) {
      return Invalid(absl::StrCat(field, "[\"", name, "\"]"), *why);
    }
  }
  return absl::OkStatus();
}

absl::Status Validate(ProcessorOptions& o) {
  if (o.bootstrap_servers.empty()) return Invalid("bootstrap_servers", "required");
  if (o.application_id.empty()) return Invalid("application_id", "required");
  if (o.instance_id.empty()) o.instance_id = HostName();
  if (o.input_topics.empty()) return Invalid("input_topics", "at least one topic is required");
  for (const std::string& t : o.input_topics) {
    if (t.empty()) return Invalid("input_topics", "empty topic name");
    if (t == o.output_topic) {
      return Invalid("output_topic", absl::StrCat("'", t, "' is also an input: a loop"));
    }
  }
  if (o.commit_interval.count() <= 0) return Invalid("commit_interval", "must be > 0");
  if (o.max_records_per_transaction <= 0) {
    return Invalid("max_records_per_transaction", "must be > 0");
  }
  if (o.poll_batch_size <= 0) return Invalid("poll_batch_size", "must be > 0");
  if (o.commit_every_records <= 0) return Invalid("commit_every_records", "must be > 0");
  if (o.transaction_call_timeout.count() <= 0) {
    return Invalid("transaction_call_timeout", "must be > 0");
  }
  if (o.errors.policy == ErrorPolicy::kDeadLetter && o.errors.dead_letter_topic.empty()) {
    return Invalid("errors.dead_letter_topic", "required with ErrorPolicy::kDeadLetter");
  }
  if (o.errors.retry.max_attempts < 1) return Invalid("errors.retry.max_attempts", "must be >= 1");
  if (o.errors.retry.base_backoff.count() < 0 ||
      o.errors.retry.max_backoff < o.errors.retry.base_backoff) {
    return Invalid("errors.retry", "need 0 <= base_backoff <= max_backoff");
  }
  if (o.mode == Mode::kExactlyOnce) {
    if (std::optional<std::string> why = TransactionBudgetConflict(o)) {
      return Invalid("commit_interval", *why);
    }
  }
  if (absl::Status st = CheckProperties("kafka_properties", o.kafka_properties, o.mode); !st.ok()) {
    return st;
  }
  const bool stores = !o.state.stores.empty() || o.state.dedupe.has_value();
  if (stores && o.input_topics.size() > 1 &&
      kafka::IncrementalRebalancing({&o.kafka_properties, &o.consumer_properties})) {
    return Invalid("consumer_properties",
                   "incremental rebalancing (cooperative-sticky, group.protocol consumer) does "
                   "not keep the same-numbered partitions of several input topics on one "
                   "member, and a store serves a partition number of every input; with state, "
                   "read one input topic or leave the assignor unset (eager range is the "
                   "default there)");
  }
  if (absl::Status st = CheckProperties("consumer_properties", o.consumer_properties, o.mode);
      !st.ok()) {
    return st;
  }
  if (std::optional<kafka::GroupProtocolConflict> c =
          kafka::ConsumerProtocolConflict({&o.kafka_properties, &o.consumer_properties})) {
    return Invalid(absl::StrCat(c->map_index == 0 ? "kafka_properties" : "consumer_properties",
                                "[\"", c->name, "\"]"),
                   c->reason);
  }
  return CheckProperties("producer_properties", o.producer_properties, o.mode);
}

}  // namespace

std::chrono::milliseconds WorstCaseRetryTime(const RetryOptions& retry) {
  int64_t total = 0;
  for (int attempt = 2; attempt <= retry.max_attempts; ++attempt) {
    const int64_t raw = std::min<int64_t>(
        retry.max_backoff.count(), retry.base_backoff.count() << std::min(attempt - 2, 40));
    total += raw + raw / 5;  // +20 % jitter at most
  }
  return std::chrono::milliseconds(total);
}

std::optional<std::string> TransactionBudgetConflict(const ProcessorOptions& o) {
  std::string error;
  const std::chrono::milliseconds timeout =
      kafka::TransactionTimeout({&o.kafka_properties, &o.producer_properties}, &error);
  if (!error.empty()) return error;
  if (o.commit_interval >= timeout) {
    return absl::StrCat("commit_interval (", o.commit_interval.count(),
                        " ms) must be shorter than the producer's transaction.timeout.ms (",
                        timeout.count(),
                        " ms): the broker aborts a transaction open longer than that, and every "
                        "transaction would be aborted (Kafka Streams refuses this too)");
  }
  const std::chrono::milliseconds retries = WorstCaseRetryTime(o.errors.retry);
  if (o.commit_interval + retries >= timeout) {
    return absl::StrCat(
        "commit_interval (", o.commit_interval.count(), " ms) plus the longest retry of one record (",
        retries.count(), " ms: errors.retry max_attempts ", o.errors.retry.max_attempts,
        ", backoff ", o.errors.retry.base_backoff.count(), "..", o.errors.retry.max_backoff.count(),
        " ms) must be shorter than transaction.timeout.ms (", timeout.count(),
        " ms), or one slow record makes the broker abort the transaction; lower the retries or "
        "raise transaction.timeout.ms");
  }
  return std::nullopt;
}

absl::StatusOr<std::unique_ptr<Processor>> Processor::Create(ProcessorOptions options,
                                                             std::unique_ptr<Transform> transform) {
  if (transform == nullptr) return Invalid("transform", "required");
  if (absl::Status st = Validate(options); !st.ok()) return st;
  const auto named = [&](const std::string& name) -> std::string {
    for (const kafka::Properties* m : {&options.consumer_properties, &options.kafka_properties}) {
      if (auto it = m->find(name); it != m->end()) return absl::AsciiStrToLower(it->second);
    }
    return "";
  };
  if (options.static_membership && named("group.protocol") != "consumer" &&
      absl::StrContains(named("partition.assignment.strategy"), "cooperative-sticky")) {
    // Named by the user, so not overridden; docs/guarantees.md, Known limits.
    runtime::Log(runtime::LogLevel::kWarn,
                 "static membership with incremental rebalancing: an instance killed between "
                 "the two rounds of a rebalance rejoins with its stored assignment and no "
                 "rebalance, and the partition it was giving up stays with no owner until the "
                 "group next rebalances; onceflow's default with static membership is the eager "
                 "assignor (docs/choices.md)");
  }
  ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<runtime::Pipeline> pipeline,
                            runtime::MakeKafkaPipeline(std::move(options), std::move(transform)));
  return pipeline;
}

int ProcessorExitCode(const absl::Status& status) {
  if (status.ok()) return 0;
  if (kafka::IsFenced(status)) return 3;
  if (status.code() == absl::StatusCode::kInvalidArgument) return 2;
  if (kafka::KafkaErrorCode(status).has_value() ||
      status.code() == absl::StatusCode::kFailedPrecondition ||
      status.code() == absl::StatusCode::kUnavailable) {
    return 4;
  }
  return 1;
}

}  // namespace onceflow
