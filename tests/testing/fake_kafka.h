// A small model of Kafka for the engine's seams (runtime/io.h), so the loop and its committers
// run every error path deterministically, in milliseconds, with no broker:
//
//   FakeCluster   input partitions, a consumer group's committed offsets, and the output log
//                 with each record's transaction state (a read_committed reader sees only
//                 committed ones).
//   FakeSource    a consumer of the cluster's inputs: round-robin over its partitions, end-of-
//                 partition events, seeks (logged), committed offsets, scripted rebalances.
//   FakeProducer  a transactional or idempotent producer writing into the cluster, with
//                 scripted errors per call ("the 3rd commit_transaction fails fatally, but the
//                 commit landed"), delivery reports served from Poll/Flush/commit, epochs and
//                 zombie transactions resolved by the next init_transactions.
//
// Errors carry librdkafka codes the way kafka/error.h makes them, so kafka::IsFenced,
// IsRecordError and IsPurged see what they would see from librdkafka. Time: the fake source
// advances a base::ManualClock by its poll timeout when it has nothing to hand out.
//
// Not thread-safe: one test thread drives everything (as the loop does).
#ifndef ONCEFLOW_TESTS_TESTING_FAKE_KAFKA_H_
#define ONCEFLOW_TESTS_TESTING_FAKE_KAFKA_H_

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "base/clock.h"
#include "runtime/io.h"

namespace onceflow::testing {

// A Kafka error as kafka/error.h would report it: `code` decides what the loop does, `err` is
// the librdkafka code the predicates read.
absl::Status KafkaStatus(absl::StatusCode code, rd_kafka_resp_err_t err, absl::string_view what);

// The error classes of the engine's table.
enum class ErrorClass {
  kAbortable,  // txn_requires_abort: abort, replay
  kRetriable,  // transient: retry the call, or abort and replay
  kTimedOut,   // the call timed out (outcome unknown for a commit)
  kFatal,      // fatal, not fenced: recreate the producer
  kFenced,     // fenced by a newer producer with the same transactional.id
  kRecord,     // this record can never be produced (too large)
};
absl::Status ErrorOf(ErrorClass cls, absl::string_view what);
const char* Name(ErrorClass cls);

struct FakeOutput {
  std::string topic;
  int32_t partition = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::string>> headers;
  enum class State { kPending, kCommitted, kAborted, kFailed } state = State::kPending;
  int64_t transaction = -1;  // -1: not transactional
};

class FakeCluster {
 public:
  // `partitions` partitions of `per_partition` records each: key "k<p>-<i>", value "<p>:<i>".
  void AddInput(const std::string& topic, int partitions, int per_partition);
  void AddTopic(const std::string& topic) { topics_.push_back(topic); }
  // Records larger than this (key + value) fail delivery with MSG_SIZE_TOO_LARGE, as the
  // broker does for a topic's max.message.bytes. Default: no limit.
  // With `fails_batch`, a too-large record fails every record whose delivery report is served
  // with it (the broker refuses the whole batch).
  void SetMaxMessageBytes(const std::string& topic, size_t bytes, bool fails_batch = false) {
    max_bytes_[topic] = bytes;
    if (fails_batch) batch_topics_.insert(topic);
  }
  bool fails_batch(const std::string& topic) const { return batch_topics_.count(topic) > 0; }

  const std::vector<std::string>& topics() const { return topics_; }
  std::map<TopicPartition, std::vector<kafka::ConsumedMessage::Fields>>& inputs() {
    return inputs_;
  }
  std::map<TopicPartition, Offset>& committed() { return committed_; }
  std::vector<FakeOutput>& log() { return log_; }
  std::optional<size_t> max_bytes(const std::string& topic) const;

  // What a read_committed reader of `topic` sees, in log order.
  std::vector<FakeOutput> ReadCommitted(const std::string& topic) const;
  // Records of `topic` that were written to the log but aborted (a read_uncommitted reader
  // saw them).
  int64_t Aborted(const std::string& topic) const;

 private:
  std::vector<std::string> topics_;
  std::map<TopicPartition, std::vector<kafka::ConsumedMessage::Fields>> inputs_;
  std::map<TopicPartition, Offset> committed_;
  std::vector<FakeOutput> log_;
  std::map<std::string, size_t> max_bytes_;
  std::set<std::string> batch_topics_;
};

class FakeSource final : public runtime::Source {
 public:
  // kRevokeLast: an incremental (cooperative) revocation of the assignment's last partition
  // only, which is then assigned back incrementally from the group's committed offset; the other
  // partitions keep their positions.
  enum class Rebalance { kRevoke, kLost, kRevokeLast };

  FakeSource(FakeCluster& cluster, base::ManualClock& clock, bool partition_eof = true)
      : cluster_(cluster), clock_(clock), partition_eof_(partition_eof) {}

  // After `records` records were handed out, the next Poll runs the rebalance (the listener's
  // OnRevoked or OnLost for the whole assignment), then assigns the same partitions again from
  // the group's committed offsets, as a rejoin would.
  void ScheduleRebalance(int64_t records, Rebalance kind) { rebalances_.push_back({records, kind}); }
  // Polls after which the source gives up with an error, so a loop that never finishes ends
  // the test instead of hanging it. Default: 100,000.
  void SetPollBudget(int64_t polls) { poll_budget_ = polls; }
  // The `nth` call (from 1) of Committed fails with `status`.
  void FailCommitted(int nth, absl::Status status) { committed_faults_[nth] = std::move(status); }
  // The `nth` Commit (at-least-once) fails with `status`.
  void FailCommit(int nth, absl::Status status) { commit_faults_[nth] = std::move(status); }

  // Every seek, in order: where the loop rewound to.
  const std::vector<TopicPartitionOffset>& seeks() const { return seeks_; }
  int64_t handed_out() const { return handed_out_; }
  int commits() const { return commit_calls_; }
  // Runs at the start of every Commit (e.g. to advance a fake clock: a slow commit).
  void OnCommit(std::function<void()> hook) { on_commit_ = std::move(hook); }

  // runtime::Source.
  void SetListener(kafka::RebalanceListener* listener) override { listener_ = listener; }
  absl::Status Subscribe(const std::vector<std::string>& topics) override;
  absl::StatusOr<std::vector<std::string>> ListTopics(runtime::milliseconds) override {
    return cluster_.topics();
  }
  absl::StatusOr<std::optional<kafka::ConsumedMessage>> Poll(
      runtime::milliseconds timeout) override;
  absl::StatusOr<std::vector<TopicPartitionOffset>> Positions(
      const std::vector<TopicPartition>& partitions) override;
  absl::Status Seek(const TopicPartitionOffset& position, runtime::milliseconds) override;
  absl::StatusOr<std::vector<TopicPartitionOffset>> Committed(
      const std::vector<TopicPartition>& partitions, runtime::milliseconds) override;
  absl::Status Commit(const std::vector<TopicPartitionOffset>& positions, bool async) override;
  bool AssignmentLost() override { return false; }
  absl::Status Pause(const std::vector<TopicPartition>& partitions) override;
  absl::Status Resume(const std::vector<TopicPartition>& partitions) override;
  std::optional<Offset> CachedEndOffset(const TopicPartition& tp) override;
  kafka::GroupMetadata GroupMetadata() override { return {}; }
  absl::Status Close() override;

 private:
  void Assign();
  void RevokeLastAndAssignItBack();

  FakeCluster& cluster_;
  base::ManualClock& clock_;
  const bool partition_eof_;
  kafka::RebalanceListener* listener_ = nullptr;
  std::vector<std::string> subscribed_;
  std::vector<TopicPartition> assignment_;
  std::map<TopicPartition, int64_t> position_;
  std::map<TopicPartition, int64_t> eof_at_;  // where an end event was last handed out
  std::set<TopicPartition> paused_;
  size_t next_ = 0;                           // round-robin cursor
  int64_t handed_out_ = 0;
  struct Scheduled {
    int64_t records;
    Rebalance kind;
  };
  std::deque<Scheduled> rebalances_;
  std::vector<TopicPartitionOffset> seeks_;
  std::map<int, absl::Status> committed_faults_;
  std::map<int, absl::Status> commit_faults_;
  int committed_calls_ = 0;
  int64_t polls_ = 0;
  int64_t poll_budget_ = 100000;
  int commit_calls_ = 0;
  std::function<void()> on_commit_;
  bool closed_ = false;
};

class FakeProducer final : public runtime::ProducerClient {
 public:
  enum class Call { kInit, kBegin, kProduce, kDeliver, kSendOffsets, kCommit, kAbort };
  static const char* Name(Call call);

  FakeProducer(FakeCluster& cluster, bool transactional)
      : cluster_(cluster), transactional_(transactional) {}

  // The `nth` call (from 1, counted over the producer's whole life, recreations included) of
  // `call` fails with `status`; for kDeliver, the nth produced record's delivery report does.
  // A fatal or fenced status makes the producer unusable until Recreate. With
  // `commit_landed`, a failing kCommit still commits (the response was lost).
  void Fail(Call call, int nth, absl::Status status, bool commit_landed = false);
  // Every call of `call` from the `nth` on fails with `status`, until the producer is
  // recreated (e.g. a commit that keeps timing out).
  void FailUntilRecreated(Call call, int nth, absl::Status status) {
    sticky_[call] = {nth, std::move(status)};
  }
  // The `nth` delivery report fails for the whole batch it would have been in: every record
  // whose report is pending when it is served fails the same way (the broker fails a batch).
  void FailBatch(int nth, absl::Status status) {
    Fail(Call::kDeliver, nth, std::move(status));
    batch_faults_.insert(nth);
  }

  int calls(Call call) const;
  int recreated() const { return recreated_; }
  // Runs at the start of every CommitTransaction (e.g. to advance a fake clock: a slow
  // commit).
  void OnCommit(std::function<void()> hook) { on_commit_ = std::move(hook); }

  // runtime::ProducerClient.
  void SetDeliveryHandler(DeliveryHandler handler) override { handler_ = std::move(handler); }
  absl::Status Produce(const kafka::OutMessage& message, runtime::milliseconds) override;
  // Serves the reports of records produced before the previous Poll: a report is not ready at
  // once (the record is in flight), so only Flush and commit see every report.
  void Poll() override { Serve(/*all=*/false); }
  absl::Status Flush(runtime::milliseconds) override;
  absl::Status InitTransactions(runtime::milliseconds) override;
  absl::Status BeginTransaction() override;
  absl::Status SendOffsetsToTransaction(const std::vector<TopicPartitionOffset>& positions,
                                        const kafka::GroupMetadata&,
                                        runtime::milliseconds) override;
  absl::Status CommitTransaction(runtime::milliseconds) override;
  absl::Status AbortTransaction(runtime::milliseconds) override;
  absl::Status FatalError() override { return fatal_; }
  absl::Status Recreate() override;

 private:
  struct Pending {
    size_t log_index;
    void* opaque;
    int nth;  // produce number (for kDeliver faults)
    bool ready = false;  // a Poll has passed since it was produced
  };
  // Counts the call and returns its scripted failure, if any.
  std::optional<absl::Status> Fault(Call call);
  void Serve(bool all = true);
  void EndTransaction(bool commit);

  FakeCluster& cluster_;
  const bool transactional_;
  DeliveryHandler handler_;
  std::map<std::pair<Call, int>, std::pair<absl::Status, bool>> faults_;
  std::set<int> batch_faults_;
  std::map<Call, std::pair<int, absl::Status>> sticky_;
  std::map<Call, int> calls_;
  std::deque<Pending> pending_;
  absl::Status fatal_;
  absl::Status abortable_;  // a delivery failed inside the transaction
  bool initialized_ = false;
  bool open_ = false;
  int64_t transaction_ = 0;
  std::vector<TopicPartitionOffset> offsets_;  // sent into the open transaction
  // A transaction left open by a recreated producer: ended by the next init_transactions.
  std::optional<int64_t> zombie_;
  std::vector<TopicPartitionOffset> zombie_offsets_;
  bool zombie_commits_ = false;
  int recreated_ = 0;
  int produced_ = 0;
  std::function<void()> on_commit_;
};

}  // namespace onceflow::testing

#endif  // ONCEFLOW_TESTS_TESTING_FAKE_KAFKA_H_
