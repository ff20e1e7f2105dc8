// DedupeTransform: drops records whose idempotency key was seen inside the window, using the
// "dedupe" store of the record's partition; forwards the rest unchanged (zero copy).
// Extraction errors (unparsable JSON or protobuf) are permanent errors, so the error policy
// applies to those records.
#ifndef ONCEFLOW_RUNTIME_DEDUPE_TRANSFORM_H_
#define ONCEFLOW_RUNTIME_DEDUPE_TRANSFORM_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/clock.h"
#include "onceflow/transform.h"
#include "runtime/commit_participant.h"
#include "state/dedupe.h"

namespace onceflow::runtime {

inline constexpr char kDedupeStore[] = "dedupe";

// Expiry at commit points (CommitParticipant): every `interval`, each partition's entries
// outside the window are removed (tombstones in the changelog, inside the open transaction),
// at most `max_per_partition` per partition and commit; a backlog continues at the next commit.
struct DedupeExpiryOptions {
  // How often expiry runs. Default: 10 s.
  std::chrono::milliseconds interval{10000};
  // At most this many entries removed per partition per commit, so a backlog (after downtime
  // longer than the window) never makes one transaction too large to commit. Default: 10000.
  int64_t max_per_partition = 10000;
};

class DedupeTransform : public Transform, public CommitParticipant {
 public:
  static absl::StatusOr<std::unique_ptr<DedupeTransform>> Create(state::DedupeOptions options,
                                                                 base::Clock& clock,
                                                                 DedupeExpiryOptions expiry = {});

  absl::Status Init(TransformContext& context) override;
  absl::Status Process(const Record& in, Emitter& out) override;
  std::string name() const override { return "dedupe"; }

  // Removes up to `limit` expired entries from `store` (one partition's dedupe store).
  absl::StatusOr<int64_t> Expire(state::KeyValueStore& store, int64_t limit = INT64_MAX) {
    return deduper_->Expire(store, limit);
  }

  // CommitParticipant: expiry when due (a store read error is logged and retried at the next
  // interval: it says nothing about the records, and the next read of that store fails the
  // record that meets it); counters.
  absl::Status BeforeCommit(StateManager& state) override;
  void AfterCommit() override { PublishCounters(); }
  void AddStats(ProcessorStats& stats) const override;
  // Counters, safe to read from any thread.
  struct Counters {
    std::atomic<int64_t> seen{0}, passed{0}, duplicates{0}, keyless{0}, expired{0};
  };
  const Counters& counters() const { return counters_; }
  // Copies the deduper's counters into counters() (processing thread).
  void PublishCounters();

  DedupeTransform(std::unique_ptr<state::Deduper> deduper, base::Clock& clock,
                  DedupeExpiryOptions expiry)
      : deduper_(std::move(deduper)), clock_(clock), expiry_(expiry),
        last_expiry_(clock.SteadyNow()) {}

 private:
  std::unique_ptr<state::Deduper> deduper_;
  base::Clock& clock_;
  const DedupeExpiryOptions expiry_;
  base::Clock::SteadyTime last_expiry_;
  bool backlog_ = false;  // the last expiry stopped at its limit
  state::KeyValueStore* store_ = nullptr;
  Counters counters_;
};

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_DEDUPE_TRANSFORM_H_
