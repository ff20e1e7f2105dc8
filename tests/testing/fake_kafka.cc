#include "tests/testing/fake_kafka.h"

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "kafka/error.h"

namespace onceflow::testing {

absl::Status KafkaStatus(absl::StatusCode code, rd_kafka_resp_err_t err, absl::string_view what) {
  absl::Status status(code, absl::StrCat(what, ": ", rd_kafka_err2name(err), ": injected"));
  status.SetPayload(kafka::kErrorCodePayload, absl::Cord(absl::StrCat(static_cast<int>(err))));
  return status;
}

absl::Status ErrorOf(ErrorClass cls, absl::string_view what) {
  switch (cls) {
    case ErrorClass::kAbortable:
      return KafkaStatus(absl::StatusCode::kAborted, RD_KAFKA_RESP_ERR__STATE, what);
    case ErrorClass::kRetriable:
      return KafkaStatus(absl::StatusCode::kUnavailable,
                         RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, what);
    case ErrorClass::kTimedOut:
      return KafkaStatus(absl::StatusCode::kDeadlineExceeded, RD_KAFKA_RESP_ERR__TIMED_OUT, what);
    case ErrorClass::kFatal:
      return KafkaStatus(absl::StatusCode::kFailedPrecondition,
                         RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, what);
    case ErrorClass::kFenced:
      return KafkaStatus(absl::StatusCode::kFailedPrecondition, RD_KAFKA_RESP_ERR__FENCED, what);
    case ErrorClass::kRecord:
      return KafkaStatus(absl::StatusCode::kOutOfRange, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE,
                         what);
  }
  return absl::UnknownError("unknown error class");
}

const char* Name(ErrorClass cls) {
  switch (cls) {
    case ErrorClass::kAbortable:
      return "abortable";
    case ErrorClass::kRetriable:
      return "retriable";
    case ErrorClass::kTimedOut:
      return "timed_out";
    case ErrorClass::kFatal:
      return "fatal";
    case ErrorClass::kFenced:
      return "fenced";
    case ErrorClass::kRecord:
      return "record";
  }
  return "?";
}

// ------------------------------------------------------------------------------- cluster

void FakeCluster::AddInput(const std::string& topic, int partitions, int per_partition) {
  AddTopic(topic);
  for (int p = 0; p < partitions; ++p) {
    std::vector<kafka::ConsumedMessage::Fields>& records = inputs_[TopicPartition{topic, Partition(p)}];
    for (int i = 0; i < per_partition; ++i) {
      kafka::ConsumedMessage::Fields f;
      f.topic = topic;
      f.partition = p;
      f.offset = i;
      f.timestamp_ms = 1'700'000'000'000 + i;
      f.key = absl::StrCat("k", p, "-", i);
      f.value = absl::StrCat(p, ":", i);
      records.push_back(std::move(f));
    }
  }
}

std::optional<size_t> FakeCluster::max_bytes(const std::string& topic) const {
  auto it = max_bytes_.find(topic);
  if (it == max_bytes_.end()) return std::nullopt;
  return it->second;
}

std::vector<FakeOutput> FakeCluster::ReadCommitted(const std::string& topic) const {
  std::vector<FakeOutput> out;
  for (const FakeOutput& o : log_) {
    if (o.topic == topic && o.state == FakeOutput::State::kCommitted) out.push_back(o);
  }
  return out;
}

int64_t FakeCluster::Aborted(const std::string& topic) const {
  return std::count_if(log_.begin(), log_.end(), [&](const FakeOutput& o) {
    return o.topic == topic && o.state == FakeOutput::State::kAborted;
  });
}

// -------------------------------------------------------------------------------- source

absl::Status FakeSource::Subscribe(const std::vector<std::string>& topics) {
  subscribed_ = topics;
  return absl::OkStatus();
}

void FakeSource::Assign() {
  assignment_.clear();
  position_.clear();
  eof_at_.clear();
  next_ = 0;
  for (const auto& [tp, records] : cluster_.inputs()) {
    if (std::find(subscribed_.begin(), subscribed_.end(), tp.topic) == subscribed_.end()) continue;
    assignment_.push_back(tp);
    auto c = cluster_.committed().find(tp);
    position_[tp] = c == cluster_.committed().end() ? 0 : c->second.value();
  }
  paused_.clear();
  if (listener_ != nullptr) {
    for (const TopicPartition& tp : listener_->OnAssigned(assignment_)) paused_.insert(tp);
  }
}

void FakeSource::RevokeLastAndAssignItBack() {
  if (assignment_.empty()) return;
  const TopicPartition tp = assignment_.back();
  if (listener_ != nullptr) listener_->OnRevoked({tp});
  assignment_.pop_back();
  position_.erase(tp);
  eof_at_.erase(tp);
  paused_.erase(tp);
  next_ = 0;
  assignment_.push_back(tp);
  auto c = cluster_.committed().find(tp);
  position_[tp] = c == cluster_.committed().end() ? 0 : c->second.value();
  if (listener_ != nullptr) {
    for (const TopicPartition& p : listener_->OnAssigned({tp})) paused_.insert(p);
  }
}

absl::Status FakeSource::Pause(const std::vector<TopicPartition>& partitions) {
  for (const TopicPartition& tp : partitions) paused_.insert(tp);
  return absl::OkStatus();
}

absl::Status FakeSource::Resume(const std::vector<TopicPartition>& partitions) {
  for (const TopicPartition& tp : partitions) paused_.erase(tp);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<kafka::ConsumedMessage>> FakeSource::Poll(
    runtime::milliseconds timeout) {
  if (closed_) return absl::FailedPreconditionError("poll after close");
  if (++polls_ > poll_budget_) {
    return absl::FailedPreconditionError("fake source: poll budget spent (the loop never finished)");
  }
  if (assignment_.empty() && !subscribed_.empty()) {
    Assign();
    return std::optional<kafka::ConsumedMessage>();
  }
  if (!rebalances_.empty() && handed_out_ >= rebalances_.front().records) {
    const Rebalance kind = rebalances_.front().kind;
    rebalances_.pop_front();
    if (kind == Rebalance::kRevokeLast) {
      RevokeLastAndAssignItBack();
      return std::optional<kafka::ConsumedMessage>();
    }
    if (listener_ != nullptr) {
      if (kind == Rebalance::kLost) {
        listener_->OnLost(assignment_);
      } else {
        listener_->OnRevoked(assignment_);
      }
    }
    Assign();
    return std::optional<kafka::ConsumedMessage>();
  }
  // Round-robin, one record at a time, over partitions with something left.
  for (size_t n = 0; n < assignment_.size(); ++n) {
    const TopicPartition& tp = assignment_[(next_ + n) % assignment_.size()];
    if (paused_.count(tp) > 0) continue;
    const std::vector<kafka::ConsumedMessage::Fields>& records = cluster_.inputs()[tp];
    int64_t& pos = position_[tp];
    if (pos < static_cast<int64_t>(records.size())) {
      next_ = (next_ + n + 1) % assignment_.size();
      ++handed_out_;
      return std::optional<kafka::ConsumedMessage>(kafka::ConsumedMessage::Copy(
          kafka::ConsumedMessage::Kind::kRecord, records[static_cast<size_t>(pos++)]));
    }
  }
  if (partition_eof_) {
    for (const TopicPartition& tp : assignment_) {
      if (paused_.count(tp) > 0) continue;
      const int64_t pos = position_[tp];
      auto it = eof_at_.find(tp);
      if (it != eof_at_.end() && it->second == pos) continue;
      eof_at_[tp] = pos;
      kafka::ConsumedMessage::Fields f;
      f.topic = tp.topic;
      f.partition = tp.partition.value();
      f.offset = pos;
      return std::optional<kafka::ConsumedMessage>(
          kafka::ConsumedMessage::Copy(kafka::ConsumedMessage::Kind::kPartitionEnd, std::move(f)));
    }
  }
  clock_.Advance(timeout);  // nothing to hand out: the poll waited
  return std::optional<kafka::ConsumedMessage>();
}

absl::StatusOr<std::vector<TopicPartitionOffset>> FakeSource::Positions(
    const std::vector<TopicPartition>& partitions) {
  std::vector<TopicPartitionOffset> out;
  for (const TopicPartition& tp : partitions) {
    auto it = position_.find(tp);
    out.push_back({tp, it == position_.end() ? Offset::Invalid() : Offset(it->second)});
  }
  return out;
}

absl::Status FakeSource::Seek(const TopicPartitionOffset& position, runtime::milliseconds) {
  auto it = position_.find(position.tp);
  if (it == position_.end()) {
    return KafkaStatus(absl::StatusCode::kFailedPrecondition, RD_KAFKA_RESP_ERR__STATE,
                       "seek of an unassigned partition");
  }
  it->second = position.offset.value();
  eof_at_.erase(position.tp);
  seeks_.push_back(position);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TopicPartitionOffset>> FakeSource::Committed(
    const std::vector<TopicPartition>& partitions, runtime::milliseconds) {
  ++committed_calls_;
  if (auto it = committed_faults_.find(committed_calls_); it != committed_faults_.end()) {
    return it->second;
  }
  std::vector<TopicPartitionOffset> out;
  for (const TopicPartition& tp : partitions) {
    auto it = cluster_.committed().find(tp);
    out.push_back({tp, it == cluster_.committed().end() ? Offset::Invalid() : it->second});
  }
  return out;
}

absl::Status FakeSource::Commit(const std::vector<TopicPartitionOffset>& positions, bool) {
  if (on_commit_) on_commit_();
  ++commit_calls_;
  if (auto it = commit_faults_.find(commit_calls_); it != commit_faults_.end()) {
    return it->second;
  }
  for (const TopicPartitionOffset& p : positions) cluster_.committed().insert_or_assign(p.tp, p.offset);
  return absl::OkStatus();
}

std::optional<Offset> FakeSource::CachedEndOffset(const TopicPartition& tp) {
  auto it = cluster_.inputs().find(tp);
  if (it == cluster_.inputs().end()) return std::nullopt;
  return Offset(static_cast<int64_t>(it->second.size()));
}

absl::Status FakeSource::Close() {
  if (closed_) return absl::OkStatus();
  closed_ = true;
  if (listener_ != nullptr && !assignment_.empty()) listener_->OnRevoked(assignment_);
  assignment_.clear();
  return absl::OkStatus();
}

// ------------------------------------------------------------------------------ producer

const char* FakeProducer::Name(Call call) {
  switch (call) {
    case Call::kInit:
      return "init";
    case Call::kBegin:
      return "begin";
    case Call::kProduce:
      return "produce";
    case Call::kDeliver:
      return "deliver";
    case Call::kSendOffsets:
      return "send_offsets";
    case Call::kCommit:
      return "commit";
    case Call::kAbort:
      return "abort";
  }
  return "?";
}

void FakeProducer::Fail(Call call, int nth, absl::Status status, bool commit_landed) {
  faults_[{call, nth}] = {std::move(status), commit_landed};
}

int FakeProducer::calls(Call call) const {
  auto it = calls_.find(call);
  return it == calls_.end() ? 0 : it->second;
}

std::optional<absl::Status> FakeProducer::Fault(Call call) {
  const int n = ++calls_[call];
  if (!fatal_.ok()) return fatal_;
  if (auto sticky = sticky_.find(call); sticky != sticky_.end() && n >= sticky->second.first) {
    return sticky->second.second;
  }
  auto it = faults_.find({call, n});
  if (it == faults_.end()) return std::nullopt;
  const absl::Status& st = it->second.first;
  if (st.code() == absl::StatusCode::kFailedPrecondition) fatal_ = st;  // fatal and fenced
  return st;
}

absl::Status FakeProducer::Produce(const kafka::OutMessage& m, runtime::milliseconds) {
  if (std::optional<absl::Status> st = Fault(Call::kProduce)) return *st;
  if (transactional_ && !open_) {
    return KafkaStatus(absl::StatusCode::kFailedPrecondition, RD_KAFKA_RESP_ERR__STATE,
                       "produce outside a transaction");
  }
  if (!abortable_.ok()) {
    // librdkafka refuses new records in a failed transaction (_STATE, mapped to kAborted).
    return KafkaStatus(absl::StatusCode::kAborted, RD_KAFKA_RESP_ERR__STATE,
                       "produce: the transaction must be aborted");
  }
  FakeOutput o;
  o.topic = std::string(m.topic);
  o.partition = m.partition.value() < 0 ? 0 : m.partition.value();
  if (!m.null_key) o.key = std::string(m.key);
  if (!m.null_value) o.value = std::string(m.value);
  for (const auto& [name, value] : m.headers) o.headers.emplace_back(name, value);
  o.transaction = transactional_ ? transaction_ : -1;
  cluster_.log().push_back(std::move(o));
  pending_.push_back({cluster_.log().size() - 1, m.opaque, ++produced_});
  return absl::OkStatus();
}

void FakeProducer::Serve(bool all) {
  std::optional<absl::Status> batch_failure;
  if (!all) {
    // Serve the ready prefix; what remains becomes ready for the next Poll.
    std::deque<Pending> later;
    while (!pending_.empty() && !pending_.back().ready) {
      later.push_front(pending_.back());
      pending_.pop_back();
    }
    for (Pending& p : later) p.ready = true;
    Serve(/*all=*/true);
    pending_ = std::move(later);
    return;
  }
  for (const Pending& p : pending_) {
    const FakeOutput& o = cluster_.log()[p.log_index];
    std::optional<size_t> max = cluster_.max_bytes(o.topic);
    if (cluster_.fails_batch(o.topic) && max.has_value() &&
        o.key.value_or("").size() + o.value.value_or("").size() > *max) {
      batch_failure = KafkaStatus(absl::StatusCode::kOutOfRange,
                                  RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, "delivery (batch)");
    }
  }
  while (!pending_.empty()) {
    Pending p = pending_.front();
    pending_.pop_front();
    FakeOutput& o = cluster_.log()[p.log_index];
    kafka::DeliveryReport report;
    report.opaque = p.opaque;
    report.position.tp = TopicPartition{o.topic, Partition(o.partition)};
    ++calls_[Call::kDeliver];
    absl::Status st;
    if (auto it = faults_.find({Call::kDeliver, p.nth}); it != faults_.end()) {
      st = it->second.first;
      if (batch_faults_.count(p.nth) > 0) batch_failure = st;
      // A fatal error in a delivery report (e.g. an out-of-order sequence) makes the producer
      // unusable, as librdkafka does.
      if (st.code() == absl::StatusCode::kFailedPrecondition) fatal_ = st;
    } else if (batch_failure.has_value()) {
      st = *batch_failure;
    } else if (std::optional<size_t> max = cluster_.max_bytes(o.topic);
               max.has_value() && o.key.value_or("").size() + o.value.value_or("").size() > *max) {
      st = KafkaStatus(absl::StatusCode::kOutOfRange, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE,
                       "delivery");
    }
    if (st.ok()) {
      if (!transactional_) o.state = FakeOutput::State::kCommitted;  // acknowledged = visible
      report.position.offset = Offset(static_cast<int64_t>(p.log_index));
    } else {
      o.state = FakeOutput::State::kFailed;
      if (transactional_ && abortable_.ok()) abortable_ = st;
    }
    report.status = st;
    if (handler_) handler_(report);
  }
}

absl::Status FakeProducer::Flush(runtime::milliseconds) {
  Serve();
  return absl::OkStatus();
}

absl::Status FakeProducer::InitTransactions(runtime::milliseconds) {
  if (std::optional<absl::Status> st = Fault(Call::kInit)) return *st;
  if (zombie_.has_value()) {
    // The coordinator ends the previous epoch's transaction: completes a commit that was
    // written, aborts the rest.
    for (FakeOutput& o : cluster_.log()) {
      if (o.transaction == *zombie_ && o.state == FakeOutput::State::kPending) {
        o.state = zombie_commits_ ? FakeOutput::State::kCommitted : FakeOutput::State::kAborted;
      }
    }
    if (zombie_commits_) {
      for (const TopicPartitionOffset& p : zombie_offsets_) {
        cluster_.committed().insert_or_assign(p.tp, p.offset);
      }
    }
    zombie_.reset();
    zombie_commits_ = false;
  }
  initialized_ = true;
  return absl::OkStatus();
}

absl::Status FakeProducer::BeginTransaction() {
  if (std::optional<absl::Status> st = Fault(Call::kBegin)) {
    if (st->code() == absl::StatusCode::kAborted) {
      // librdkafka says "abort first" when its transaction is in an abortable error state.
      open_ = true;
      ++transaction_;
      abortable_ = *st;
    }
    return *st;
  }
  if (!initialized_ || open_) {
    return KafkaStatus(absl::StatusCode::kFailedPrecondition, RD_KAFKA_RESP_ERR__STATE,
                       "begin_transaction in the wrong state");
  }
  open_ = true;
  ++transaction_;
  offsets_.clear();
  return absl::OkStatus();
}

absl::Status FakeProducer::SendOffsetsToTransaction(
    const std::vector<TopicPartitionOffset>& positions, const kafka::GroupMetadata&,
    runtime::milliseconds) {
  if (std::optional<absl::Status> st = Fault(Call::kSendOffsets)) return *st;
  if (!open_) {
    return KafkaStatus(absl::StatusCode::kFailedPrecondition, RD_KAFKA_RESP_ERR__STATE,
                       "send_offsets outside a transaction");
  }
  offsets_ = positions;
  return absl::OkStatus();
}

void FakeProducer::EndTransaction(bool commit) {
  for (FakeOutput& o : cluster_.log()) {
    if (o.transaction == transaction_ && o.state == FakeOutput::State::kPending) {
      o.state = commit ? FakeOutput::State::kCommitted : FakeOutput::State::kAborted;
    }
  }
  if (commit) {
    for (const TopicPartitionOffset& p : offsets_) cluster_.committed().insert_or_assign(p.tp, p.offset);
  }
  offsets_.clear();
  open_ = false;
  abortable_ = absl::OkStatus();
}

absl::Status FakeProducer::CommitTransaction(runtime::milliseconds) {
  if (on_commit_) on_commit_();
  Serve();  // a commit flushes first
  const int n = ++calls_[Call::kCommit];
  if (!fatal_.ok()) return fatal_;
  if (auto sticky = sticky_.find(Call::kCommit);
      sticky != sticky_.end() && n >= sticky->second.first) {
    return sticky->second.second;
  }
  if (auto it = faults_.find({Call::kCommit, n}); it != faults_.end()) {
    const auto& [st, landed] = it->second;
    if (landed) {
      if (st.code() == absl::StatusCode::kFailedPrecondition) {
        // The commit was written, but this producer failed before it heard: the next
        // init_transactions completes it.
        fatal_ = st;
        zombie_ = transaction_;
        zombie_offsets_ = offsets_;
        zombie_commits_ = true;
        open_ = false;
        return st;
      }
      EndTransaction(/*commit=*/true);
      return st;
    }
    if (st.code() == absl::StatusCode::kFailedPrecondition) fatal_ = st;
    return st;
  }
  if (!open_) {
    return KafkaStatus(absl::StatusCode::kFailedPrecondition, RD_KAFKA_RESP_ERR__STATE,
                       "commit outside a transaction");
  }
  if (!abortable_.ok()) {
    return KafkaStatus(absl::StatusCode::kAborted, RD_KAFKA_RESP_ERR__INCONSISTENT,
                       absl::StrCat("commit_transaction after a failed delivery (",
                                    abortable_.message(), ")"));
  }
  EndTransaction(/*commit=*/true);
  return absl::OkStatus();
}

absl::Status FakeProducer::AbortTransaction(runtime::milliseconds) {
  if (std::optional<absl::Status> st = Fault(Call::kAbort)) return *st;
  // Records not yet reported are purged: their reports say so.
  for (Pending& p : pending_) {
    FakeOutput& o = cluster_.log()[p.log_index];
    o.state = FakeOutput::State::kAborted;
    kafka::DeliveryReport report;
    report.opaque = p.opaque;
    report.position.tp = TopicPartition{o.topic, Partition(o.partition)};
    report.status = KafkaStatus(absl::StatusCode::kUnknown, RD_KAFKA_RESP_ERR__PURGE_QUEUE,
                                "delivery");
    if (handler_) handler_(report);
  }
  pending_.clear();
  if (!open_) {
    return KafkaStatus(absl::StatusCode::kFailedPrecondition, RD_KAFKA_RESP_ERR__STATE,
                       "abort outside a transaction");
  }
  EndTransaction(/*commit=*/false);
  return absl::OkStatus();
}

absl::Status FakeProducer::Recreate() {
  ++recreated_;
  sticky_.clear();
  if (open_) {
    zombie_ = transaction_;
    zombie_offsets_ = offsets_;
    zombie_commits_ = false;
  }
  pending_.clear();  // dropped without reports
  fatal_ = absl::OkStatus();
  abortable_ = absl::OkStatus();
  initialized_ = false;
  open_ = false;
  offsets_.clear();
  return absl::OkStatus();
}

}  // namespace onceflow::testing
