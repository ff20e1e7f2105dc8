#include "runtime/dedupe_transform.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "onceflow/status_macros.h"

namespace onceflow::runtime {

absl::StatusOr<std::unique_ptr<DedupeTransform>> DedupeTransform::Create(
    state::DedupeOptions options, base::Clock& clock) {
  ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<state::Deduper> deduper,
                            state::Deduper::Create(std::move(options), clock));
  return std::make_unique<DedupeTransform>(std::move(deduper));
}

void DedupeTransform::AddStats(ProcessorStats& s) const {
  s.deduplicated = counters_.duplicates.load();
  s.dedupe_keyless = counters_.keyless.load();
  s.dedupe_expired = counters_.expired.load();
}

absl::Status DedupeTransform::Init(TransformContext& context) {
  ONCEFLOW_ASSIGN_OR_RETURN(store_, context.Store(kDedupeStore));
  return absl::OkStatus();
}

absl::Status DedupeTransform::Process(const Record& in, Emitter& out) {
  if (store_ == nullptr) return absl::FailedPreconditionError("dedupe: Init was not called");
  state::RecordView view;
  if (in.has_key()) view.key = in.key();
  if (in.has_value()) view.value = in.value();
  view.headers = in.headers();
  view.offset = in.offset().value();
  view.topic = in.topic();
  absl::StatusOr<state::Deduper::Verdict> verdict = deduper_->Check(view, *store_);
  if (!verdict.ok()) {
    // A value the key extractor cannot read never will be: permanent, for the error policy.
    if (verdict.status().code() == absl::StatusCode::kInvalidArgument) {
      return PermanentError(absl::StrCat("dedupe: ", verdict.status().message()));
    }
    return verdict.status();
  }
  if (*verdict != state::Deduper::Verdict::kDuplicate) out.Emit(OutputRecord::Forward(in));
  PublishCounters();  // live for /metrics; relaxed stores, cheap
  return absl::OkStatus();
}

void DedupeTransform::PublishCounters() {
  const state::DedupeCounters& c = deduper_->counters();
  counters_.seen.store(c.seen, std::memory_order_relaxed);
  counters_.passed.store(c.passed, std::memory_order_relaxed);
  counters_.duplicates.store(c.duplicates, std::memory_order_relaxed);
  counters_.keyless.store(c.keyless, std::memory_order_relaxed);
  counters_.expired.store(c.expired, std::memory_order_relaxed);
}

}  // namespace onceflow::runtime
