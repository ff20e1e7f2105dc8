#include "onceflow/status_macros.h"

#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onceflow/kafka_types.h"
#include "tests/testing/status_matchers.h"

namespace onceflow {
namespace {

using ::onceflow::testing::IsOk;
using ::onceflow::testing::StatusIs;
using ::testing::HasSubstr;

absl::StatusOr<std::unique_ptr<int>> MakeInt(bool ok) {
  if (!ok) return absl::InvalidArgumentError("no int");
  return std::make_unique<int>(7);
}

absl::StatusOr<int> Doubled(bool ok, int* calls) {
  ++*calls;
  ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<int> value, MakeInt(ok));  // move-only works
  return *value * 2;
}

absl::Status Chain(absl::Status first, int* reached) {
  ONCEFLOW_RETURN_IF_ERROR(first);
  ++*reached;
  return absl::OkStatus();
}

TEST(StatusMacrosTest, AssignOrReturn) {
  int calls = 0;
  ASSERT_OK_AND_ASSIGN(int v, Doubled(true, &calls));
  EXPECT_EQ(v, 14);
  EXPECT_THAT(Doubled(false, &calls),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no int")));
  EXPECT_EQ(calls, 2);
}

TEST(StatusMacrosTest, ReturnIfError) {
  int reached = 0;
  EXPECT_THAT(Chain(absl::OkStatus(), &reached), IsOk());
  EXPECT_THAT(Chain(absl::UnavailableError("down"), &reached),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("down")));
  EXPECT_EQ(reached, 1);
}

TEST(KafkaTypesTest, StrongTypesCompareAndPrint) {
  EXPECT_LT(Offset(3), Offset(4));
  EXPECT_TRUE(Offset::Beginning().is_logical());
  EXPECT_FALSE(Offset(0).is_logical());
  EXPECT_EQ(Partition::Any().value(), -1);
  TopicPartition a{"t", Partition(1)};
  TopicPartition b{"t", Partition(2)};
  EXPECT_LT(a, b);
  std::ostringstream os;
  os << TopicPartitionOffset{a, Offset(9)};
  EXPECT_EQ(os.str(), "t[1]@9");
}

}  // namespace
}  // namespace onceflow
