// Dedupe in front of a transform that fails transiently: the retry re-runs the dedupe stage,
// which must not take the entry its own first attempt wrote for an upstream duplicate.
#include "base/clock.h"
#include "runtime/dedupe_transform.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onceflow/test_driver.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::runtime {
namespace {

using ::onceflow::testing::IsOk;
using ::testing::ElementsAre;

class FixedClock : public base::Clock {
 public:
  int64_t NowMs() override { return 1'700'000'000'000; }
  SteadyTime SteadyNow() override { return SteadyTime(); }
  void SleepFor(std::chrono::milliseconds) override {}
};

TEST(DedupeTransformTest, TransientRetriesDoNotTurnARecordIntoItsOwnDuplicate) {
  FixedClock clock;
  state::DedupeOptions options;  // key = record key, 24 h
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<DedupeTransform> dedupe,
                       DedupeTransform::Create(options, clock));
  DedupeTransform* counters = dedupe.get();
  // Fails the first attempt of every record, transiently.
  auto flaky = std::make_shared<std::set<int64_t>>();
  auto second_attempt = Map([flaky](const Record& r) -> absl::StatusOr<OutputRecord> {
    if (flaky->insert(r.offset().value()).second) return TransientError("not yet");
    return OutputRecord::Forward(r);
  });
  TestDriver driver(Chain(std::move(dedupe), std::move(second_attempt)),
                    {.errors = {.policy = ErrorPolicy::kDeadLetter, .dead_letter_topic = "dlq"},
                     .stores = {kDedupeStore}});
  for (const char* key : {"a", "b", "a", "c"}) {
    ASSERT_THAT(driver.Pipe({.key = key, .value = key}), IsOk());
  }
  std::vector<std::string> keys;
  for (const TestOutput& o : driver.outputs()) keys.push_back(*o.key);
  EXPECT_THAT(keys, ElementsAre("a", "b", "c"));  // the upstream duplicate "a" dropped
  EXPECT_TRUE(driver.dead_letters().empty());
  EXPECT_EQ(driver.retries(), 3);  // a, b, c each retried once; the duplicate never reached it
  EXPECT_EQ(counters->counters().duplicates.load(), 1);
}

// A record that fails and is dead-lettered leaves no state behind, its dedupe key included
// (docs/sidecar.md said the opposite until the attempts became all or nothing): a re-send of
// the same id is processed again, and dead-lettered again if it fails again.
TEST(DedupeTransformTest, ADeadLetteredRecordsKeyIsNotRemembered) {
  FixedClock clock;
  state::DedupeOptions options;  // key = record key
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<DedupeTransform> dedupe,
                       DedupeTransform::Create(options, clock));
  auto refuse_bad = Map([](const Record& r) -> absl::StatusOr<OutputRecord> {
    if (r.value() == "bad") return PermanentError("bad value");
    return OutputRecord::Forward(r);
  });
  TestDriver driver(Chain(std::move(dedupe), std::move(refuse_bad)),
                    {.errors = {.policy = ErrorPolicy::kDeadLetter, .dead_letter_topic = "dlq"},
                     .stores = {kDedupeStore}});
  ASSERT_THAT(driver.Pipe({.key = "a", .value = "bad"}), IsOk());
  ASSERT_THAT(driver.Pipe({.key = "a", .value = "bad"}), IsOk());   // not dropped: failed again
  ASSERT_THAT(driver.Pipe({.key = "a", .value = "good"}), IsOk());  // a corrected re-send passes
  ASSERT_THAT(driver.Pipe({.key = "a", .value = "good"}), IsOk());  // now a duplicate
  EXPECT_EQ(driver.dead_letters().size(), 2u);
  ASSERT_EQ(driver.outputs().size(), 1u);
  EXPECT_EQ(driver.outputs()[0].value, "good");
}

}  // namespace
}  // namespace onceflow::runtime
