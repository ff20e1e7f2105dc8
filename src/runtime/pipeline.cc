#include "runtime/pipeline.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "kafka/error.h"
#include "onceflow/status_macros.h"
#include "runtime/fault_injection.h"
#include "runtime/log.h"

namespace onceflow::runtime {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kMaxPollWait{100};
// How long a commit that keeps timing out is retried before the loop gives up and stops (a
// commit is never turned into an abort: KAFKA-17754).
constexpr milliseconds kCommitRetryBudget{10 * 60 * 1000};

void Info(absl::string_view m) { Log(LogLevel::kInfo, m); }
void Warn(absl::string_view m) { Log(LogLevel::kWarn, m); }

std::string Describe(const std::vector<TopicPartition>& tps) {
  return absl::StrJoin(tps, ", ", [](std::string* out, const TopicPartition& tp) {
    absl::StrAppend(out, tp.topic, "[", tp.partition.value(), "]");
  });
}

milliseconds Backoff(int attempt) {
  const int64_t ms = std::min<int64_t>(5000, int64_t{100} << std::min(attempt, 6));
  return milliseconds(ms);
}

bool IsRetriable(const absl::Status& st) {
  return st.code() == absl::StatusCode::kDeadlineExceeded ||
         st.code() == absl::StatusCode::kUnavailable;
}

// A copy of `st` with a new message prefix, keeping code and payloads.
absl::Status Prefix(absl::string_view prefix, const absl::Status& st) {
  absl::Status out(st.code(), absl::StrCat(prefix, st.message()));
  st.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

// The Status a kFail error policy stops with. Distinct code-free marker via payload.
constexpr absl::string_view kPolicyFailurePayload = "type.onceflow.dev/PolicyFailure";

}  // namespace

Pipeline::Pipeline(ProcessorOptions options, std::unique_ptr<Transform> transform)
    : options_(std::move(options)), transform_(std::move(transform)) {}

Pipeline::~Pipeline() {
  // Close the consumer before the producer and the listener (this) go away.
  if (consumer_ != nullptr) (void)consumer_->Close();
  consumer_.reset();
  producer_.reset();
}

std::string Pipeline::transactional_id() const {
  return absl::StrCat(options_.application_id, "-", options_.instance_id);
}

ProcessorMetrics Pipeline::metrics() const {
  ProcessorMetrics m;
  m.stats = stats();
  m.commit_latency = commit_latency_.Snapshot();
  m.end_to_end_latency = e2e_latency_.Snapshot();
  {
    absl::MutexLock lock(&lag_mu_);
    m.lag = lag_;
  }
  m.running = running_.load();
  m.ready = ready_.load();
  m.last_loop_ms = last_loop_ms_.load();
  return m;
}

ProcessorStats Pipeline::stats() const {
  ProcessorStats s;
  s.records_in = counters_.records_in.load();
  s.records_out = counters_.records_out.load();
  s.dead_lettered = counters_.dead_lettered.load();
  s.skipped = counters_.skipped.load();
  s.retries = counters_.retries.load();
  s.transactions_committed = counters_.committed.load();
  s.transactions_aborted = counters_.aborted.load();
  s.offset_commits = counters_.offset_commits.load();
  s.rewinds = counters_.rewinds.load();
  s.producers_recreated = counters_.producers_recreated.load();
  s.rebalances = counters_.rebalances.load();
  if (dedupe_ != nullptr) {
    s.deduplicated = dedupe_->counters().duplicates.load();
    s.dedupe_keyless = dedupe_->counters().keyless.load();
    s.dedupe_expired = dedupe_->counters().expired.load();
  }
  if (state_ != nullptr) {
    s.restored_records = state_->restored_records();
    s.restore_ms = state_->restore_ms();
  }
  return s;
}

// ----------------------------------------------------------------------------------- start

absl::Status Pipeline::Start() {
  ONCEFLOW_RETURN_IF_ERROR(ConfigureFaultsFromEnv());
  if (options_.state.dedupe.has_value()) {
    state::DedupeClock& clock =
        options_.state.clock != nullptr ? *options_.state.clock : state::SystemDedupeClock();
    ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<DedupeTransform> dedupe,
                              DedupeTransform::Create(*options_.state.dedupe, clock));
    dedupe_ = dedupe.get();
    transform_ = Chain(std::move(dedupe), std::move(transform_));
  }
  state_ = std::make_unique<StateManager>(
      options_,
      [this](const std::string& topic, int32_t partition, absl::string_view key,
             std::optional<absl::string_view> value) -> absl::Status {
        kafka::OutMessage m;
        m.topic = topic;
        m.partition = Partition(partition);
        m.key = key;
        m.value = value.value_or(absl::string_view());
        m.null_value = !value.has_value();
        return producer_->Produce(m);
      });
  ONCEFLOW_RETURN_IF_ERROR(transform_->Init(*state_));
  RecordProcessorConfig rp_config;
  rp_config.default_topic = options_.output_topic;
  rp_config.errors = options_.errors;
  rp_config.instance_id = options_.instance_id;
  record_processor_ = std::make_unique<RecordProcessor>(*transform_, rp_config,
                                                        static_cast<Sink&>(*this), SystemClock());

  kafka::Properties props = kafka::Merge(
      {
          {"bootstrap.servers", options_.bootstrap_servers},
          {"client.id", transactional_id()},
          {"auto.offset.reset", "earliest"},
          {"socket.nagle.disable", "true"},
      },
      options_.kafka_properties);
  props = kafka::Merge(props, options_.consumer_properties);
  // What the guarantee rests on, whatever was passed through (Create refused conflicts).
  props = kafka::Merge(
      props, {
                 {"group.id", options_.application_id},
                 {"isolation.level", "read_committed"},
                 {"enable.auto.commit", "false"},
                 {"enable.auto.offset.store", "false"},
                 {"enable.partition.eof", options_.stop_when_caught_up ? "true" : "false"},
             });
  if (options_.static_membership) props["group.instance.id"] = options_.instance_id;
  ONCEFLOW_ASSIGN_OR_RETURN(consumer_, kafka::Consumer::Create(props, this));
  ONCEFLOW_RETURN_IF_ERROR(WaitForCluster());
  ONCEFLOW_RETURN_IF_ERROR(state_->Start());
  ONCEFLOW_RETURN_IF_ERROR(CreateProducer());
  ONCEFLOW_RETURN_IF_ERROR(consumer_->Subscribe(options_.input_topics));
  Info(absl::StrCat("started: mode=", eos() ? "eos" : "alos", " group=", options_.application_id,
                    " instance=", options_.instance_id, " inputs=",
                    absl::StrJoin(options_.input_topics, ","), " output=", options_.output_topic,
                    eos() ? absl::StrCat(" transactional.id=", transactional_id()) : ""));
  return absl::OkStatus();
}

absl::Status Pipeline::WaitForCluster() {
  const auto deadline = SteadyClock::now() + options_.startup_timeout;
  for (int attempt = 0;; ++attempt) {
    const rd_kafka_metadata_t* raw = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(consumer_->handle(), /*all_topics=*/1, nullptr, &raw, 5000);
    kafka::MetadataPtr md(raw);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::vector<std::string> topics = options_.input_topics;
      if (!options_.output_topic.empty()) topics.push_back(options_.output_topic);
      if (options_.errors.policy == ErrorPolicy::kDeadLetter) {
        topics.push_back(options_.errors.dead_letter_topic);
      }
      for (const std::string& topic : topics) {
        bool found = false;
        for (int i = 0; i < md->topic_cnt; ++i) {
          if (topic == md->topics[i].topic && md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            found = true;
          }
        }
        if (!found) {
          return absl::NotFoundError(absl::StrCat(
              "topic '", topic, "' does not exist at ", options_.bootstrap_servers,
              "; onceflow never creates its input, output or dead-letter topics: create it "
              "first"));
        }
      }
      return absl::OkStatus();
    }
    const absl::Status st = kafka::CodeToStatus(err, "metadata request");
    if (stop_.load()) return absl::CancelledError("stopped while waiting for the cluster");
    if (SteadyClock::now() + Backoff(attempt) >= deadline) {
      return absl::UnavailableError(
          absl::StrCat("cannot reach Kafka at ", options_.bootstrap_servers, " within ",
                       options_.startup_timeout.count() / 1000, " s: ", st.message()));
    }
    Warn(absl::StrCat("Kafka at ", options_.bootstrap_servers, " not reachable (", st.message(),
                      "); retrying in ", Backoff(attempt).count(), " ms"));
    std::this_thread::sleep_for(Backoff(attempt));
  }
}

absl::Status Pipeline::CreateProducer() {
  kafka::Properties props = kafka::Merge(
      {
          {"bootstrap.servers", options_.bootstrap_servers},
          {"client.id", transactional_id()},
          {"socket.nagle.disable", "true"},
          {"linger.ms", "5"},
      },
      options_.kafka_properties);
  props = kafka::Merge(props, options_.producer_properties);
  props = kafka::Merge(props, {{"acks", "all"}, {"enable.idempotence", "true"}});
  if (eos()) props["transactional.id"] = transactional_id();
  ONCEFLOW_ASSIGN_OR_RETURN(
      producer_,
      kafka::Producer::Create(props, [this](const kafka::DeliveryReport& r) { OnDelivery(r); }));
  // Otherwise the first records wait up to a second for the output's metadata, and so does the
  // first commit, which flushes them (measured: 0.9 s of a 2.7 s run of 100,000 records).
  std::vector<std::string> topics;
  if (!options_.output_topic.empty()) topics.push_back(options_.output_topic);
  if (options_.errors.policy == ErrorPolicy::kDeadLetter) {
    topics.push_back(options_.errors.dead_letter_topic);
  }
  if (absl::Status st = producer_->PrepareTopics(topics, std::chrono::seconds(5)); !st.ok()) {
    Warn(absl::StrCat("producer: ", st.message(), "; its first records may wait for metadata"));
  }
  if (!eos()) return absl::OkStatus();
  const auto deadline = SteadyClock::now() + options_.startup_timeout;
  for (int attempt = 0;; ++attempt) {
    absl::Status st = producer_->InitTransactions(options_.transaction_call_timeout);
    if (st.ok()) return absl::OkStatus();
    if (stop_.load()) return absl::CancelledError("stopped while initializing transactions");
    if (!IsRetriable(st) || SteadyClock::now() + Backoff(attempt) >= deadline) {
      return Prefix(absl::StrCat("initializing transactions for ", transactional_id(), ": "), st);
    }
    Warn(absl::StrCat("init_transactions: ", st.message(), "; retrying"));
    std::this_thread::sleep_for(Backoff(attempt));
  }
}

// ------------------------------------------------------------------------------------ loop

absl::Status Pipeline::Run() {
  if (absl::Status st = Start(); !st.ok()) {
    // Stop() during start-up is a clean stop: nothing was consumed.
    if (stop_.load() && st.code() == absl::StatusCode::kCancelled)
      return Shutdown(absl::OkStatus());
    return Shutdown(st);
  }
  last_commit_ = SteadyClock::now();
  last_expiry_ = last_commit_;
  running_ = true;
  while (!stop_.load(std::memory_order_relaxed)) {
    last_loop_ms_.store(std::chrono::duration_cast<milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count(),
                        std::memory_order_relaxed);
    int processed = 0;
    while (processed < options_.poll_batch_size && !stop_.load(std::memory_order_relaxed)) {
      milliseconds wait{0};
      if (processed == 0) {
        wait = kMaxPollWait;
        if (uncommitted_records_ > 0) {
          const auto due = last_commit_ + options_.commit_interval;
          wait = std::clamp(std::chrono::duration_cast<milliseconds>(due - SteadyClock::now()),
                            milliseconds(0), kMaxPollWait);
        }
      }
      absl::StatusOr<kafka::MessagePtr> msg = consumer_->Poll(wait);
      if (!deferred_error_.ok()) return Shutdown(deferred_error_);
      if (!msg.ok()) {
        const absl::Status& st = msg.status();
        if (kafka::IsFenced(st)) {
          return Shutdown(Prefix(
              absl::StrCat("fenced: another instance with instance id '", options_.instance_id,
                           "' joined the group, or this one was cut off from the group "
                           "longer than session.timeout.ms (e.g. a broker outage: "
                           "librdkafka 2.0.2 cannot rejoin a static member then); "
                           "stopping, a restart rejoins: "),
              st));
        }
        if (st.code() == absl::StatusCode::kFailedPrecondition ||
            st.code() == absl::StatusCode::kNotFound) {
          return Shutdown(Prefix("consumer: ", st));
        }
        Warn(absl::StrCat("consumer: ", st.message()));  // transient: librdkafka recovers
        break;
      }
      if (*msg == nullptr) break;
      const rd_kafka_message_t& m = **msg;
      absl::Status st = ProcessMessage(m);
      if (!st.ok()) {
        if (st.GetPayload(kPolicyFailurePayload).has_value()) return Shutdown(st);
        if (eos()) {
          st = RecoverFromTransactionError(st);
          if (!st.ok()) return Shutdown(st);
        } else {
          delivery_failed_ = true;  // alos: never commit past it; the next commit rewinds
          delivery_error_ = st;
        }
        break;
      }
      if (m.err == RD_KAFKA_RESP_ERR_NO_ERROR) ++processed;
      // Count- and time-based commit points hold inside a poll batch too (a transaction never
      // exceeds max_records_per_transaction; kEveryN commits every N).
      if (absl::Status cst = MaybeCommit(false, false); !cst.ok()) return Shutdown(cst);
    }
    // Draining (stop_when_caught_up): once every assigned partition is at its end there is
    // nothing left to batch with, so commit now instead of idling until the interval is due.
    const bool drained = options_.stop_when_caught_up && AllAtEnd();
    if (absl::Status st = MaybeCommit(drained, processed > 0); !st.ok()) return Shutdown(st);
    if (options_.stop_when_caught_up && CaughtUp()) {
      Info("caught up: every assigned partition is at its end and committed; stopping");
      break;
    }
  }
  return Shutdown(absl::OkStatus());
}

absl::Status Pipeline::ProcessMessage(const rd_kafka_message_t& m) {
  // The topic name lives as long as the topic handle: a view, no copy per record.
  const absl::string_view topic = rd_kafka_topic_name(m.rkt);
  const Partition partition(m.partition);
  if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    at_end_.insert(TopicPartition{std::string(topic), partition});
    return absl::OkStatus();
  }
  if (!at_end_.empty()) at_end_.erase(TopicPartition{std::string(topic), partition});
  if (eos() && !in_transaction_) {
    ONCEFLOW_RETURN_IF_ERROR(producer_->BeginTransaction());
    in_transaction_ = true;
  }
  // The first offset of each partition since the last commit is where a rewind goes back to.
  // librdkafka hands out runs of records from one partition, so only a change of partition
  // needs the map (emplace keeps an existing entry).
  if (m.rkt != last_rkt_ || m.partition != last_partition_) {
    rewind_points_.emplace(TopicPartition{std::string(topic), partition}, Offset(m.offset));
    last_rkt_ = m.rkt;
    last_partition_ = m.partition;
  }

  Record record;
  record.set_topic(topic).set_partition(partition).set_offset(Offset(m.offset));
  rd_kafka_timestamp_type_t ts_type;
  record.set_timestamp_ms(rd_kafka_message_timestamp(&m, &ts_type));
  if (m.key != nullptr) record.set_key({static_cast<const char*>(m.key), m.key_len});
  if (m.payload != nullptr) record.set_value({static_cast<const char*>(m.payload), m.len});
  rd_kafka_headers_t* headers = nullptr;
  // librdkafka parses headers lazily into the message, hence the non-const signature.
  if (rd_kafka_message_headers(const_cast<rd_kafka_message_t*>(&m), &headers) ==
      RD_KAFKA_RESP_ERR_NO_ERROR) {
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

  ++counters_.records_in;
  ++uncommitted_records_;
  uncommitted_timestamps_.push_back(record.timestamp_ms());
  state_->SetCurrentPartition(partition.value());
  absl::StatusOr<RecordOutcome> result = record_processor_->Process(record);
  state_->SetCurrentPartition(std::nullopt);
  ONCEFLOW_ASSIGN_OR_RETURN(RecordOutcome outcome, std::move(result));
  counters_.retries += outcome.attempts > 0 ? outcome.attempts - 1 : 0;
  switch (outcome.disposition) {
    case RecordOutcome::Disposition::kProcessed:
      counters_.records_out += static_cast<int64_t>(outcome.outputs);
      break;
    case RecordOutcome::Disposition::kDeadLettered:
      ++counters_.dead_lettered;
      Warn(absl::StrCat("dead-lettered ", topic, "[", partition.value(), "]@", m.offset, ": ",
                        outcome.error.message()));
      break;
    case RecordOutcome::Disposition::kSkipped:
      ++counters_.skipped;
      Warn(absl::StrCat("skipped ", topic, "[", partition.value(), "]@", m.offset, ": ",
                        outcome.error.message()));
      break;
    case RecordOutcome::Disposition::kFailed: {
      absl::Status failure(
          absl::StatusCode::kAborted,
          absl::StrCat("transform '", transform_->name(), "' failed on ", topic, "[",
                       partition.value(), "]@", m.offset, " after ", outcome.attempts,
                       " attempt(s) under error policy 'fail': ", outcome.error.message()));
      failure.SetPayload(kPolicyFailurePayload, absl::Cord("1"));
      return failure;
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------- commit

absl::Status Pipeline::MaybeCommit(bool force, bool end_of_batch) {
  if (uncommitted_records_ == 0 && !in_transaction_) return absl::OkStatus();
  const bool interval_due = SteadyClock::now() - last_commit_ >= options_.commit_interval;
  if (eos()) {
    if (force || interval_due || uncommitted_records_ >= options_.max_records_per_transaction) {
      return CommitTransaction();
    }
    return absl::OkStatus();
  }
  bool due = force || delivery_failed_;
  switch (options_.commit_policy) {
    case CommitPolicy::kPerRecord:
      due = true;
      break;
    case CommitPolicy::kPerBatch:
      due = due || end_of_batch;
      break;
    case CommitPolicy::kEveryN:
      due = due || uncommitted_records_ >= options_.commit_every_records;
      break;
    case CommitPolicy::kInterval:
      due = due || interval_due;
      break;
  }
  return due ? CommitOffsets() : absl::OkStatus();
}

absl::StatusOr<std::vector<TopicPartitionOffset>> Pipeline::PositionsToCommit() {
  std::vector<TopicPartition> tps;
  for (const auto& [tp, unused] : rewind_points_) tps.push_back(tp);
  ONCEFLOW_ASSIGN_OR_RETURN(std::vector<TopicPartitionOffset> positions, consumer_->Positions(tps));
  std::vector<TopicPartitionOffset> out;
  for (const TopicPartitionOffset& p : positions) {
    if (!p.offset.is_logical()) out.push_back(p);  // positions, as librdkafka tracks them
  }
  return out;
}

absl::Status Pipeline::CommitTransaction() {
  if (!in_transaction_) return absl::OkStatus();
  ReachedFaultPoint(FaultPoint::kAfterProduce);
  if (ReachedFaultPoint(FaultPoint::kAbortBeforeCommit)) {
    // Let the records reach the log first, so the abort provably hides written records.
    (void)producer_->Flush(options_.transaction_call_timeout);
    return RecoverFromTransactionError(
        absl::AbortedError("fault injection: abortable error before commit"));
  }
  if (absl::Status st = MaybeExpire(); !st.ok()) return RecoverFromTransactionError(st);
  absl::StatusOr<std::vector<TopicPartitionOffset>> positions = PositionsToCommit();
  if (!positions.ok()) {
    return RecoverFromTransactionError(
        absl::AbortedError(absl::StrCat("reading positions: ", positions.status().message())));
  }
  const auto commit_started = SteadyClock::now();
  kafka::GroupMetadataPtr group = consumer_->GroupMetadata();
  // The call timeout is the watchdog: a send_offsets_to_transaction that hangs (e.g. while the
  // group coordinator is down, librdkafka #5456) comes back as a timeout, and the transaction
  // is aborted and retried instead of stalling the loop.
  absl::Status st = producer_->SendOffsetsToTransaction(*positions, group.get(),
                                                        options_.transaction_call_timeout);
  if (!st.ok()) return RecoverFromTransactionError(st);
  ReachedFaultPoint(FaultPoint::kAfterSendOffsets);

  const auto started = SteadyClock::now();
  for (int attempt = 0;; ++attempt) {
    st = producer_->CommitTransaction();
    if (st.ok()) break;
    if (IsRetriable(st) && SteadyClock::now() - started < kCommitRetryBudget) {
      // Retry the commit itself; an abort here could land on a later transaction.
      Warn(absl::StrCat("commit_transaction: ", st.message(), "; retrying the commit"));
      std::this_thread::sleep_for(Backoff(attempt));
      continue;
    }
    return RecoverFromTransactionError(st);
  }
  in_transaction_ = false;
  ++counters_.committed;
  RecordCommit(commit_started);
  ResetUncommitted();
  last_commit_ = SteadyClock::now();
  // Between the Kafka commit and the RocksDB write: a crash here leaves the local files behind
  // the changelog, and the restore replays from the checkpoint.
  ReachedFaultPoint(FaultPoint::kAfterCommit);
  if (absl::Status state_st = state_->CommitPending(); !state_st.ok()) {
    return Prefix(
        "applying committed state to RocksDB (restart to restore it from the "
        "changelog): ",
        state_st);
  }
  if (dedupe_ != nullptr) dedupe_->PublishCounters();
  return absl::OkStatus();
}

absl::Status Pipeline::MaybeExpire() {
  if (dedupe_ == nullptr || SteadyClock::now() - last_expiry_ < options_.state.expiry_interval) {
    return absl::OkStatus();
  }
  last_expiry_ = SteadyClock::now();
  return state_->ForEachPartition(kDedupeStore, [this](state::KeyValueStore& store) {
    return dedupe_->Expire(store).status();
  });
}

absl::Status Pipeline::CommitOffsets() {
  if (uncommitted_records_ == 0) return absl::OkStatus();
  if (absl::Status est = MaybeExpire(); !est.ok()) return est;
  const auto commit_started = SteadyClock::now();
  // Every output (and changelog record) of the records before the positions must be
  // acknowledged first.
  absl::Status st = producer_->Flush(options_.transaction_call_timeout);
  if (!st.ok() || delivery_failed_) {
    Warn(absl::StrCat("not committing past a failed delivery (",
                      (!st.ok() ? st : delivery_error_).message(),
                      "); rewinding to replay from the last commit"));
    return Rewind();
  }
  ReachedFaultPoint(FaultPoint::kAfterProduce);
  // The outputs are safe: the state that goes with them may reach RocksDB. (A crash before the
  // offset commit replays those records; dedupe then drops them, their outputs being out.)
  ONCEFLOW_RETURN_IF_ERROR(state_->CommitPending());
  if (dedupe_ != nullptr) dedupe_->PublishCounters();
  ONCEFLOW_ASSIGN_OR_RETURN(std::vector<TopicPartitionOffset> positions, PositionsToCommit());
  st = options_.async_commit ? consumer_->CommitAsync(positions) : consumer_->CommitSync(positions);
  if (!st.ok()) {
    // The outputs are delivered; without the commit they are replayed later (duplicates,
    // never loss). Keep the uncommitted range and try again at the next commit point.
    Warn(absl::StrCat("offset commit failed: ", st.message(), "; will retry"));
    return absl::OkStatus();
  }
  ++counters_.offset_commits;
  RecordCommit(commit_started);
  ResetUncommitted();
  last_commit_ = SteadyClock::now();
  ReachedFaultPoint(FaultPoint::kAfterCommit);
  return absl::OkStatus();
}

// -------------------------------------------------------------------------------- recovery

absl::Status Pipeline::RecoverFromTransactionError(const absl::Status& error) {
  if (kafka::IsFenced(error)) {
    in_transaction_ = false;
    return Prefix(absl::StrCat("fenced: another instance with transactional.id '",
                               transactional_id(), "' has taken over; stopping: "),
                  error);
  }
  if (error.code() == absl::StatusCode::kAborted || IsRetriable(error)) {
    return AbortAndRewind(error);
  }
  if (error.code() == absl::StatusCode::kFailedPrecondition) {
    const absl::Status fatal = producer_->FatalError();
    if (kafka::IsFenced(fatal)) return RecoverFromTransactionError(fatal);
    // A fatal producer error that is not fencing by a live twin (e.g. the sequence desync of
    // librdkafka #4438 after a broker restart): a new producer's init_transactions fences the
    // old epoch and aborts its transaction; rewind and go on.
    Warn(absl::StrCat("producer failed fatally (", error.message(),
                      "); recreating it and rewinding"));
    in_transaction_ = false;
    producer_.reset();
    ONCEFLOW_RETURN_IF_ERROR(CreateProducer());
    ++counters_.producers_recreated;
    ++counters_.aborted;
    return Rewind();
  }
  return error;
}

absl::Status Pipeline::AbortAndRewind(const absl::Status& reason) {
  Warn(absl::StrCat("aborting the transaction: ", reason.message()));
  // See Shutdown: let in-flight sends (and their AddPartitionsToTxn) settle before EndTxn.
  (void)producer_->Flush(std::chrono::seconds(10));
  const auto started = SteadyClock::now();
  for (int attempt = 0;; ++attempt) {
    absl::Status st = producer_->AbortTransaction();
    if (st.ok()) break;
    if (IsRetriable(st) && SteadyClock::now() - started < kCommitRetryBudget) {
      std::this_thread::sleep_for(Backoff(attempt));
      continue;
    }
    if (st.code() == absl::StatusCode::kFailedPrecondition) {
      return RecoverFromTransactionError(st);  // fenced -> stop; else recreate the producer
    }
    return Prefix("abort_transaction: ", st);
  }
  in_transaction_ = false;
  ++counters_.aborted;
  return Rewind();
}

absl::Status Pipeline::Rewind() {
  state_->DiscardPending();
  for (const auto& [tp, offset] : rewind_points_) {
    if (std::find(assignment_.begin(), assignment_.end(), tp) == assignment_.end()) continue;
    absl::Status st = consumer_->Seek({tp, offset}, std::chrono::seconds(10));
    if (!st.ok() && consumer_->AssignmentLost()) {
      // The group moved on (its rebalance event is still queued): nothing past the last commit
      // can be committed for this partition any more (the commit carries the old generation
      // and is refused), and its next owner starts from the committed offset. Skipping the
      // seek loses nothing; stopping here would only turn a rebalance into a crash.
      Warn(absl::StrCat("rewinding ", tp.topic, "[", tp.partition.value(), "] to ", offset.value(),
                        ": ", st.message(),
                        "; the assignment is lost, so its next owner resumes from the committed "
                        "offset"));
      continue;
    }
    if (!st.ok()) {
      // Going on from the current position would skip the aborted records: stop instead; a
      // restart resumes from the committed offsets.
      return Prefix(absl::StrCat("rewinding ", tp.topic, "[", tp.partition.value(), "] to ",
                                 offset.value(), ": "),
                    st);
    }
  }
  ++counters_.rewinds;
  ResetUncommitted();
  return absl::OkStatus();
}

void Pipeline::RecordCommit(SteadyClock::time_point started) {
  commit_latency_.Observe(
      std::chrono::duration<double, std::milli>(SteadyClock::now() - started).count());
  const int64_t now_ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  for (int64_t ts : uncommitted_timestamps_) {
    if (ts > 0) e2e_latency_.Observe(static_cast<double>(now_ms - ts));
  }
  UpdateLag();
}

void Pipeline::UpdateLag() {
  std::vector<PartitionLag> lag;
  absl::StatusOr<std::vector<TopicPartitionOffset>> positions = consumer_->Positions(assignment_);
  if (positions.ok()) {
    for (const TopicPartitionOffset& p : *positions) {
      int64_t low = 0;
      int64_t high = 0;
      // Cached from fetch responses: no broker round trip.
      if (rd_kafka_get_watermark_offsets(consumer_->handle(), p.tp.topic.c_str(),
                                         p.tp.partition.value(), &low,
                                         &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
          high < 0) {
        continue;
      }
      const int64_t position = p.offset.is_logical() ? low : p.offset.value();
      lag.push_back({p.tp, std::max<int64_t>(0, high - position)});
    }
  }
  absl::MutexLock lock(&lag_mu_);
  lag_ = std::move(lag);
}

void Pipeline::ResetUncommitted() {
  uncommitted_timestamps_.clear();
  rewind_points_.clear();
  last_rkt_ = nullptr;  // the next record must record its partition's rewind point again
  uncommitted_records_ = 0;
  delivery_failed_ = false;
  delivery_error_ = absl::OkStatus();
}

bool Pipeline::AllAtEnd() const {
  return !assignment_.empty() &&
         std::all_of(assignment_.begin(), assignment_.end(),
                     [this](const TopicPartition& tp) { return at_end_.count(tp) > 0; });
}

bool Pipeline::CaughtUp() const {
  return !in_transaction_ && uncommitted_records_ == 0 && AllAtEnd();
}

absl::Status Pipeline::Shutdown(absl::Status status) {
  running_ = false;
  ready_ = false;
  if (consumer_ != nullptr && producer_ != nullptr) {
    if (status.ok()) {
      // Finish what is in flight: commit it, so a restart does not redo it.
      absl::Status st = eos() ? CommitTransaction() : CommitOffsets();
      if (!st.ok()) status = st;
    } else if (eos() && in_transaction_ && !kafka::IsFenced(status)) {
      // Commit nothing more; abort so the transaction does not hold back read_committed
      // readers until it times out. Let in-flight sends settle first: an EndTxn(abort) sent
      // while AddPartitionsToTxn is still being retried (the previous commit's markers are
      // being written) is refused with INVALID_TXN_STATE, fatally.
      (void)producer_->Flush(std::chrono::seconds(10));
      if (absl::Status st = producer_->AbortTransaction(); !st.ok()) {
        Warn(absl::StrCat("aborting the last transaction: ", st.message(),
                          " (the broker aborts it when it times out, or the next start does)"));
      }
    }
  }
  in_transaction_ = false;
  ResetUncommitted();
  if (state_ != nullptr) {
    state_->DiscardPending();  // anything still pending did not commit
    state_->CloseAll();
  }
  if (consumer_ != nullptr) {
    if (absl::Status st = consumer_->Close(); !st.ok()) {
      Warn(absl::StrCat("leaving the group: ", st.message()));
    }
  }
  producer_.reset();
  const ProcessorStats s = stats();
  Log(status.ok() ? LogLevel::kInfo : LogLevel::kError,
      absl::StrCat("stopped", status.ok() ? "" : absl::StrCat(" with error: ", status.message()),
                   " (in=", s.records_in, " out=", s.records_out,
                   " dead_lettered=", s.dead_lettered, " skipped=", s.skipped,
                   " transactions=", s.transactions_committed, " aborted=", s.transactions_aborted,
                   " offset_commits=", s.offset_commits, " rewinds=", s.rewinds,
                   dedupe_ != nullptr ? absl::StrCat(" deduplicated=", s.deduplicated) : "", ")"));
  return status;
}

// ------------------------------------------------------------------------------- callbacks

void Pipeline::OnAssigned(const std::vector<TopicPartition>& partitions) {
  ready_ = false;  // until restored
  ++counters_.rebalances;
  assignment_ = partitions;
  at_end_.clear();
  Info(absl::StrCat("assigned ", partitions.size(), " partition(s): ", Describe(partitions)));
  if (state_ != nullptr && deferred_error_.ok()) {
    // Restore before any record of these partitions is processed (this blocks the poll).
    if (absl::Status st = state_->Assign(partitions); !st.ok()) {
      deferred_error_ = Prefix("restoring state: ", st);
    }
  }
  // Ready once the assignment's state is restored, also with no partitions (an idle member
  // of a group with more members than partitions is healthy, not unready).
  ready_ = deferred_error_.ok();
}

void Pipeline::OnRevoked(const std::vector<TopicPartition>& partitions) {
  ready_ = false;
  // The last moment to commit for these partitions: finish the open transaction (or commit the
  // acknowledged offsets) before they go to another member.
  if (producer_ != nullptr && deferred_error_.ok()) {
    absl::Status st = eos() ? CommitTransaction() : CommitOffsets();
    if (!st.ok()) deferred_error_ = st;
  }
  ResetUncommitted();
  if (state_ != nullptr) {
    state_->DiscardPending();  // committed above, or aborted
    state_->CloseAll();
  }
  assignment_.clear();
  at_end_.clear();
  if (!partitions.empty()) {
    Info(absl::StrCat("revoked ", partitions.size(), " partition(s): ", Describe(partitions)));
  }
}

void Pipeline::OnLost(const std::vector<TopicPartition>& partitions) {
  ready_ = false;
  Warn(absl::StrCat("lost ", partitions.size(),
                    " partition(s) without a clean revoke: ", Describe(partitions)));
  if (eos() && in_transaction_ && producer_ != nullptr) {
    absl::Status st = producer_->AbortTransaction();
    if (st.ok()) {
      ++counters_.aborted;
    } else if (kafka::IsFenced(st)) {
      deferred_error_ = RecoverFromTransactionError(st);
    }
    in_transaction_ = false;
  }
  ResetUncommitted();
  if (state_ != nullptr) {
    state_->DiscardPending();
    state_->CloseAll();
  }
  assignment_.clear();
  at_end_.clear();
}

absl::Status Pipeline::Send(const std::string& topic, const OutputRecord& record) {
  kafka::OutMessage m;
  m.topic = topic;
  m.partition = record.partition();
  m.key = record.key().view();
  m.null_key = record.key().is_null();
  m.value = record.value().view();
  m.null_value = record.value().is_null();
  m.timestamp_ms = record.timestamp_ms();
  m.headers.reserve(record.headers().size());
  for (const auto& [name, value] : record.headers()) {
    m.headers.emplace_back(name.view(), value.view());
  }
  return producer_->Produce(m);
}

void Pipeline::OnDelivery(const kafka::DeliveryReport& report) {
  if (report.status.ok() && state_ != nullptr &&
      state_->IsChangelogTopic(report.position.tp.topic)) {
    state_->OnChangelogDelivered(report.position);
  }
  if (!report.status.ok()) {
    delivery_failed_ = true;
    delivery_error_ = report.status;
  }
}

}  // namespace onceflow::runtime
