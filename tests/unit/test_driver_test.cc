#include "onceflow/test_driver.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onceflow/processor_options.h"
#include "onceflow/record.h"
#include "onceflow/transform.h"
#include "runtime/record_processor.h"
#include "tests/testing/status_matchers.h"

namespace onceflow {
namespace {

using ::onceflow::testing::IsOk;
using ::onceflow::testing::StatusIs;
using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

constexpr int64_t kStart = 1'700'000'000'000;

// Upper-cases the value and reports the position and timestamp it saw in headers.
std::unique_ptr<Transform> UpperWithPosition() {
  return Map([](const Record& r) {
    return OutputRecord::Forward(r)
        .SetValue(absl::AsciiStrToUpper(r.value()))
        .AddHeader("seen", absl::StrCat(r.topic(), "/", r.partition().value(), "@",
                                        r.offset().value(), " t=", r.timestamp_ms()));
  });
}

// Fails values "bad" permanently, values "flaky" transiently, forwards the rest.
std::unique_ptr<Transform> Picky() {
  return Map([](const Record& r) -> absl::StatusOr<OutputRecord> {
    if (r.value() == "bad") return PermanentError("bad value");
    if (r.value() == "flaky") return TransientError("downstream unavailable");
    return OutputRecord::Forward(r);
  });
}

TestDriverOptions WithPolicy(ErrorPolicy policy) {
  TestDriverOptions options;
  options.errors.policy = policy;
  options.errors.dead_letter_topic = "dlq";
  options.errors.retry.max_attempts = 3;
  return options;
}

TEST(TestDriverTest, MapOutputsWithAutoOffsetsAndClockTimestamps) {
  TestDriver driver(UpperWithPosition());
  EXPECT_EQ(driver.now_ms(), kStart);
  ASSERT_THAT(driver.Pipe({.key = "k1", .value = "hello", .headers = {{"h", "1"}}}), IsOk());
  driver.AdvanceClock(milliseconds(250));
  ASSERT_THAT(driver.Pipe({.key = std::nullopt, .value = "world"}), IsOk());
  ASSERT_THAT(driver.Pipe({.value = "other", .partition = 1}), IsOk());
  ASSERT_THAT(driver.Pipe({.value = "explicit", .offset = 40, .timestamp_ms = 7}), IsOk());
  ASSERT_THAT(driver.Pipe({.value = "after"}), IsOk());

  const std::vector<TestOutput>& out = driver.outputs();
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].topic, "output");
  EXPECT_EQ(out[0].partition, -1);
  EXPECT_EQ(out[0].key, "k1");
  EXPECT_EQ(out[0].value, "HELLO");
  EXPECT_EQ(out[0].timestamp_ms, kStart);
  EXPECT_THAT(out[0].headers,
              ElementsAre(Pair("h", "1"), Pair("seen", absl::StrCat("input/0@0 t=", kStart))));
  EXPECT_EQ(out[1].key, std::nullopt);
  EXPECT_EQ(out[1].header("seen"), absl::StrCat("input/0@1 t=", kStart + 250));
  EXPECT_EQ(out[2].header("seen"), absl::StrCat("input/1@0 t=", kStart + 250));  // own counter
  EXPECT_EQ(out[3].header("seen"), "input/0@40 t=7");
  EXPECT_EQ(out[4].header("seen"), absl::StrCat("input/0@41 t=", kStart + 250));
  EXPECT_THAT(driver.dead_letters(), IsEmpty());
  EXPECT_THAT(driver.failures(), IsEmpty());
  EXPECT_EQ(driver.retries(), 0);
  EXPECT_EQ(driver.total_backoff(), milliseconds(0));
}

TEST(TestDriverTest, OutputsByTopic) {
  auto fan_out = FlatMap([](const Record& r, Emitter& out) {
    out.Emit(OutputRecord::Forward(r));
    out.Emit(OutputRecord::Forward(r).SetTopic("audit").SetPartition(Partition(3)));
    return absl::OkStatus();
  });
  TestDriver driver(std::move(fan_out));
  ASSERT_THAT(driver.Pipe({.value = "a"}), IsOk());
  ASSERT_THAT(driver.Pipe({.value = "b"}), IsOk());
  ASSERT_EQ(driver.outputs().size(), 4u);
  std::vector<TestOutput> audit = driver.outputs("audit");
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].value, "a");
  EXPECT_EQ(audit[0].partition, 3);
  EXPECT_EQ(audit[1].value, "b");
  EXPECT_EQ(driver.outputs("output").size(), 2u);
  EXPECT_THAT(driver.outputs("nowhere"), IsEmpty());
}

TEST(TestDriverTest, NullValueStaysNull) {
  TestDriver driver(Passthrough());
  ASSERT_THAT(driver.Pipe({.key = "k", .value = std::nullopt}), IsOk());
  ASSERT_EQ(driver.outputs().size(), 1u);
  EXPECT_EQ(driver.outputs()[0].key, "k");
  EXPECT_EQ(driver.outputs()[0].value, std::nullopt);
}

TEST(TestDriverTest, DeadLetterPolicy) {
  TestDriverOptions options = WithPolicy(ErrorPolicy::kDeadLetter);
  options.instance_id = "driver-1";
  TestDriver driver(Picky(), options);
  ASSERT_THAT(driver.Pipe({.key = "k", .value = "ok"}), IsOk());
  driver.AdvanceClock(milliseconds(1000));
  ASSERT_THAT(
      driver.Pipe({.key = "k", .value = "bad", .headers = {{"trace", "t9"}}, .partition = 4}),
      IsOk());
  ASSERT_THAT(driver.Pipe({.key = "k", .value = "ok2"}), IsOk());

  ASSERT_EQ(driver.outputs().size(), 2u);  // dead letters are not outputs
  EXPECT_EQ(driver.outputs()[0].value, "ok");
  EXPECT_EQ(driver.outputs()[1].value, "ok2");
  ASSERT_EQ(driver.dead_letters().size(), 1u);
  const TestOutput& dl = driver.dead_letters()[0];
  EXPECT_EQ(dl.topic, "dlq");
  EXPECT_EQ(dl.key, "k");
  EXPECT_EQ(dl.value, "bad");
  const std::string at = absl::StrCat(kStart + 1000);
  EXPECT_THAT(dl.headers,
              ElementsAre(Pair("trace", "t9"), Pair("original-topic", "input"),
                          Pair("original-partition", "4"), Pair("original-offset", "0"),
                          Pair("original-timestamp", at), Pair("error-class", "permanent"),
                          Pair("error-message", "bad value"), Pair("retry-count", "0"),
                          Pair("failed-at", at), Pair("instance-id", "driver-1")));
  ASSERT_EQ(driver.failures().size(), 1u);
  const TestFailure& f = driver.failures()[0];
  EXPECT_EQ(f.input.value, "bad");
  EXPECT_EQ(f.input.offset, 0);  // the assigned offset
  EXPECT_EQ(f.input.timestamp_ms, kStart + 1000);
  EXPECT_EQ(f.applied, ErrorPolicy::kDeadLetter);
  EXPECT_EQ(f.attempts, 1);
  EXPECT_THAT(f.error, StatusIs(absl::StatusCode::kInvalidArgument, "bad value"));
}

TEST(TestDriverTest, SkipPolicy) {
  TestDriver driver(Picky(), WithPolicy(ErrorPolicy::kSkip));
  ASSERT_THAT(driver.Pipe({.value = "bad"}), IsOk());
  ASSERT_THAT(driver.Pipe({.value = "flaky"}), IsOk());
  ASSERT_THAT(driver.Pipe({.value = "ok"}), IsOk());
  ASSERT_EQ(driver.outputs().size(), 1u);
  EXPECT_EQ(driver.outputs()[0].value, "ok");
  EXPECT_THAT(driver.dead_letters(), IsEmpty());
  ASSERT_EQ(driver.failures().size(), 2u);
  EXPECT_EQ(driver.failures()[0].applied, ErrorPolicy::kSkip);
  EXPECT_EQ(driver.failures()[0].attempts, 1);
  EXPECT_EQ(driver.failures()[1].applied, ErrorPolicy::kSkip);
  EXPECT_EQ(driver.failures()[1].attempts, 3);
  EXPECT_THAT(driver.failures()[1].error,
              StatusIs(absl::StatusCode::kUnavailable, "downstream unavailable"));
  EXPECT_EQ(driver.retries(), 2);
  // Default seed: 82 ms then 187 ms (see record_processor_test.cc).
  EXPECT_EQ(driver.total_backoff(), milliseconds(82 + 187));
  EXPECT_EQ(driver.now_ms(), kStart + 82 + 187);
}

TEST(TestDriverTest, TransientThenSuccess) {
  int calls = 0;
  auto flaky_twice = Map([&calls](const Record& r) -> absl::StatusOr<OutputRecord> {
    if (++calls <= 2) return TransientError("not yet");
    return OutputRecord::Forward(r);
  });
  TestDriverOptions options = WithPolicy(ErrorPolicy::kFail);
  options.errors.retry.max_attempts = 5;
  TestDriver driver(std::move(flaky_twice), options);
  ASSERT_THAT(driver.Pipe({.value = "v"}), IsOk());
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(driver.outputs().size(), 1u);
  EXPECT_THAT(driver.failures(), IsEmpty());
  EXPECT_EQ(driver.retries(), 2);
  EXPECT_EQ(driver.total_backoff(), milliseconds(82 + 187));
  // The output was stamped with the input's time, before the backoff waits.
  EXPECT_EQ(driver.outputs()[0].timestamp_ms, kStart);
}

TEST(TestDriverTest, StopsAfterFailPolicy) {
  TestDriver driver(Picky(), WithPolicy(ErrorPolicy::kFail));
  ASSERT_THAT(driver.Pipe({.value = "ok"}), IsOk());
  EXPECT_THAT(driver.Pipe({.value = "bad"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "bad value"));
  EXPECT_THAT(driver.Pipe({.value = "ok"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("test driver stopped after a failure under ErrorPolicy::kFail: "
                                 "INVALID_ARGUMENT: bad value")));
  ASSERT_EQ(driver.outputs().size(), 1u);  // nothing after the failure
  ASSERT_EQ(driver.failures().size(), 1u);
  EXPECT_EQ(driver.failures()[0].applied, ErrorPolicy::kFail);
  EXPECT_EQ(driver.failures()[0].input.value, "bad");
}

TEST(TestDriverTest, DefaultPolicyIsFail) {
  TestDriver driver(Picky());
  EXPECT_THAT(driver.Pipe({.value = "flaky"}),
              StatusIs(absl::StatusCode::kUnavailable, "downstream unavailable"));
  EXPECT_EQ(driver.failures().at(0).attempts, 5);  // RetryOptions' default
  EXPECT_EQ(driver.retries(), 4);
}

TEST(TestDriverTest, OutputHeaderLookupLastWins) {
  TestOutput out;
  out.headers = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
  EXPECT_EQ(out.header("a"), "3");
  EXPECT_EQ(out.header("b"), "2");
  EXPECT_EQ(out.header("c"), std::nullopt);
}

}  // namespace
}  // namespace onceflow
