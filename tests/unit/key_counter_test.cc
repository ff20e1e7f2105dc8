// The key_counter example under the TestDriver: stateful transforms get per-partition stores.
#include "examples/key_counter/key_counter.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onceflow/test_driver.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::examples {
namespace {

using ::onceflow::testing::IsOk;
using ::onceflow::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

std::vector<std::string> Values(const std::vector<TestOutput>& outputs) {
  std::vector<std::string> v;
  for (const TestOutput& o : outputs) v.push_back(o.value.value_or("<null>"));
  return v;
}

TEST(KeyCounterTest, CountsPerKeyAndPerPartition) {
  TestDriver driver(std::make_unique<KeyCounter>(), {.stores = {kCountsStore}});
  for (const char* key : {"a", "b", "a", "a"}) {
    ASSERT_THAT(driver.Pipe({.key = key, .value = "x"}), IsOk());
  }
  ASSERT_THAT(driver.Pipe({.key = "a", .value = "x", .partition = 1}), IsOk());
  EXPECT_THAT(Values(driver.outputs()), ElementsAre("a=1", "b=1", "a=2", "a=3", "a=1"));
  EXPECT_THAT(driver.StoreGet(kCountsStore, 0, "a"), IsOk());
  EXPECT_THAT(*driver.StoreGet(kCountsStore, 0, "a"), Optional(std::string("3")));
  EXPECT_THAT(*driver.StoreGet(kCountsStore, 1, "a"), Optional(std::string("1")));
  EXPECT_EQ(*driver.StoreGet(kCountsStore, 1, "b"), std::nullopt);
}

TEST(KeyCounterTest, RecordWithoutKeyIsAPermanentError) {
  TestDriver driver(std::make_unique<KeyCounter>(),
                    {.errors = {.policy = ErrorPolicy::kDeadLetter, .dead_letter_topic = "dlq"},
                     .stores = {kCountsStore}});
  ASSERT_THAT(driver.Pipe({.value = "no key"}), IsOk());
  ASSERT_EQ(driver.dead_letters().size(), 1u);
  EXPECT_THAT(driver.dead_letters()[0].header("error-class"), Optional(std::string("permanent")));
  EXPECT_TRUE(driver.outputs().empty());
}

// A stage after the counter that fails each record's first attempt transiently: the retry
// must not count the record again (an attempt's state writes go with its outputs).
class FailsFirstAttempt : public Transform {
 public:
  absl::Status Process(const Record& in, Emitter& out) override {
    if (seen_.insert(std::string(in.value())).second) {
      return absl::UnavailableError("first attempt fails");
    }
    out.Emit(OutputRecord::Forward(in));
    return absl::OkStatus();
  }
  std::string name() const override { return "fails_first_attempt"; }

 private:
  std::set<std::string> seen_;
};

TEST(KeyCounterTest, ARetriedRecordIsCountedOnce) {
  TestDriver driver(Chain(std::make_unique<KeyCounter>(), std::make_unique<FailsFirstAttempt>()),
                    {.stores = {kCountsStore}});
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(driver.Pipe({.key = "a", .value = absl::StrCat("v", i)}), IsOk());
  }
  EXPECT_EQ(driver.retries(), 3);
  EXPECT_THAT(Values(driver.outputs()), ElementsAre("a=1", "a=2", "a=3"));
  EXPECT_THAT(*driver.StoreGet(kCountsStore, 0, "a"), Optional(std::string("3")));
}

// A record that ends under skip or dead-letter leaves no state behind: its count is undone.
TEST(KeyCounterTest, ARecordThatFailsAfterCountingLeavesNoCount) {
  for (const ErrorPolicy policy : {ErrorPolicy::kSkip, ErrorPolicy::kDeadLetter}) {
    auto reject = FlatMap([](const Record& in, Emitter& out) -> absl::Status {
      if (in.header("bad").has_value()) return PermanentError("rejected after counting");
      out.Emit(OutputRecord::Forward(in));
      return absl::OkStatus();
    });
    TestDriver driver(Chain(std::make_unique<KeyCounter>(), std::move(reject)),
                      {.errors = {.policy = policy, .dead_letter_topic = "dlq"},
                       .stores = {kCountsStore}});
    ASSERT_THAT(driver.Pipe({.key = "a", .value = "ok"}), IsOk());
    ASSERT_THAT(driver.Pipe({.key = "a", .value = "x", .headers = {{"bad", "1"}}}), IsOk());
    ASSERT_THAT(driver.Pipe({.key = "a", .value = "ok"}), IsOk());
    EXPECT_THAT(Values(driver.outputs()), ElementsAre("a=1", "a=2"));
    EXPECT_THAT(*driver.StoreGet(kCountsStore, 0, "a"), Optional(std::string("2")));
  }
}

TEST(KeyCounterTest, UndeclaredStoreFailsAtInit) {
  TestDriver driver(std::make_unique<KeyCounter>());  // no stores declared
  EXPECT_THAT(driver.Pipe({.key = "a", .value = "x"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("counts")));
}

}  // namespace
}  // namespace onceflow::examples
