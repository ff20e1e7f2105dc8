// The consumer group protocol's rules in kafka/guarded_properties.h: which librdkafka it needs
// (read at run time, so these tests check the branch of the library they run with: Debian 12's
// 2.0.2 under the default presets, upstream 2.14 under rdkafka-upstream), and which classic
// properties it does not take.
#include "kafka/guarded_properties.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kafka/config.h"

namespace onceflow::kafka {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Optional;

TEST(GroupProtocolTest, ConsumerNeedsLibrdkafka212) {
  const std::optional<std::string> why = GuaranteeConflict("group.protocol", "consumer", true);
  if (SupportsConsumerGroupProtocol()) {
    EXPECT_EQ(why, std::nullopt) << "librdkafka " << LibrdkafkaVersion();
    EXPECT_EQ(GuaranteeConflict("group.protocol", " Consumer ", false), std::nullopt);
  } else {
    EXPECT_THAT(why, Optional(AllOf(HasSubstr("KIP-848"), HasSubstr("2.12 or newer"),
                                    HasSubstr("runs librdkafka " + LibrdkafkaVersion()),
                                    HasSubstr("cooperative-sticky"))));
  }
}

TEST(GroupProtocolTest, ClassicIsAlwaysAcceptedAndOtherValuesNever) {
  EXPECT_EQ(GuaranteeConflict("group.protocol", "classic", true), std::nullopt);
  EXPECT_THAT(GuaranteeConflict("group.protocol", "eager", true),
              Optional(HasSubstr("must be classic or consumer, got 'eager'")));
}

struct ConflictCase {
  const char* name;
  Properties kafka;
  Properties consumer;
  // Empty: no conflict.
  const char* property;
  size_t map_index;
  const char* reason;
};

class ConsumerProtocolConflictTest : public ::testing::TestWithParam<ConflictCase> {};

TEST_P(ConsumerProtocolConflictTest, FindsWhatTheConsumerProtocolDoesNotTake) {
  const ConflictCase& c = GetParam();
  const std::optional<GroupProtocolConflict> got =
      ConsumerProtocolConflict({&c.kafka, &c.consumer});
  if (c.property[0] == '\0') {
    EXPECT_FALSE(got.has_value()) << got->name;
    return;
  }
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->name, c.property);
  EXPECT_EQ(got->map_index, c.map_index);
  EXPECT_THAT(got->reason, HasSubstr(c.reason));
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConsumerProtocolConflictTest,
    ::testing::Values(
        ConflictCase{"ConsumerAlone", {}, {{"group.protocol", "consumer"}}, "", 0, ""},
        ConflictCase{"ConsumerWithRemoteAssignor",
                     {},
                     {{"group.protocol", "consumer"}, {"group.remote.assignor", "uniform"}},
                     "",
                     0,
                     ""},
        ConflictCase{"ClassicWithAssignor",
                     {},
                     {{"partition.assignment.strategy", "cooperative-sticky"},
                      {"session.timeout.ms", "6000"}},
                     "",
                     0,
                     ""},
        ConflictCase{"ConsumerWithAssignor",
                     {},
                     {{"group.protocol", "consumer"},
                      {"partition.assignment.strategy", "cooperative-sticky"}},
                     "partition.assignment.strategy",
                     1,
                     "group.remote.assignor"},
        ConflictCase{"AssignorInTheCommonMap",
                     {{"partition.assignment.strategy", "range"}},
                     {{"group.protocol", "CONSUMER"}},
                     "partition.assignment.strategy",
                     0,
                     "has the broker assign partitions"},
        ConflictCase{"ProtocolInTheCommonMap",
                     {{"group.protocol", "consumer"}},
                     {{"session.timeout.ms", "6000"}},
                     "session.timeout.ms",
                     1,
                     "group.consumer.session.timeout.ms"},
        ConflictCase{"HeartbeatInterval",
                     {},
                     {{"group.protocol", "consumer"}, {"heartbeat.interval.ms", "1000"}},
                     "heartbeat.interval.ms",
                     1,
                     "group.consumer.heartbeat.interval.ms"},
        ConflictCase{"ProtocolType",
                     {},
                     {{"group.protocol", "consumer"}, {"group.protocol.type", "consumer"}},
                     "group.protocol.type",
                     1,
                     "classic protocol"},
        // The consumer's properties are both maps merged, the later winning.
        ConflictCase{"ClassicOverridesConsumer",
                     {{"group.protocol", "consumer"}},
                     {{"group.protocol", "classic"}, {"session.timeout.ms", "6000"}},
                     "",
                     0,
                     ""}),
    [](const ::testing::TestParamInfo<ConflictCase>& param) { return param.param.name; });

}  // namespace
}  // namespace onceflow::kafka
