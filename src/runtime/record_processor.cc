#include "runtime/record_processor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "onceflow/record.h"
#include "onceflow/transform.h"

namespace onceflow::runtime {
namespace {

class PendingEmitter : public Emitter {
 public:
  explicit PendingEmitter(std::vector<OutputRecord>& pending) : pending_(pending) {}
  void Emit(OutputRecord record) override { pending_.push_back(std::move(record)); }

 private:
  std::vector<OutputRecord>& pending_;
};

// splitmix64 (Steele, Lea, Flood 2014): tiny, full period, good enough for jitter.
uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::string DeadLetterHeaderName(DeadLetterHeaderStyle style, absl::string_view name) {
  struct Mapping {
    const char* onceflow;
    const char* streams;  // KIP-1034
    const char* connect;  // Kafka Connect's errors.deadletterqueue.context.headers.enable
  };
  static constexpr Mapping kMappings[] = {
      {kHeaderOriginalTopic, "__streams.errors.topic", "__connect.errors.topic"},
      {kHeaderOriginalPartition, "__streams.errors.partition", "__connect.errors.partition"},
      {kHeaderOriginalOffset, "__streams.errors.offset", "__connect.errors.offset"},
      {kHeaderErrorClass, "__streams.errors.exception", "__connect.errors.exception.class.name"},
      {kHeaderErrorMessage, "__streams.errors.message", "__connect.errors.exception.message"},
  };
  if (style == DeadLetterHeaderStyle::kOnceflow) return std::string(name);
  for (const Mapping& m : kMappings) {
    if (name == m.onceflow) {
      return style == DeadLetterHeaderStyle::kKafkaStreams ? m.streams : m.connect;
    }
  }
  return absl::StrCat(style == DeadLetterHeaderStyle::kKafkaStreams ? "__streams.errors.onceflow."
                                                                    : "__connect.errors.onceflow.",
                      name);
}

RecordProcessor::RecordProcessor(Transform& transform, RecordProcessorConfig config, Sink& sink,
                                 base::Clock& clock, AttemptScope* attempts)
    : transform_(transform),
      config_(std::move(config)),
      sink_(sink),
      clock_(clock),
      attempts_(attempts),
      rng_state_(config_.jitter_seed) {}

std::chrono::milliseconds RecordProcessor::Backoff(int attempt) {
  if (attempt < 2) return std::chrono::milliseconds(0);
  const RetryOptions& retry = config_.errors.retry;
  const double base = static_cast<double>(std::max<int64_t>(0, retry.base_backoff.count()));
  const double cap = static_cast<double>(std::max<int64_t>(0, retry.max_backoff.count()));
  // Exponent capped so the double stays finite for absurd attempt numbers.
  const double raw = std::min(cap, base * std::ldexp(1.0, std::min(attempt - 2, 62)));
  // 53 random bits -> u in [0, 1) -> factor in [0.8, 1.2).
  const double u = static_cast<double>(SplitMix64(rng_state_) >> 11) * 0x1.0p-53;
  const double jittered = raw * (0.8 + 0.4 * u);
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(jittered)));
}

absl::StatusOr<RecordOutcome> RecordProcessor::Process(
    const Record& in, std::optional<base::Clock::SteadyTime> deadline) {
  RecordOutcome outcome;
  const int max_attempts = std::max(1, config_.errors.retry.max_attempts);
  absl::Status error;
  for (int attempt = 1;; ++attempt) {
    if (attempt > 1) {
      const std::chrono::milliseconds wait = Backoff(attempt);
      if (deadline.has_value() && clock_.SteadyNow() + wait > *deadline) {
        pending_.clear();
        return absl::AbortedError(absl::StrCat(
            "retrying ", in.topic(), "[", in.partition().value(), "]@", in.offset().value(),
            " (attempt ", attempt, ", last error: ", error.message(),
            ") would outlast the transaction; replaying it in a new one"));
      }
      clock_.SleepFor(wait);
    }
    outcome.attempts = attempt;
    pending_.clear();  // whatever a failed attempt emitted is discarded
    PendingEmitter emitter(pending_);
    if (attempts_ != nullptr) attempts_->Begin();
    error = transform_.Process(in, emitter);
    if (error.ok()) break;
    if (attempts_ != nullptr) attempts_->Rollback();  // and its state writes
    if (!IsTransient(error) || attempt >= max_attempts) break;
  }

  if (error.ok()) {
    // Resolve every topic before sending anything: an input is all-or-nothing.
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (pending_[i].topic().empty() && config_.default_topic.empty()) {
        error = PermanentError(
            absl::StrCat("output ", i, " of transform '", transform_.name(),
                         "' names no topic and no default output topic is configured"));
        if (attempts_ != nullptr) attempts_->Rollback();
        break;
      }
    }
  }

  if (error.ok()) {
    for (const OutputRecord& r : pending_) {
      const std::string& topic = r.topic().empty() ? config_.default_topic : r.topic();
      if (absl::Status st = sink_.Send(topic, r); !st.ok()) {
        pending_.clear();
        if (attempts_ != nullptr) attempts_->Rollback();
        return st;
      }
    }
    if (attempts_ != nullptr) {
      if (absl::Status st = attempts_->Commit(); !st.ok()) {
        pending_.clear();
        return st;
      }
    }
    outcome.disposition = RecordOutcome::Disposition::kProcessed;
    outcome.outputs = pending_.size();
    pending_.clear();  // drop views into `in` before it goes away
    return outcome;
  }
  pending_.clear();
  return ApplyPolicy(in, std::move(error), outcome.attempts);
}

absl::StatusOr<RecordOutcome> RecordProcessor::ApplyPolicy(const Record& in, absl::Status error,
                                                           int attempts) {
  RecordOutcome outcome;
  outcome.attempts = attempts;
  outcome.error = error;
  switch (config_.errors.policy) {
    case ErrorPolicy::kSkip:
      outcome.disposition = RecordOutcome::Disposition::kSkipped;
      return outcome;
    case ErrorPolicy::kFail:
      outcome.disposition = RecordOutcome::Disposition::kFailed;
      return outcome;
    case ErrorPolicy::kDeadLetter:
      break;
  }

  if (config_.errors.dead_letter_topic.empty()) {
    // Misconfiguration: there is nowhere to put the record, so stop rather than lose it.
    outcome.disposition = RecordOutcome::Disposition::kFailed;
    outcome.error = absl::FailedPreconditionError(
        absl::StrCat("ErrorPolicy::kDeadLetter without errors.dead_letter_topic; the input failed "
                     "with: ",
                     error.ToString()));
    return outcome;
  }

  // Key, value and headers as views (null stays null); stamped when produced, like Kafka
  // Connect's dead letters, so the dead-letter topic's retention counts from the failure.
  OutputRecord dead = OutputRecord::Forward(in);
  dead.SetTimestampMs(0);
  const DeadLetterHeaderStyle style = config_.errors.header_style;
  auto add = [&](const char* name, std::string value) {
    dead.AddHeader(DeadLetterHeaderName(style, name), std::move(value));
  };
  add(kHeaderOriginalTopic, std::string(in.topic()));
  add(kHeaderOriginalPartition, absl::StrCat(in.partition().value()));
  add(kHeaderOriginalOffset, absl::StrCat(in.offset().value()));
  add(kHeaderOriginalTimestamp, absl::StrCat(in.timestamp_ms()));
  add(kHeaderErrorClass, ErrorClass(error));
  add(kHeaderErrorMessage, std::string(error.message()));
  add(kHeaderRetryCount, absl::StrCat(outcome.attempts - 1));
  add(kHeaderFailedAt, absl::StrCat(clock_.NowMs()));
  add(kHeaderInstanceId, config_.instance_id);
  if (absl::Status st = sink_.Send(config_.errors.dead_letter_topic, dead); !st.ok()) return st;
  outcome.disposition = RecordOutcome::Disposition::kDeadLettered;
  outcome.outputs = 1;
  return outcome;
}

}  // namespace onceflow::runtime
