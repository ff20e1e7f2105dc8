#include "base/retry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace onceflow::base {

bool IsTransient(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

std::chrono::milliseconds BackoffFor(int attempt, std::chrono::milliseconds initial,
                                     std::chrono::milliseconds max) {
  if (attempt < 2) return std::chrono::milliseconds(0);
  const int shift = std::min(attempt - 2, 20);
  const int64_t ms = std::min<int64_t>(max.count(), initial.count() << shift);
  return std::chrono::milliseconds(std::max<int64_t>(0, ms));
}

absl::Status Annotate(absl::string_view prefix, const absl::Status& status) {
  if (status.ok() || prefix.empty()) return status;
  absl::Status out(status.code(), absl::StrCat(prefix, status.message()));
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

absl::Status RetryUntil(Clock::SteadyTime deadline, Clock& clock,
                        const std::function<absl::Status(int attempt)>& fn,
                        const RetrySettings& settings) {
  const Clock::SteadyTime started = clock.SteadyNow();
  for (int attempt = 1;; ++attempt) {
    absl::Status st = fn(attempt);
    if (st.ok()) return st;
    const bool retry = settings.retry_if ? settings.retry_if(st) : IsTransient(st);
    if (!retry) return st;
    const std::chrono::milliseconds wait =
        BackoffFor(attempt + 1, settings.initial_backoff, settings.max_backoff);
    if (clock.SteadyNow() + wait >= deadline) {
      const auto spent =
          std::chrono::duration_cast<std::chrono::milliseconds>(clock.SteadyNow() - started);
      return Annotate(absl::StrCat(settings.what.empty() ? "" : absl::StrCat(settings.what, ": "),
                                   "gave up after ", attempt, " attempt(s) in ", spent.count(),
                                   " ms: "),
                      st);
    }
    if (settings.cancelled && settings.cancelled()) {
      return absl::CancelledError(
          absl::StrCat(settings.what.empty() ? "retry" : settings.what, ": stopped while retrying (",
                       st.message(), ")"));
    }
    if (settings.on_retry) settings.on_retry(st, wait);
    clock.SleepFor(wait);
  }
}

}  // namespace onceflow::base
