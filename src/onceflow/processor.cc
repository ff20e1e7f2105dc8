#include "onceflow/processor.h"

#include <unistd.h>

#include <array>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "kafka/error.h"
#include "runtime/pipeline.h"

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

// Refuses pass-through librdkafka properties that would break the mode's guarantee.
absl::Status CheckProperties(absl::string_view field,
                             const std::map<std::string, std::string>& props, Mode mode) {
  for (const auto& [name, raw] : props) {
    const std::string value = absl::AsciiStrToLower(raw);
    const std::string where = absl::StrCat(field, "[\"", name, "\"]");
    if (name == "enable.auto.commit" && value != "false") {
      return Invalid(where,
                     "auto commit would commit offsets of records whose outputs are not "
                     "yet written; onceflow commits offsets itself");
    }
    if (name == "enable.auto.offset.store" && value != "false") {
      return Invalid(where, "onceflow stores offsets itself, after the outputs are safe");
    }
    if (name == "isolation.level" && value != "read_committed") {
      return Invalid(where,
                     "inputs are read with read_committed, or aborted upstream records "
                     "would be processed");
    }
    if (name == "group.id") {
      return Invalid(where, "the group id is application_id");
    }
    if (name == "transactional.id") {
      return Invalid(where, mode == Mode::kExactlyOnce
                                ? "the transactional.id is <application_id>-<instance_id>, "
                                  "stable per instance so a restart fences its zombie"
                                : "at-least-once mode does not use transactions");
    }
    if (name == "enable.idempotence" && value != "true") {
      return Invalid(where, "the producer must be idempotent (no duplicates from its retries)");
    }
    if ((name == "acks" || name == "request.required.acks") && value != "all" && value != "-1") {
      return Invalid(where,
                     "acks must be all: an output acknowledged by fewer replicas can be "
                     "lost after its input offset was committed");
    }
    if (name == "group.instance.id") {
      return Invalid(where, "set from instance_id (see static_membership)");
    }
    if (name == "enable.partition.eof") {
      return Invalid(where, "set by onceflow (see stop_when_caught_up)");
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
  if (absl::Status st = CheckProperties("kafka_properties", o.kafka_properties, o.mode); !st.ok()) {
    return st;
  }
  if (absl::Status st = CheckProperties("consumer_properties", o.consumer_properties, o.mode);
      !st.ok()) {
    return st;
  }
  return CheckProperties("producer_properties", o.producer_properties, o.mode);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Processor>> Processor::Create(ProcessorOptions options,
                                                             std::unique_ptr<Transform> transform) {
  if (transform == nullptr) return Invalid("transform", "required");
  if (absl::Status st = Validate(options); !st.ok()) return st;
  return std::make_unique<runtime::Pipeline>(std::move(options), std::move(transform));
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
