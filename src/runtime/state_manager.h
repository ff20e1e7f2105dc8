// StateManager: the runtime side of local state. Owns the PartitionStores of the assigned
// partitions, creates changelog topics, restores stores from their changelogs on assignment,
// routes a transform's store calls to the current record's partition, and applies pending
// writes after the Kafka transaction commits. See docs/state.md.
//
// Thread-safety: the processing thread only (rebalance callbacks run on it too).
#ifndef ONCEFLOW_RUNTIME_STATE_MANAGER_H_
#define ONCEFLOW_RUNTIME_STATE_MANAGER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kafka/config.h"
#include "onceflow/kafka_types.h"
#include "onceflow/processor_options.h"
#include "onceflow/transform.h"
#include "runtime/record_processor.h"
#include "state/partition_store.h"

namespace onceflow::runtime {

class StateManager : public TransformContext, public AttemptScope {
 public:
  // Produces one changelog record (value nullopt = tombstone) through the pipeline's sink,
  // inside the open transaction under eos.
  using ProduceFn =
      std::function<absl::Status(const std::string& topic, int32_t partition, absl::string_view key,
                                 std::optional<absl::string_view> value)>;

  // Keeps a copy of `options`.
  StateManager(const ProcessorOptions& options, ProduceFn produce);
  ~StateManager() override;
  StateManager(const StateManager&) = delete;
  StateManager& operator=(const StateManager&) = delete;

  // Any store declared (explicitly or by dedupe)?
  bool enabled() const { return !store_names_.empty(); }
  static std::string ChangelogTopic(const std::string& application_id, const std::string& store);
  // The changelog topics of every store `options` declares (dedupe's included).
  static std::vector<std::string> ChangelogTopics(const ProcessorOptions& options);

  // The compaction policy the partitions of store `name` are opened with (expiry; see
  // state::CompactionPolicy). Before Start.
  void SetCompactionPolicy(const std::string& name, std::shared_ptr<state::CompactionPolicy> p);

  // The topic configs of store `name`'s changelog: compacted; the dedupe store with a finite
  // window also deleted by time, retention = window + kChangelogRetentionMargin.
  kafka::Properties ChangelogConfigs(const std::string& name) const;
  // How long a windowed changelog keeps records past the window (Kafka Streams' default
  // windowstore.changelog.additional.retention.ms): room for clocks that disagree.
  static constexpr std::chrono::hours kChangelogRetentionMargin{24};

  // Creates the shared RocksDB resources; creates missing changelog topics (ChangelogConfigs,
  // the inputs' partition count) and checks existing ones (partition count; a windowed
  // changelog's retention must cover the window, and one without time retention is warned
  // about); checks the inputs are co-partitioned (state is per partition number).
  absl::Status Start();

  // Opens the stores of `partitions` (local files only: safe inside a rebalance callback) and
  // schedules their restore from the changelog; returns the input partitions whose records must
  // wait until their stores are restored (the caller starts them paused). RestoreStep does the
  // restore, on the loop.
  absl::StatusOr<std::vector<TopicPartition>> Assign(const std::vector<TopicPartition>& partitions);
  // Reads the group's committed offsets of input `partitions` for up to `timeout`, waiting for
  // a transaction that holds offsets for them to end (a read_committed consumer asks for
  // stable offsets): an error, or kDeadlineExceeded / kUnavailable to be asked again.
  using StableOffsetsFn = std::function<absl::Status(const std::vector<TopicPartition>&,
                                                     std::chrono::milliseconds timeout)>;
  // Before a restore reads a changelog, the committed offsets of the partitions waiting for it
  // are read with `fn` (unset: not waited for). See RestoreStep.
  void SetStableOffsetsFn(StableOffsetsFn fn) { stable_offsets_ = std::move(fn); }

  // Restores for about `budget` (from each store's checkpoint; from the beginning when the
  // local files were missing or unusable, or the checkpoint lies beyond the changelog's end).
  // Returns the input partitions whose stores are now up to date (the caller resumes them).
  // A changelog partition is restored to its high watermark, not merely to its last stable
  // offset: a transaction still open on it (a previous owner's, cut off while it committed)
  // may yet commit, with input offsets the input partition then starts from, so its state
  // updates must be in the store. The input's stable offsets are read first (the
  // StableOffsetsFn), so such a transaction has written all of its records by then.
  // Transient consumer errors are ridden out (librdkafka recovers) until the restore timeout.
  absl::StatusOr<std::vector<TopicPartition>> RestoreStep(std::chrono::milliseconds budget);
  // Whether a restore is under way.
  bool restoring() const { return restore_ != nullptr; }
  // Whether the stores of `partition` are still being restored.
  bool Restoring(int32_t partition) const;
  // Closes the stores of every partition (their pending writes must be committed or
  // discarded before).
  void CloseAll();
  // Closes the stores of the partition `numbers` only (an incremental revocation): the others
  // stay open, and a restore under way goes on for them.
  void Close(const std::set<int32_t>& numbers);

  // The partition whose store the routing stores use (nullopt: none, outside Process).
  void SetCurrentPartition(std::optional<int32_t> partition) { current_ = partition; }

  // The Kafka transaction committed (eos), or the outputs were acknowledged (alos): apply the
  // pending writes of every store to RocksDB and move their checkpoints.
  absl::Status CommitPending();
  // The transaction aborted: drop every pending write.
  void DiscardPending();

  bool IsChangelogTopic(absl::string_view topic) const;
  // From a delivery report of a changelog record.
  void OnChangelogDelivered(const TopicPartitionOffset& position);

  // AttemptScope: the stores the transform touches during one attempt keep its writes
  // separate (a save point) and hold their changelog records until Commit.
  void Begin() override;
  void Rollback() override;
  absl::Status Commit() override;

  // Calls `fn` with every open partition store of `store`.
  absl::Status ForEachPartition(const std::string& store,
                                const std::function<absl::Status(state::KeyValueStore&)>& fn);

  // TransformContext.
  absl::StatusOr<state::KeyValueStore*> Store(absl::string_view name) override;
  const std::string& instance_id() const override { return options_.instance_id; }

  int64_t restored_records() const { return restored_records_.load(); }
  int64_t restore_ms() const { return restore_ms_.load(); }

 private:
  class RoutingStore;
  class Sink;
  // Where the checkpoint of one (store, partition) may move at the next commit.
  struct Progress {
    int64_t last_delivered = -1;  // highest changelog offset delivered since the commit
    // At-least-once only. There are no transactions to fence another writer of the same
    // changelog partition (a paused instance that resumes, or the partition's new owner while
    // this one is paused), so the checkpoint may only cover records this store applied: the
    // next offset expected if this store is the changelog partition's only writer, and whether
    // that stopped holding (a gap, or writes of a rolled-back unit that the store never
    // applied). Frozen until the store is reopened and restored.
    int64_t own_next = -1;
    bool frozen = false;
    int64_t produced_since_commit = 0;
  };
  struct Named {
    std::string changelog_topic;
    std::map<int32_t, std::unique_ptr<Sink>> sinks;
    std::map<int32_t, std::unique_ptr<state::PartitionStore>> partitions;
    std::map<int32_t, Progress> progress;
    std::unique_ptr<RoutingStore> routing;
    std::shared_ptr<state::CompactionPolicy> compaction;
  };

  absl::StatusOr<state::PartitionStore*> Current(const std::string& name);
  class RestoreSession;
  // Moves the unfinished targets of the restore under way (but those of `dropped` partition
  // numbers) into `to`, whose consumer starts anew from each store's checkpoint (replaying a
  // changelog prefix again yields the same store).
  void CarryOverRestore(RestoreSession& to, const std::set<int32_t>& dropped);
  absl::Status StartRestore();
  StableOffsetsFn stable_offsets_;
  // The client.id of the state's own Kafka clients (`what`: "restore", "state-admin").
  std::string ClientId(absl::string_view what) const;

  const ProcessorOptions options_;
  ProduceFn produce_;
  std::vector<std::string> store_names_;
  std::map<std::string, Named, std::less<>> stores_;
  std::unique_ptr<state::StateEnv> env_;
  std::optional<int32_t> current_;
  bool in_attempt_ = false;
  std::vector<state::PartitionStore*> touched_;  // stores in the open attempt
  std::unique_ptr<RestoreSession> restore_;
  std::atomic<int64_t> restored_records_{0};
  std::atomic<int64_t> restore_ms_{0};
};

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_STATE_MANAGER_H_
