#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kafka/config.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::kafka {
namespace {

using ::onceflow::testing::IsOk;
using ::onceflow::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(MakeConfTest, SetsEveryProperty) {
  ASSERT_OK_AND_ASSIGN(ConfPtr conf,
                       MakeConf({{"bootstrap.servers", "127.0.0.1:1"}, {"linger.ms", "7"}}));
  char value[64];
  size_t size = sizeof(value);
  ASSERT_EQ(rd_kafka_conf_get(conf.get(), "linger.ms", value, &size), RD_KAFKA_CONF_OK);
  EXPECT_STREQ(value, "7");
}

TEST(MakeConfTest, UnknownPropertyNamesTheKey) {
  EXPECT_THAT(MakeConf({{"no.such.property", "1"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("no.such.property"), HasSubstr("\"1\""))));
}

TEST(MakeConfTest, BadValueNamesKeyAndValue) {
  EXPECT_THAT(MakeConf({{"linger.ms", "soon"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("linger.ms"), HasSubstr("soon"))));
}

TEST(MakeConfTest, SecretValuesAreNeverShown) {
  // sasl.password is a valid property; an invalid enum value for a secret-looking key shows
  // how errors print (the value is redacted even when librdkafka rejects it).
  EXPECT_THAT(MakeConf({{"ssl.key.password.nonexistent", "hunter2"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("<redacted>"), Not(HasSubstr("hunter2")))));
}

TEST(IsSecretPropertyTest, Table) {
  EXPECT_TRUE(IsSecretProperty("sasl.password"));
  EXPECT_TRUE(IsSecretProperty("ssl.key.password"));
  EXPECT_TRUE(IsSecretProperty("sasl.jaas.config"));
  EXPECT_TRUE(IsSecretProperty("sasl.oauthbearer.client.secret"));
  EXPECT_FALSE(IsSecretProperty("bootstrap.servers"));
  EXPECT_FALSE(IsSecretProperty("linger.ms"));
}

TEST(MergeTest, OverridesWin) {
  Properties merged = Merge({{"a", "1"}, {"b", "2"}}, {{"b", "3"}, {"c", "4"}});
  EXPECT_EQ(merged, (Properties{{"a", "1"}, {"b", "3"}, {"c", "4"}}));
}

}  // namespace
}  // namespace onceflow::kafka
