#include "base/retry.h"

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "base/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::base {
namespace {

using ::onceflow::testing::IsOk;
using ::onceflow::testing::StatusIs;
using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::Optional;

constexpr char kPayloadUrl[] = "type.onceflow/test";

// A function failing with `error` for its first `failures` attempts, then succeeding; records
// the attempt numbers it was called with.
struct Flaky {
  int failures;
  absl::Status error;
  std::vector<int> attempts;

  absl::Status operator()(int attempt) {
    attempts.push_back(attempt);
    return static_cast<int>(attempts.size()) <= failures ? error : absl::OkStatus();
  }
};

TEST(RetryUntilTest, RetriesTransientErrorsWithCappedDoublingBackoff) {
  ManualClock clock;
  Flaky fn{.failures = 4, .error = absl::UnavailableError("broker down")};
  std::vector<int64_t> waits;
  const absl::Status st = RetryUntil(
      clock.SteadyNow() + std::chrono::minutes(1), clock, std::ref(fn),
      {.what = "connect",
       .initial_backoff = milliseconds(100),
       .max_backoff = milliseconds(350),
       .on_retry = [&](const absl::Status&, milliseconds wait) { waits.push_back(wait.count()); }});
  EXPECT_THAT(st, IsOk());
  EXPECT_THAT(fn.attempts, ElementsAre(1, 2, 3, 4, 5));
  EXPECT_THAT(waits, ElementsAre(100, 200, 350, 350));
  EXPECT_EQ(clock.slept_ms(), 1000);
}

TEST(RetryUntilTest, GivesUpAtTheDeadlineWithTheLastErrorItsCodeAndPayload) {
  ManualClock clock;
  absl::Status error = absl::UnavailableError("broker down");
  error.SetPayload(kPayloadUrl, absl::Cord("RD_KAFKA_RESP_ERR__TRANSPORT"));
  Flaky fn{.failures = 1000, .error = error};
  // Waits 100, 200, 400 end at 700 ms; the next (800) would end past the 1 s deadline, so it
  // is not started.
  const absl::Status st =
      RetryUntil(clock.SteadyNow() + milliseconds(1000), clock, std::ref(fn), {.what = "connect"});
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kUnavailable,
                           Eq("connect: gave up after 4 attempt(s) in 700 ms: broker down")));
  EXPECT_THAT(st.GetPayload(kPayloadUrl), Optional(absl::Cord("RD_KAFKA_RESP_ERR__TRANSPORT")));
  EXPECT_EQ(fn.attempts.size(), 4u);
  EXPECT_EQ(clock.slept_ms(), 700);
}

TEST(RetryUntilTest, DoesNotRetryAnErrorThatIsNotTransient) {
  ManualClock clock;
  Flaky fn{.failures = 1000, .error = absl::FailedPreconditionError("fenced")};
  const absl::Status st =
      RetryUntil(clock.SteadyNow() + std::chrono::minutes(1), clock, std::ref(fn));
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kFailedPrecondition, Eq("fenced")));
  EXPECT_EQ(fn.attempts.size(), 1u);
  EXPECT_EQ(clock.slept_ms(), 0);
}

TEST(RetryUntilTest, RetryIfChoosesWhatIsRetried) {
  ManualClock clock;
  Flaky fn{.failures = 2, .error = absl::AbortedError("abort the transaction")};
  const absl::Status st = RetryUntil(
      clock.SteadyNow() + std::chrono::minutes(1), clock, std::ref(fn),
      {.retry_if = [](const absl::Status& s) { return s.code() == absl::StatusCode::kAborted; }});
  EXPECT_THAT(st, IsOk());
  EXPECT_EQ(fn.attempts.size(), 3u);
}

TEST(RetryUntilTest, CancelledStopsBeforeTheNextWait) {
  ManualClock clock;
  Flaky fn{.failures = 1000, .error = absl::UnavailableError("broker down")};
  const absl::Status st =
      RetryUntil(clock.SteadyNow() + std::chrono::minutes(1), clock, std::ref(fn),
                 {.what = "connect", .cancelled = [&] { return fn.attempts.size() >= 2; }});
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kCancelled,
                           Eq("connect: stopped while retrying (broker down)")));
  EXPECT_EQ(fn.attempts.size(), 2u);
  EXPECT_EQ(clock.slept_ms(), 100);  // the one wait between attempts 1 and 2
}

TEST(RetryUntilTest, IsTransientFollowsTheStatusCodeGuide) {
  const struct {
    absl::Status status;
    bool transient;
  } kCases[] = {
      {absl::UnavailableError("x"), true},      {absl::DeadlineExceededError("x"), true},
      {absl::AbortedError("x"), false},         {absl::FailedPreconditionError("x"), false},
      {absl::InvalidArgumentError("x"), false}, {absl::OkStatus(), false},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(IsTransient(c.status), c.transient) << c.status;
  }
}

}  // namespace
}  // namespace onceflow::base
