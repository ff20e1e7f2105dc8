#include "runtime/pipeline.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/retry.h"
#include "kafka/error.h"
#include "onceflow/status_macros.h"
#include "runtime/fault_injection.h"
#include "runtime/log.h"

namespace onceflow::runtime {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kMaxPollWait{100};
constexpr milliseconds kSeekTimeout{10000};
// Inputs remembered as unproducible; the oldest are forgotten beyond this (they are replayed
// once more and found again).
constexpr size_t kMaxPoison = 100000;

void Info(absl::string_view m) { Log(LogLevel::kInfo, m); }
void Warn(absl::string_view m) { Log(LogLevel::kWarn, m); }

std::string Describe(const std::vector<TopicPartition>& tps) {
  return absl::StrJoin(tps, ", ", [](std::string* out, const TopicPartition& tp) {
    absl::StrAppend(out, tp.topic, "[", tp.partition.value(), "]");
  });
}

std::string Where(const Record& r) {
  return absl::StrCat(r.topic(), "[", r.partition().value(), "]@", r.offset().value());
}

// The Status an ErrorPolicy::kFail stop carries (so the loop does not take it for a Kafka
// failure to recover from).
constexpr absl::string_view kPolicyFailurePayload = "type.onceflow.dev/PolicyFailure";

bool IsPolicyFailure(const absl::Status& st) {
  return st.GetPayload(kPolicyFailurePayload).has_value();
}

}  // namespace

Pipeline::Pipeline(ProcessorOptions options, PipelineParts parts)
    : options_(std::move(options)),
      clock_(*parts.clock),
      counters_(std::move(parts.counters)),
      source_(std::move(parts.source)),
      producer_(std::move(parts.producer)),
      sink_(std::move(parts.sink)),
      committer_(std::move(parts.committer)),
      state_(std::move(parts.state)),
      transform_(std::move(parts.transform)),
      participants_(std::move(parts.participants)),
      client_statistics_(std::move(parts.client_statistics)) {
  RecordProcessorConfig config;
  config.default_topic = options_.output_topic;
  config.errors = options_.errors;
  config.instance_id = options_.instance_id;
  // The state manager brackets every attempt: its state writes go with its outputs.
  record_processor_ =
      std::make_unique<RecordProcessor>(*transform_, config, *sink_, clock_, state_.get());
  source_->SetListener(this);
  if (state_ != nullptr) {
    // A restore reads the changelogs only once the input's committed offsets are stable: a
    // transaction that holds them has then ended (StateManager::RestoreStep).
    state_->SetStableOffsetsFn(
        [this](const std::vector<TopicPartition>& tps, milliseconds timeout) -> absl::Status {
          return source_->Committed(tps, timeout).status();
        });
  }
}

Pipeline::~Pipeline() {
  // Leave the group first (its revoke runs while everything is alive), then end the producer
  // while the sink that takes its delivery reports still exists.
  if (source_ != nullptr) (void)source_->Close();
  source_.reset();
  producer_.reset();
}

ProcessorMetrics Pipeline::metrics() const {
  ProcessorMetrics m;
  m.stats = stats();
  m.commit_latency = commit_latency_.Snapshot();
  m.end_to_end_latency = e2e_latency_.Snapshot();
  {
    const std::lock_guard<std::mutex> lock(lag_mu_);
    m.lag = lag_;
  }
  if (client_statistics_ != nullptr) m.kafka = client_statistics_->Snapshot();
  m.running = running_.load();
  m.ready = ready_.load();
  m.last_loop_ms = last_loop_ms_.load();
  return m;
}

ProcessorStats Pipeline::stats() const {
  // Every pointer read here is set in the constructor and never changes: safe from any thread.
  const EngineCounters& c = *counters_;
  ProcessorStats s;
  s.records_in = c.records_in.load();
  s.records_out = c.records_out.load();
  s.dead_lettered = c.dead_lettered.load();
  s.skipped = c.skipped.load();
  s.retries = c.retries.load();
  s.transactions_committed = c.committed.load();
  s.transactions_aborted = c.aborted.load();
  s.offset_commits = c.offset_commits.load();
  s.rewinds = c.rewinds.load();
  s.producers_recreated = c.producers_recreated.load();
  s.rebalances = c.rebalances.load();
  s.last_commit_ms = c.last_commit_ms.load();
  for (const CommitParticipant* p : participants_) p->AddStats(s);
  s.restored_records = state_->restored_records();
  s.restore_ms = state_->restore_ms();
  return s;
}

// ----------------------------------------------------------------------------------- start

absl::Status Pipeline::Start() {
  ONCEFLOW_RETURN_IF_ERROR(ConfigureFaultsFromEnv());
  ONCEFLOW_RETURN_IF_ERROR(transform_->Init(*state_));
  ONCEFLOW_RETURN_IF_ERROR(WaitForCluster());
  ONCEFLOW_RETURN_IF_ERROR(state_->Start());
  ONCEFLOW_RETURN_IF_ERROR(committer_->Start(clock_.SteadyNow() + options_.startup_timeout,
                                             [this] { return stop_.load(); }));
  ONCEFLOW_RETURN_IF_ERROR(source_->Subscribe(options_.input_topics));
  Info(absl::StrCat("started: mode=", eos() ? "eos" : "alos", " group=", options_.application_id,
                    " instance=", options_.instance_id, " inputs=",
                    absl::StrJoin(options_.input_topics, ","), " output=", options_.output_topic,
                    eos() ? absl::StrCat(" transactional.id=", options_.application_id, "-",
                                         options_.instance_id)
                          : ""));
  return absl::OkStatus();
}

absl::Status Pipeline::WaitForCluster() {
  std::vector<std::string> existing;
  base::RetrySettings retry;
  retry.cancelled = [this] { return stop_.load(); };
  retry.on_retry = [this](const absl::Status& st, milliseconds wait) {
    Warn(absl::StrCat("Kafka at ", options_.bootstrap_servers, " not reachable (", st.message(),
                      "); retrying in ", wait.count(), " ms"));
  };
  retry.retry_if = [](const absl::Status& st) { return !absl::IsCancelled(st); };
  absl::Status st = base::RetryUntil(
      clock_.SteadyNow() + options_.startup_timeout, clock_,
      [&](int) -> absl::Status {
        ONCEFLOW_ASSIGN_OR_RETURN(existing, source_->ListTopics(milliseconds(5000)));
        return absl::OkStatus();
      },
      retry);
  if (absl::IsCancelled(st)) return absl::CancelledError("stopped while waiting for the cluster");
  if (!st.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach Kafka at ", options_.bootstrap_servers, " within ",
                     options_.startup_timeout.count() / 1000, " s: ", st.message()));
  }
  std::vector<std::string> needed = options_.input_topics;
  if (!options_.output_topic.empty()) needed.push_back(options_.output_topic);
  if (options_.errors.policy == ErrorPolicy::kDeadLetter) {
    needed.push_back(options_.errors.dead_letter_topic);
  }
  for (const std::string& topic : needed) {
    if (std::find(existing.begin(), existing.end(), topic) == existing.end()) {
      return absl::NotFoundError(absl::StrCat(
          "topic '", topic, "' does not exist at ", options_.bootstrap_servers,
          "; onceflow never creates its input, output or dead-letter topics: create it first"));
    }
  }
  return absl::OkStatus();
}

// ------------------------------------------------------------------------------------ loop

absl::Status Pipeline::Run() {
  if (absl::Status st = Start(); !st.ok()) {
    // Stop() during start-up is a clean stop: nothing was consumed.
    if (stop_.load() && st.code() == absl::StatusCode::kCancelled) {
      return Shutdown(absl::OkStatus());
    }
    return Shutdown(st);
  }
  last_commit_ = clock_.SteadyNow();
  last_commit_end_ = last_commit_;
  running_ = true;
  while (!stop_.load(std::memory_order_relaxed)) {
    last_loop_ms_.store(clock_.NowMs(), std::memory_order_relaxed);
    absl::Status stop_status;
    if (!PollBatch(&stop_status)) return Shutdown(stop_status);
    if (options_.stop_when_caught_up && CaughtUp()) {
      const double seconds =
          std::chrono::duration<double>(last_commit_end_ - first_record_).count();
      const int64_t records = counters_->records_in.load(std::memory_order_relaxed);
      Info(absl::StrCat(
          "caught up: every assigned partition is at its end and committed; stopping",
          records > 0 && seconds > 0
              ? absl::StrFormat(" (%d records in %.3f s from the first to the last commit, "
                                "%.0f records/s)",
                                records, seconds, static_cast<double>(records) / seconds)
              : ""));
      break;
    }
  }
  return Shutdown(absl::OkStatus());
}

bool Pipeline::PollBatch(absl::Status* stop_status) {
  const bool restoring = state_->restoring();
  if (restoring) {
    // Restore a little at a time, between the records of the partitions that are ready.
    if (absl::Status st = RestoreStep(); !st.ok()) {
      *stop_status = base::Annotate("restoring state: ", st);
      return false;
    }
  }
  int processed = 0;
  while (processed < options_.poll_batch_size && !stop_.load(std::memory_order_relaxed)) {
    milliseconds wait{0};
    if (processed == 0 && !restoring) {
      wait = kMaxPollWait;
      if (!unit_.empty()) {
        const auto due = CommitReference() + options_.commit_interval;
        wait = std::clamp(std::chrono::duration_cast<milliseconds>(due - clock_.SteadyNow()),
                          milliseconds(0), kMaxPollWait);
      }
    }
    absl::StatusOr<std::optional<kafka::ConsumedMessage>> polled = source_->Poll(wait);
    if (!deferred_error_.ok()) {
      *stop_status = deferred_error_;
      return false;
    }
    if (!polled.ok()) {
      const absl::Status& st = polled.status();
      if (kafka::IsFenced(st)) {
        *stop_status = base::Annotate(
            absl::StrCat("fenced: another instance with instance id '", options_.instance_id,
                         "' joined the group, or this one was cut off from the group longer "
                         "than session.timeout.ms (e.g. a broker outage: librdkafka 2.0.2 "
                         "cannot rejoin a static member then); stopping, a restart rejoins: "),
            st);
        return false;
      }
      if (st.code() == absl::StatusCode::kFailedPrecondition ||
          st.code() == absl::StatusCode::kNotFound) {
        *stop_status = base::Annotate("consumer: ", st);
        return false;
      }
      Warn(absl::StrCat("consumer: ", st.message()));  // transient: librdkafka recovers
      break;
    }
    if (!polled->has_value()) break;
    const kafka::ConsumedMessage& message = **polled;
    if (!message.is_record()) {
      at_end_.insert_or_assign(TopicPartition{std::string(message.topic()), message.partition()},
                               message.offset());
      continue;
    }
    if (state_->restoring() && state_->Restoring(message.record().partition().value())) {
      // Its stores are not up to date yet: the partition was paused when it was assigned, but
      // librdkafka can still hand out a record fetched before the pause took hold (seen with
      // 2.14.2 under the eager protocol). Not processed: the partition is sought back to it
      // (delivering it moved the position past it), and it comes again once resumed.
      const TopicPartition tp{std::string(message.topic()), message.partition()};
      if (absl::Status st = source_->Seek({tp, message.record().offset()}, kSeekTimeout);
          !st.ok()) {
        *stop_status = base::Annotate("seeking back a partition still being restored: ", st);
        return false;
      }
      ++counters_->rewinds;
      continue;
    }
    absl::Status st = ProcessRecord(message);
    if (!st.ok()) {
      if (!IsPolicyFailure(st)) st = HandleFailure(st);
      if (!st.ok()) {
        *stop_status = st;
        return false;
      }
      break;
    }
    ++processed;
    // Count- and time-based commit points hold inside a poll batch too. A dead-lettered
    // unproducible record is one too: what precedes it, and its dead letter, are not replayed
    // when the next unproducible record aborts the unit (else every one of them costs a replay
    // of the whole unit, and a lagging instance with several in a unit barely moves).
    const bool after_poison = std::exchange(commit_after_poison_, false);
    if (st = MaybeCommit(after_poison, false); !st.ok()) {
      *stop_status = st;
      return false;
    }
  }
  // Serve the delivery reports that are ready: a failed delivery ends the unit now.
  producer_->Poll();
  if (sink_->failed()) {
    if (absl::Status st = HandleFailure(absl::OkStatus()); !st.ok()) {
      *stop_status = st;
      return false;
    }
  }
  // Draining (stop_when_caught_up): once every assigned partition is at its end there is
  // nothing left to batch with, so commit now instead of idling until the interval is due.
  const bool drained = options_.stop_when_caught_up && AllAtEnd();
  if (absl::Status st = MaybeCommit(drained, processed > 0); !st.ok()) {
    *stop_status = st;
    return false;
  }
  return true;
}

absl::Status Pipeline::ProcessRecord(const kafka::ConsumedMessage& message) {
  const Record& record = message.record();
  // The rewind point first: whatever fails from here on, a replay starts at or before this
  // record.
  const uint32_t index = unit_.Note(record);
  if (!at_end_.empty()) at_end_.erase(unit_.partition(index));
  if (counters_->records_in.fetch_add(1, std::memory_order_relaxed) == 0) {
    first_record_ = clock_.SteadyNow();
  }
  ONCEFLOW_RETURN_IF_ERROR(committer_->BeginRecord());
  sink_->SetInput(index, record.offset());
  sink_->SetDeadline(committer_->Deadline());
  state_->SetCurrentPartition(record.partition().value());
  absl::StatusOr<RecordOutcome> outcome = RunRecord(record, index);
  state_->SetCurrentPartition(std::nullopt);
  sink_->ClearInput();
  if (!outcome.ok()) return outcome.status();
  return Account(record, *outcome);
}

absl::StatusOr<RecordOutcome> Pipeline::RunRecord(const Record& record, uint32_t index) {
  const std::pair<uint32_t, int64_t> key{index, record.offset().value()};
  if (auto poisoned = poison_.find(key); poisoned != poison_.end()) {
    // Its output can never be produced: the error policy decides, as for a failed transform.
    absl::StatusOr<RecordOutcome> outcome = record_processor_->ApplyPolicy(
        record,
        PermanentError(absl::StrCat("an output cannot be produced: ",
                                    poisoned->second.message())),
        1);
    if (!outcome.ok() && kafka::IsRecordError(outcome.status())) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot dead-letter ", Where(record), " (its output cannot be produced: ",
                       poisoned->second.message(), "): ", outcome.status().message(),
                       "; stopping, nothing after it is committed"));
    }
    if (outcome.ok()) commit_after_poison_ = true;
    return outcome;
  }
  if (suspects_.count(key) == 0) {
    absl::StatusOr<RecordOutcome> outcome =
        record_processor_->Process(record, committer_->Deadline());
    // A produce call's own error names this input exactly.
    if (!outcome.ok() && kafka::IsRecordError(outcome.status())) {
      if (poison_.size() >= kMaxPoison) poison_.erase(poison_.begin());
      poison_[key] = outcome.status();
    }
    return outcome;
  }
  // A suspect: its delivery failed in a batch with others (the broker fails the whole batch).
  // Produce it alone, so a failure now is its own.
  const milliseconds flush_timeout{30000};
  ONCEFLOW_RETURN_IF_ERROR(producer_->Flush(flush_timeout));
  if (sink_->failed()) return absl::AbortedError("a delivery failed");
  absl::StatusOr<RecordOutcome> outcome =
      record_processor_->Process(record, committer_->Deadline());
  if (!outcome.ok()) return outcome;
  ONCEFLOW_RETURN_IF_ERROR(producer_->Flush(flush_timeout));
  suspects_.erase(key);
  for (const DeliveryFailure& f : sink_->TakeFailures()) {
    if (f.input == key && kafka::IsRecordError(f.status)) {
      if (poison_.size() >= kMaxPoison) poison_.erase(poison_.begin());
      poison_[key] = base::Annotate(absl::StrCat("producing to ", f.topic, ": "), f.status);
    }
  }
  if (poison_.count(key) > 0) {
    return absl::AbortedError(absl::StrCat("an output of ", Where(record),
                                           " cannot be produced: ", poison_[key].message()));
  }
  return outcome;
}

absl::Status Pipeline::Account(const Record& record, const RecordOutcome& outcome) {
  counters_->retries += outcome.attempts > 0 ? outcome.attempts - 1 : 0;
  switch (outcome.disposition) {
    case RecordOutcome::Disposition::kProcessed:
      counters_->records_out += static_cast<int64_t>(outcome.outputs);
      return absl::OkStatus();
    case RecordOutcome::Disposition::kDeadLettered:
      ++counters_->dead_lettered;
      Warn(absl::StrCat("dead-lettered ", Where(record), ": ", outcome.error.message()));
      return absl::OkStatus();
    case RecordOutcome::Disposition::kSkipped:
      ++counters_->skipped;
      Warn(absl::StrCat("skipped ", Where(record), ": ", outcome.error.message()));
      return absl::OkStatus();
    case RecordOutcome::Disposition::kFailed:
      break;
  }
  absl::Status failure(
      absl::StatusCode::kAborted,
      absl::StrCat("transform '", transform_->name(), "' failed on ", Where(record), " after ",
                   outcome.attempts, " attempt(s) under error policy 'fail': ",
                   outcome.error.message()));
  failure.SetPayload(kPolicyFailurePayload, absl::Cord("1"));
  return failure;
}

// ---------------------------------------------------------------------------------- commit

Pipeline::SteadyTime Pipeline::CommitReference() const {
  return std::max(last_commit_, last_commit_end_ - options_.commit_interval / 2);
}

absl::Status Pipeline::MaybeCommit(bool force, bool end_of_batch) {
  if (unit_.empty() && !committer_->open()) return absl::OkStatus();
  CommitCheck check;
  check.records = unit_.records();
  // The interval runs from the start of the last commit, so commits keep to it however long
  // each takes (as Kafka Streams' commit.interval.ms) -- but a unit always gets at least half
  // an interval after the last commit ended, so a commit that took about as long as the
  // interval, or longer, is not followed by one of a few records.
  check.since_last_commit =
      std::chrono::duration_cast<milliseconds>(clock_.SteadyNow() - CommitReference());
  check.end_of_batch = end_of_batch;
  check.force = force;
  if (!committer_->Due(check)) return absl::OkStatus();
  return CommitUnit();
}

absl::Status Pipeline::CommitUnit() {
  const SteadyTime started = clock_.SteadyNow();
  if (absl::Status st = BeforeCommit(); !st.ok()) {
    // A record that could not be produced (a tombstone) is a Kafka failure like any other.
    if (!kafka::KafkaErrorCode(st).has_value()) return st;
    return HandleFailure(st);
  }
  producer_->Poll();
  if (sink_->failed()) return HandleFailure(absl::OkStatus());
  ONCEFLOW_ASSIGN_OR_RETURN(UnitEnd end,
                            committer_->Commit(unit_, [this] { return state_->CommitPending(); }));
  return AfterUnitEnd(end, started);
}

absl::Status Pipeline::HandleFailure(const absl::Status& cause) {
  absl::Status first;
  ONCEFLOW_RETURN_IF_ERROR(TakeDeliveryFailures(&first));
  absl::Status why = cause.ok() ? first : cause;
  if (why.ok()) why = absl::AbortedError("a delivery failed");
  ONCEFLOW_ASSIGN_OR_RETURN(UnitEnd end, committer_->Abort(why));
  return AfterUnitEnd(end, clock_.SteadyNow());
}

absl::Status Pipeline::AfterUnitEnd(UnitEnd end, SteadyTime started) {
  switch (end) {
    case UnitEnd::kCommitted:
      RecordCommit(started);
      ResetUnit();
      last_commit_ = started;
      last_commit_end_ = clock_.SteadyNow();
      counters_->last_commit_ms.store(clock_.NowMs(), std::memory_order_relaxed);
      for (CommitParticipant* p : participants_) p->AfterCommit();
      return absl::OkStatus();
    case UnitEnd::kOffsetsPending:
      return absl::OkStatus();
    case UnitEnd::kRolledBack:
      // The reports of the given-up unit that are ready: its record errors still count, the
      // rest must not end the next unit.
      producer_->Poll();
      ONCEFLOW_RETURN_IF_ERROR(TakeDeliveryFailures(nullptr));
      return Rewind();
  }
  return absl::OkStatus();
}

absl::Status Pipeline::TakeDeliveryFailures(absl::Status* first) {
  // Inputs whose outputs the broker refused, with the first refusal of each.
  std::map<std::pair<uint32_t, int64_t>, absl::Status> refused;
  for (const DeliveryFailure& f : sink_->TakeFailures()) {
    const absl::Status st = base::Annotate(absl::StrCat("delivery to ", f.topic, ": "), f.status);
    if (first != nullptr && first->ok()) *first = st;
    if (!kafka::IsRecordError(f.status) || !f.input.has_value()) continue;
    if (options_.errors.policy == ErrorPolicy::kDeadLetter &&
        f.topic == options_.errors.dead_letter_topic) {
      const TopicPartition& tp = unit_.partition(f.input->first);
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot dead-letter ", tp.topic, "[", tp.partition.value(), "]@", f.input->second, ": ",
          st.message(), "; stopping, nothing after it is committed"));
    }
    refused.emplace(*f.input,
                    base::Annotate(absl::StrCat("producing to ", f.topic, ": "), f.status));
  }
  // The broker refuses a whole batch, so a refusal may be another record's. But when every
  // refusal served together names one input, the refused batch held only its records (a
  // batch's reports are served together): it needs no replay alone to be found out, which
  // would cost a second abort (and, under eos, a second epoch bump).
  if (refused.size() == 1) {
    if (poison_.size() >= kMaxPoison) poison_.erase(poison_.begin());
    poison_.insert(*refused.begin());
    suspects_.erase(refused.begin()->first);
    return absl::OkStatus();
  }
  for (const auto& [input, status] : refused) {
    if (poison_.count(input) == 0) suspects_.insert(input);
  }
  return absl::OkStatus();
}

absl::Status Pipeline::BeforeCommit() {
  for (CommitParticipant* p : participants_) ONCEFLOW_RETURN_IF_ERROR(p->BeforeCommit(*state_));
  return absl::OkStatus();
}

// -------------------------------------------------------------------------------- recovery

absl::Status Pipeline::Rewind() {
  state_->DiscardPending();
  for (const auto& [tp, offset] : unit_.rewind_points()) {
    if (leaving_.count(tp) > 0) continue;
    if (std::find(assignment_.begin(), assignment_.end(), tp) == assignment_.end()) continue;
    absl::Status st = source_->Seek({tp, offset}, kSeekTimeout);
    if (!st.ok() && source_->AssignmentLost()) {
      // The group moved on (its rebalance event is still queued): nothing past the last
      // commit can be committed for this partition any more, and its next owner starts from
      // the committed offset. Skipping the seek loses nothing.
      Warn(absl::StrCat("rewinding ", tp.topic, "[", tp.partition.value(), "] to ", offset.value(),
                        ": ", st.message(),
                        "; the assignment is lost, so its next owner resumes from the "
                        "committed offset"));
      continue;
    }
    if (!st.ok()) {
      // Going on from the current position would skip the rolled-back records: stop
      // instead; a restart resumes from the committed offsets.
      return base::Annotate(absl::StrCat("rewinding ", tp.topic, "[", tp.partition.value(), "] to ",
                                         offset.value(), ": "),
                            st);
    }
    // The partition must reach its end again before the run counts as caught up.
    at_end_.erase(tp);
  }
  ++counters_->rewinds;
  ResetUnit();
  return absl::OkStatus();
}

void Pipeline::ResetUnit() { unit_.Reset(); }

void Pipeline::RecordCommit(SteadyTime started) {
  commit_latency_.Observe(
      std::chrono::duration<double, std::milli>(clock_.SteadyNow() - started).count());
  const int64_t now_ms = clock_.NowMs();
  for (int64_t ts : unit_.timestamps()) {
    if (ts > 0) e2e_latency_.Observe(static_cast<double>(now_ms - ts));
  }
  UpdateLag();
}

void Pipeline::UpdateLag() {
  std::vector<PartitionLag> lag;
  absl::StatusOr<std::vector<TopicPartitionOffset>> positions = source_->Positions(assignment_);
  if (positions.ok()) {
    for (const TopicPartitionOffset& p : *positions) {
      std::optional<Offset> end = source_->CachedEndOffset(p.tp);
      if (!end.has_value() || p.offset.is_logical()) continue;
      lag.push_back({p.tp, std::max<int64_t>(0, end->value() - p.offset.value())});
    }
  }
  const std::lock_guard<std::mutex> lock(lag_mu_);
  lag_ = std::move(lag);
}

bool Pipeline::AllAtEnd() const {
  return !assignment_.empty() &&
         std::all_of(assignment_.begin(), assignment_.end(),
                     [this](const TopicPartition& tp) { return at_end_.count(tp) > 0; });
}

bool Pipeline::CaughtUp() const {
  return unit_.empty() && !committer_->open() && AllAtEnd();
}

absl::Status Pipeline::Shutdown(absl::Status status) {
  running_ = false;
  ready_ = false;
  stopping_ = true;
  if (status.ok()) {
    // Finish what is in flight: commit it, so a restart does not redo it.
    status = MaybeCommit(/*force=*/true, /*end_of_batch=*/false);
  } else if (committer_->open() && !kafka::IsFenced(status)) {
    // Commit nothing more; abort, so the transaction does not hold back read_committed readers
    // until it times out.
    absl::StatusOr<UnitEnd> end =
        committer_->Abort(absl::AbortedError(absl::StrCat("stopping: ", status.message())));
    if (!end.ok()) {
      Warn(absl::StrCat("aborting the last transaction: ", end.status().message(),
                        " (the broker aborts it when it times out, or the next start does)"));
    }
  }
  ResetUnit();
  state_->DiscardPending();  // anything still pending did not commit
  state_->CloseAll();
  if (absl::Status st = source_->Close(); !st.ok()) {
    Warn(absl::StrCat("leaving the group: ", st.message()));
  }
  const ProcessorStats s = stats();
  Log(status.ok() ? LogLevel::kInfo : LogLevel::kError,
      absl::StrCat("stopped", status.ok() ? "" : absl::StrCat(" with error: ", status.message()),
                   " (in=", s.records_in, " out=", s.records_out,
                   " dead_lettered=", s.dead_lettered, " skipped=", s.skipped,
                   " transactions=", s.transactions_committed, " aborted=", s.transactions_aborted,
                   " offset_commits=", s.offset_commits, " rewinds=", s.rewinds,
                   options_.state.dedupe.has_value()
                       ? absl::StrCat(" deduplicated=", s.deduplicated)
                       : "",
                   ")"));
  return status;
}

// ------------------------------------------------------------------------------- callbacks

std::vector<TopicPartition> Pipeline::OnAssigned(const std::vector<TopicPartition>& partitions) {
  ready_ = false;  // until restored
  ++counters_->rebalances;
  // Added to what the member keeps: under the eager protocol the assignment is empty here (the
  // revocation took all of it), under the cooperative one the other partitions go on.
  for (const TopicPartition& tp : partitions) {
    if (std::find(assignment_.begin(), assignment_.end(), tp) == assignment_.end()) {
      assignment_.push_back(tp);
    }
    at_end_.erase(tp);
  }
  Info(absl::StrCat("assigned ", partitions.size(), " partition(s): ", Describe(partitions),
                    partitions.size() == assignment_.size()
                        ? ""
                        : absl::StrCat(" (", assignment_.size(), " in all)")));
  std::vector<TopicPartition> waiting;
  if (deferred_error_.ok()) {
    // Opens the stores; their restore runs on the loop (RestoreStep), and the partitions wait,
    // paused, until their stores are up to date.
    absl::StatusOr<std::vector<TopicPartition>> st = state_->Assign(partitions);
    if (st.ok()) {
      waiting = *std::move(st);
    } else {
      deferred_error_ = base::Annotate("opening state: ", st.status());
    }
  }
  // Ready once the assignment's state is restored, also with no partitions (an idle member
  // of a group with more members than partitions is healthy, not unready).
  ready_ = deferred_error_.ok() && !state_->restoring();
  return waiting;
}

absl::Status Pipeline::RestoreStep() {
  ONCEFLOW_ASSIGN_OR_RETURN(std::vector<TopicPartition> resumed,
                            state_->RestoreStep(milliseconds(50)));
  if (!resumed.empty()) {
    if (absl::Status st = source_->Resume(resumed); !st.ok()) {
      return base::Annotate("resuming restored partitions: ", st);
    }
  }
  if (!state_->restoring()) ready_ = true;
  return absl::OkStatus();
}

void Pipeline::OnRevoked(const std::vector<TopicPartition>& partitions) {
  ready_ = false;
  // The last moment to commit for these partitions: finish the open unit before they go to
  // another member. The transaction (or offset commit) covers every partition of the unit, so
  // under the cooperative protocol the partitions that stay are committed with them, and if it
  // rolls back they are rewound while the leaving ones are replayed by their next owner.
  leaving_.insert(partitions.begin(), partitions.end());
  // While stopping, the unit was already committed or given up (Shutdown), before leaving the
  // group runs this.
  if (deferred_error_.ok() && !stopping_) {
    if (absl::Status st = MaybeCommit(/*force=*/true, /*end_of_batch=*/false); !st.ok()) {
      deferred_error_ = st;
    }
  }
  if (!partitions.empty()) {
    Info(absl::StrCat("revoked ", partitions.size(), " partition(s): ", Describe(partitions)));
  }
  Release(partitions);
}

void Pipeline::OnLost(const std::vector<TopicPartition>& partitions) {
  ready_ = false;
  Warn(absl::StrCat("lost ", partitions.size(),
                    " partition(s) without a clean revoke: ", Describe(partitions)));
  leaving_.insert(partitions.begin(), partitions.end());
  if (deferred_error_.ok() && !stopping_ && (committer_->open() || !unit_.empty())) {
    absl::Status st = TakeDeliveryFailures(nullptr);
    if (st.ok()) {
      // Nothing of the unit can be committed any more: the group refuses this member's
      // offsets. Abort (after in-flight sends settle), so read_committed readers are not held
      // back until the transaction times out. Partitions that stay are rewound.
      absl::StatusOr<UnitEnd> end = committer_->Abort(
          absl::AbortedError("the group took the partitions away (assignment lost)"));
      st = end.ok() ? AfterUnitEnd(*end, clock_.SteadyNow()) : end.status();
    }
    if (!st.ok()) deferred_error_ = st;
  }
  Release(partitions);
}

void Pipeline::Release(const std::vector<TopicPartition>& partitions) {
  // The unit was committed or rolled back above (or given up with a deferred error).
  ResetUnit();
  state_->DiscardPending();
  std::set<int32_t> numbers;
  for (const TopicPartition& tp : partitions) {
    numbers.insert(tp.partition.value());
    assignment_.erase(std::remove(assignment_.begin(), assignment_.end(), tp), assignment_.end());
    at_end_.erase(tp);
  }
  // A store serves a partition number of every input topic: close it when none is left.
  for (const TopicPartition& tp : assignment_) numbers.erase(tp.partition.value());
  if (assignment_.empty()) {
    state_->CloseAll();
  } else {
    state_->Close(numbers);
  }
  leaving_.clear();
  ready_ = !assignment_.empty() && deferred_error_.ok() && !state_->restoring();
}

}  // namespace onceflow::runtime
