#include "runtime/transactional_committer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/retry.h"
#include "kafka/error.h"
#include "onceflow/status_macros.h"
#include "runtime/fault_injection.h"
#include "runtime/log.h"

namespace onceflow::runtime {
namespace {

using std::chrono::milliseconds;

void Warn(absl::string_view m) { Log(LogLevel::kWarn, m); }

int64_t Ms(base::Clock::SteadyTime::duration d) {
  return std::chrono::duration_cast<milliseconds>(d).count();
}

}  // namespace

milliseconds TransactionDeadlineMargin(milliseconds transaction_timeout) {
  return std::min(transaction_timeout / 5, milliseconds(10000));
}

TransactionalCommitter::TransactionalCommitter(TransactionalCommitterOptions options,
                                               ProducerClient& producer, Source& source,
                                               base::Clock& clock, EngineCounters& counters)
    : options_(std::move(options)),
      producer_(producer),
      source_(source),
      clock_(clock),
      counters_(counters) {}

absl::Status TransactionalCommitter::Start(base::Clock::SteadyTime deadline,
                                           const std::function<bool()>& cancelled) {
  base::RetrySettings retry;
  retry.what = absl::StrCat("initializing transactions for ", options_.transactional_id);
  retry.cancelled = cancelled;
  retry.on_retry = [](const absl::Status& st, milliseconds wait) {
    Warn(absl::StrCat("init_transactions: ", st.message(), "; retrying in ", wait.count(), " ms"));
  };
  return base::RetryUntil(
      deadline, clock_,
      [this](int) { return producer_.InitTransactions(options_.call_timeout); }, retry);
}

absl::Status TransactionalCommitter::BeginRecord() {
  if (open_) return absl::OkStatus();
  ONCEFLOW_RETURN_IF_ERROR(producer_.BeginTransaction());
  open_ = true;
  began_ = clock_.SteadyNow();
  return absl::OkStatus();
}

std::optional<base::Clock::SteadyTime> TransactionalCommitter::Deadline() {
  if (!open_) return std::nullopt;
  return began_ + options_.transaction_timeout -
         TransactionDeadlineMargin(options_.transaction_timeout);
}

bool TransactionalCommitter::Due(const CommitCheck& check) {
  if (!open_ && check.records == 0) return false;
  if (check.force) return true;
  if (check.since_last_commit >= options_.commit_interval) return true;
  if (check.records >= options_.max_records) return true;
  // Leave room for the slowest record, so a record's retries never carry the transaction past
  // its timeout.
  if (open_ && options_.longest_record.count() > 0 &&
      clock_.SteadyNow() + options_.longest_record >= *Deadline()) {
    return true;
  }
  return false;
}

bool TransactionalCommitter::FencedByAnother(const absl::Status& error) {
  if (!kafka::IsFenced(error)) return false;
  // The broker fences a producer whose transaction outlived transaction.timeout.ms exactly as
  // it fences one replaced by a newer instance (librdkafka sees INVALID_PRODUCER_EPOCH either
  // way). Its timer starts at the transaction's first AddPartitionsToTxn, after our began_: if
  // the transaction has not been open that long, the broker cannot have timed it out.
  return !(open_ && clock_.SteadyNow() - began_ >= options_.transaction_timeout);
}

absl::Status TransactionalCommitter::FencedError(const absl::Status& error) const {
  return base::Annotate(absl::StrCat("fenced: another instance with transactional.id '",
                                     options_.transactional_id, "' has taken over; stopping: "),
                        error);
}

absl::Status TransactionalCommitter::RecreateProducer(const absl::Status& why) {
  Warn(absl::StrCat("recreating the producer (", why.message(),
                    "): its successor's init_transactions fences it and ends its transaction"));
  open_ = false;
  ONCEFLOW_RETURN_IF_ERROR(producer_.Recreate());
  ++counters_.producers_recreated;
  base::RetrySettings retry;
  retry.what = "init_transactions after recreating the producer";
  retry.on_retry = [](const absl::Status& st, milliseconds wait) {
    Warn(absl::StrCat("init_transactions: ", st.message(), "; retrying in ", wait.count(), " ms"));
  };
  absl::Status st = base::RetryUntil(
      clock_.SteadyNow() + options_.recovery_timeout, clock_,
      [this](int) { return producer_.InitTransactions(options_.call_timeout); }, retry);
  if (kafka::IsFenced(st)) return FencedError(st);
  return st;
}

absl::StatusOr<UnitEnd> TransactionalCommitter::RolledBack() {
  open_ = false;
  ++counters_.aborted;
  return UnitEnd::kRolledBack;
}

absl::StatusOr<UnitEnd> TransactionalCommitter::Abort(const absl::Status& cause) {
  absl::Status fatal = cause;
  if (cause.code() == absl::StatusCode::kFailedPrecondition && !kafka::IsFenced(cause)) {
    // The call's own error may be generic (_STATE, _FATAL); the producer knows the cause.
    if (absl::Status f = producer_.FatalError(); !f.ok()) fatal = f;
  }
  if (kafka::IsFenced(fatal)) {
    if (FencedByAnother(fatal)) return FencedError(fatal);
    Warn(absl::StrCat("the broker aborted this instance's transaction: it was open ",
                      Ms(clock_.SteadyNow() - began_), " ms, past transaction.timeout.ms (",
                      options_.transaction_timeout.count(), " ms); recovering"));
    ONCEFLOW_RETURN_IF_ERROR(RecreateProducer(fatal));
    return RolledBack();
  }
  if (cause.code() == absl::StatusCode::kFailedPrecondition) {
    // Fatal but not fenced (e.g. librdkafka #4438's sequence desync after a broker restart,
    // before 2.3.0): a new producer fences this one's epoch, which aborts its transaction.
    ONCEFLOW_RETURN_IF_ERROR(RecreateProducer(cause));
    return RolledBack();
  }
  if (!open_ && cause.code() != absl::StatusCode::kAborted) return RolledBack();

  Warn(absl::StrCat("aborting the transaction: ", cause.message()));
  // Let in-flight sends (and their AddPartitionsToTxn) settle first: an EndTxn(abort) sent
  // while AddPartitionsToTxn is still being retried can be refused with INVALID_TXN_STATE,
  // fatally.
  (void)producer_.Flush(std::min(options_.call_timeout, milliseconds(10000)));
  const base::Clock::SteadyTime deadline =
      clock_.SteadyNow() + std::max(options_.transaction_timeout, options_.call_timeout);
  for (int attempt = 1;; ++attempt) {
    absl::Status st = producer_.AbortTransaction(options_.call_timeout);
    if (st.ok()) break;
    const milliseconds wait = base::BackoffFor(attempt + 1, milliseconds(100), milliseconds(5000));
    if (base::IsTransient(st) && clock_.SteadyNow() + wait < deadline) {
      Warn(absl::StrCat("abort_transaction: ", st.message(), "; retrying"));
      clock_.SleepFor(wait);
      continue;
    }
    absl::Status why = st;
    if (absl::Status f = producer_.FatalError(); !f.ok()) why = f;
    if (kafka::IsFenced(why) && FencedByAnother(why)) return FencedError(why);
    // Fatal, or the abort itself keeps failing: a new producer's init_transactions aborts the
    // transaction for us.
    ONCEFLOW_RETURN_IF_ERROR(RecreateProducer(base::Annotate("abort_transaction: ", why)));
    break;
  }
  return RolledBack();
}

absl::StatusOr<UnitEnd> TransactionalCommitter::Committed(
    const std::function<absl::Status()>& apply_state) {
  open_ = false;
  ++counters_.committed;
  // Between the Kafka commit and the RocksDB write: a crash here leaves the local files behind
  // the changelog, and the restore replays from the checkpoint.
  ReachedFaultPoint(FaultPoint::kAfterCommit);
  if (absl::Status st = apply_state(); !st.ok()) {
    return base::Annotate(
        "applying committed state to RocksDB (restart to restore it from the changelog): ", st);
  }
  return UnitEnd::kCommitted;
}

absl::StatusOr<UnitEnd> TransactionalCommitter::Commit(
    const OffsetTracker& unit, const std::function<absl::Status()>& apply_state) {
  if (!open_) {
    if (unit.empty()) return UnitEnd::kCommitted;
    return absl::InternalError("records consumed outside a transaction");
  }
  ReachedFaultPoint(FaultPoint::kAfterProduce);
  if (ReachedFaultPoint(FaultPoint::kAbortBeforeCommit)) {
    // Let the records reach the log first, so the abort provably hides written records.
    (void)producer_.Flush(options_.call_timeout);
    return Abort(absl::AbortedError("fault injection: abortable error before commit"));
  }
  absl::StatusOr<std::vector<TopicPartitionOffset>> all = source_.Positions(unit.partitions());
  if (!all.ok()) {
    return Abort(absl::AbortedError(absl::StrCat("reading positions: ", all.status().message())));
  }
  std::vector<TopicPartitionOffset> positions;
  for (const TopicPartitionOffset& p : *all) {
    if (!p.offset.is_logical()) positions.push_back(p);  // positions, as the consumer tracks them
  }
  // The call timeout is the watchdog: a send_offsets_to_transaction that hangs (e.g. while the
  // group coordinator is down, librdkafka #5456) comes back as a timeout, and the transaction
  // is aborted and replayed instead of stalling the loop.
  absl::Status st = producer_.SendOffsetsToTransaction(positions, source_.GroupMetadata(),
                                                       options_.call_timeout);
  if (!st.ok()) return Abort(st);
  ReachedFaultPoint(FaultPoint::kAfterSendOffsets);
  ReachedFaultPoint(FaultPoint::kStopAfterSendOffsets);

  const base::Clock::SteadyTime deadline = clock_.SteadyNow() + options_.commit_budget;
  for (int attempt = 1;; ++attempt) {
    st = producer_.CommitTransaction(options_.call_timeout);
    if (st.ok()) return Committed(apply_state);
    const milliseconds wait = base::BackoffFor(attempt + 1, milliseconds(100), milliseconds(5000));
    if (base::IsTransient(st) && clock_.SteadyNow() + wait < deadline) {
      // Resume the commit; an abort now could not tell whether the commit had landed
      // (KAFKA-17754).
      Warn(absl::StrCat("commit_transaction: ", st.message(), "; resuming the commit"));
      clock_.SleepFor(wait);
      continue;
    }
    // librdkafka's abort flag: the commit was not made (e.g. a delivery failed).
    if (st.code() == absl::StatusCode::kAborted) return Abort(st);
    absl::Status why = st;
    if (absl::Status f = producer_.FatalError(); !f.ok() && !kafka::IsFenced(why)) why = f;
    if (kafka::IsFenced(why) && FencedByAnother(why)) return FencedError(why);
    // Fatal (a retried EndTxn can be refused after the commit landed), fenced because the
    // transaction timed out, or still failing after commit_budget: the outcome is unknown.
    return Resolve(why, unit, positions, apply_state);
  }
}

absl::StatusOr<UnitEnd> TransactionalCommitter::Resolve(
    const absl::Status& why, const OffsetTracker& unit,
    const std::vector<TopicPartitionOffset>& positions,
    const std::function<absl::Status()>& apply_state) {
  (void)unit;
  Warn(absl::StrCat("the outcome of commit_transaction is unknown (", why.message(),
                    "); recovering it from the group's committed offsets"));
  // The new producer's init_transactions completes or aborts the old transaction first, so
  // the offsets read afterwards are its outcome.
  ONCEFLOW_RETURN_IF_ERROR(RecreateProducer(why));
  std::vector<TopicPartition> tps;
  for (const TopicPartitionOffset& p : positions) tps.push_back(p.tp);
  std::vector<TopicPartitionOffset> committed;
  base::RetrySettings retry;
  retry.what = "reading the group's committed offsets";
  absl::Status st = base::RetryUntil(
      clock_.SteadyNow() + options_.recovery_timeout, clock_,
      [&](int) -> absl::Status {
        ONCEFLOW_ASSIGN_OR_RETURN(committed, source_.Committed(tps, options_.call_timeout));
        return absl::OkStatus();
      },
      retry);
  if (!st.ok()) {
    return base::Annotate(
        "cannot tell whether the last transaction committed; stopping (a restart resumes from "
        "the committed offsets and restores state from the changelog): ",
        st);
  }
  size_t reached = 0;
  for (const TopicPartitionOffset& p : positions) {
    for (const TopicPartitionOffset& c : committed) {
      if (c.tp == p.tp && !c.offset.is_logical() && p.offset <= c.offset) ++reached;
    }
  }
  if (reached == positions.size()) {
    Log(LogLevel::kInfo, "recovered: the transaction had committed");
    return Committed(apply_state);
  }
  if (reached == 0) {
    Log(LogLevel::kInfo, "recovered: the transaction had not committed; replaying it");
    ++counters_.aborted;
    return UnitEnd::kRolledBack;
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot tell whether the last transaction committed: ", reached, " of ", positions.size(),
      " partitions have its offsets committed; stopping (a restart resumes from the committed "
      "offsets and restores state from the changelog)"));
}

}  // namespace onceflow::runtime
