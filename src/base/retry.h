// RetryUntil: the one retry loop. Calls a function until it succeeds, fails with an error that
// is not worth retrying, or the deadline passes, sleeping on the injected clock between
// attempts with capped exponential backoff.
//
//   ONCEFLOW_RETURN_IF_ERROR(base::RetryUntil(
//       clock.SteadyNow() + std::chrono::seconds(60), clock,
//       [&](int attempt) { return producer.InitTransactions(timeout); },
//       {.what = "init_transactions", .on_retry = LogRetry}));
//
// The last error is returned when the deadline passes (with its code and payloads; the
// message is prefixed with how long it was retried), so callers still see what failed.
#ifndef ONCEFLOW_BASE_RETRY_H_
#define ONCEFLOW_BASE_RETRY_H_

#include <chrono>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "base/clock.h"

namespace onceflow::base {

// Transient by the Abseil guide: kUnavailable (retry the call), kDeadlineExceeded (it timed
// out; retrying is safe for the calls onceflow retries).
bool IsTransient(const absl::Status& status);

struct RetrySettings {
  // Names the operation in the message returned when the deadline passes.
  std::string what;
  // Backoff before the 2nd attempt; doubles up to max_backoff. Defaults: 100 ms, 5 s.
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  // Which errors are retried. Default: IsTransient.
  std::function<bool(const absl::Status&)> retry_if;
  // Called before each wait with the error and the wait (e.g. to log a warning). Optional.
  std::function<void(const absl::Status&, std::chrono::milliseconds)> on_retry;
  // Checked before each wait: true = give up now with kCancelled. Optional.
  std::function<bool()> cancelled;
};

// The wait before attempt `attempt` (attempt 1 has none), without jitter.
std::chrono::milliseconds BackoffFor(int attempt, std::chrono::milliseconds initial,
                                     std::chrono::milliseconds max);

// Runs `fn(attempt)` (attempt counts from 1) as described above. A wait that would end past
// the deadline is not started: the last error is returned instead.
absl::Status RetryUntil(Clock::SteadyTime deadline, Clock& clock,
                        const std::function<absl::Status(int attempt)>& fn,
                        const RetrySettings& settings = {});

// The same status with `prefix` before its message; code and payloads kept.
absl::Status Annotate(absl::string_view prefix, const absl::Status& status);

}  // namespace onceflow::base

#endif  // ONCEFLOW_BASE_RETRY_H_
