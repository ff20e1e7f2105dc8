// GoogleTest matchers and assertions for absl::Status / absl::StatusOr (Debian's Abseil
// 20220623 ships none).
//
//   EXPECT_THAT(DoIt(), IsOk());
//   EXPECT_THAT(Parse("x"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 3")));
//   EXPECT_THAT(store->Get("a"), IsOkAndHolds(Optional(std::string("1"))));
//   ASSERT_OK_AND_ASSIGN(auto admin, kafka::Admin::Create(props));
#ifndef ONCEFLOW_TESTS_TESTING_STATUS_MATCHERS_H_
#define ONCEFLOW_TESTS_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onceflow::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const absl::Status& status = GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status;
  return status.ok();
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + std::string(absl::StatusCodeToString(code))) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(status.message()),
                                       result_listener);
}

// A StatusOr that is OK and holds a value matching `matcher`.
MATCHER_P(IsOkAndHolds, matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(matcher, arg.value(), result_listener);
}

}  // namespace onceflow::testing

#define ONCEFLOW_TESTING_CONCAT_INNER_(a, b) a##b
#define ONCEFLOW_TESTING_CONCAT_(a, b) ONCEFLOW_TESTING_CONCAT_INNER_(a, b)

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::onceflow::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::onceflow::testing::IsOk())

// Asserts that `rexpr` (a StatusOr) is OK and moves its value into `lhs`.
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(ONCEFLOW_TESTING_CONCAT_(statusor_, __LINE__), lhs, rexpr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr)       \
  auto statusor = (rexpr);                                     \
  ASSERT_THAT(statusor.status(), ::onceflow::testing::IsOk()); \
  lhs = std::move(statusor).value()

#endif  // ONCEFLOW_TESTS_TESTING_STATUS_MATCHERS_H_
