// DedupeTransform: drops records whose idempotency key was seen inside the window, using the
// "dedupe" store of the record's partition; forwards the rest unchanged (zero copy).
// Extraction errors (unparsable JSON or protobuf) are permanent errors, so the error policy
// applies to those records.
#ifndef ONCEFLOW_RUNTIME_DEDUPE_TRANSFORM_H_
#define ONCEFLOW_RUNTIME_DEDUPE_TRANSFORM_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "base/clock.h"
#include "onceflow/transform.h"
#include "runtime/commit_participant.h"
#include "state/dedupe.h"

namespace onceflow::runtime {

inline constexpr char kDedupeStore[] = "dedupe";

class DedupeTransform : public Transform, public CommitParticipant {
 public:
  static absl::StatusOr<std::unique_ptr<DedupeTransform>> Create(state::DedupeOptions options,
                                                                 base::Clock& clock);

  absl::Status Init(TransformContext& context) override;
  absl::Status Process(const Record& in, Emitter& out) override;
  std::string name() const override { return "dedupe"; }

  // The compaction policy the "dedupe" stores must be opened with: expiry (see state/dedupe.h).
  std::shared_ptr<state::CompactionPolicy> compaction_policy() const {
    return deduper_->compaction_policy();
  }

  // CommitParticipant: counters.
  absl::Status BeforeCommit(StateManager&) override { return absl::OkStatus(); }
  void AfterCommit() override { PublishCounters(); }
  void AddStats(ProcessorStats& stats) const override;
  // Counters, safe to read from any thread.
  struct Counters {
    std::atomic<int64_t> seen{0}, passed{0}, duplicates{0}, keyless{0}, expired{0};
  };
  const Counters& counters() const { return counters_; }
  // Copies the deduper's counters into counters() (processing thread).
  void PublishCounters();

  explicit DedupeTransform(std::unique_ptr<state::Deduper> deduper)
      : deduper_(std::move(deduper)) {}

 private:
  std::unique_ptr<state::Deduper> deduper_;
  state::KeyValueStore* store_ = nullptr;
  Counters counters_;
};

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_DEDUPE_TRANSFORM_H_
