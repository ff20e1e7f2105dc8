// kafka::ParseStatistics on librdkafka's own statistics documents: tests/unit/testdata holds
// two emissions captured from librdkafka 2.0.2 against a local broker (a read_committed
// consumer in a group, a transactional producer; statistics.interval.ms=500), with the
// per-broker request histograms onceflow does not read cut out.
#include <string>

#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kafka/stats_callback.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::kafka {
namespace {

using ::onceflow::testing::StatusIs;
using ::testing::_;
using ::testing::AllOf;
using ::testing::DoubleEq;
using ::testing::ElementsAre;
using ::testing::Field;

std::string Fixture(const std::string& name) {
  absl::StatusOr<std::string> text =
      base::ReadFile(absl::StrCat(ONCEFLOW_SOURCE_DIR, "/tests/unit/testdata/", name));
  EXPECT_TRUE(text.ok()) << text.status();
  return text.value_or("");
}

TEST(ParseStatisticsTest, ConsumerSample) {
  ASSERT_OK_AND_ASSIGN(KafkaClientStatistics s,
                       ParseStatistics(Fixture("librdkafka_stats_consumer.json")));
  EXPECT_EQ(s.client, "consumer");
  EXPECT_EQ(s.queue_messages, 0);
  EXPECT_EQ(s.queue_bytes, 0);
  // The broker with one round trip in the interval, microseconds as seconds; the group
  // coordinator's connection had none and is left out.
  ASSERT_EQ(s.brokers.size(), 1u);
  EXPECT_EQ(s.brokers[0].name, "127.0.0.1:45092/1");
  EXPECT_THAT(s.brokers[0].rtt_avg_seconds, DoubleEq(0.471394));
  EXPECT_THAT(s.brokers[0].rtt_p99_seconds, DoubleEq(0.473087));
}

TEST(ParseStatisticsTest, ProducerSampleWithNoRoundTripInItsInterval) {
  ASSERT_OK_AND_ASSIGN(KafkaClientStatistics s,
                       ParseStatistics(Fixture("librdkafka_stats_producer.json")));
  EXPECT_EQ(s.client, "producer");
  EXPECT_TRUE(s.brokers.empty());
}

TEST(ParseStatisticsTest, QueuesLogicalAndInternalBrokers) {
  ASSERT_OK_AND_ASSIGN(KafkaClientStatistics s, ParseStatistics(R"({
    "type": "producer", "msg_cnt": 12, "msg_size": 3400, "unknown": [1, {"x": null}],
    "brokers": {
      ":0/internal": {"name": ":0/internal", "source": "internal",
                      "rtt": {"avg": 5, "p99": 9, "cnt": 3}},
      "TxnCoordinator": {"name": "TxnCoordinator", "source": "logical",
                         "rtt": {"avg": 1500, "p99": 250000, "cnt": 2}},
      "b/2": {"source": "learned", "rtt": {"avg": 100, "p99": 200}}
    }})"));
  EXPECT_EQ(s.queue_messages, 12);
  EXPECT_EQ(s.queue_bytes, 3400);
  EXPECT_THAT(s.brokers,
              ElementsAre(AllOf(Field(&KafkaBrokerStatistics::name, "TxnCoordinator"),
                                Field(&KafkaBrokerStatistics::rtt_avg_seconds, DoubleEq(0.0015)),
                                Field(&KafkaBrokerStatistics::rtt_p99_seconds, DoubleEq(0.25)))));
}

TEST(ParseStatisticsTest, AConsumersQueueIsItsFetchQueues) {
  ASSERT_OK_AND_ASSIGN(KafkaClientStatistics s, ParseStatistics(R"({
    "type": "consumer", "msg_cnt": 0, "msg_size": 0,
    "topics": {
      "in": {"partitions": {"0": {"fetchq_cnt": 3, "fetchq_size": 300},
                            "1": {"fetchq_cnt": 2, "fetchq_size": 20},
                            "-1": {"fetchq_cnt": 0, "fetchq_size": 0}}},
      "other": {"partitions": {"0": {"fetchq_cnt": 1, "fetchq_size": 5}}}
    }})"));
  EXPECT_EQ(s.queue_messages, 6);
  EXPECT_EQ(s.queue_bytes, 325);
}

TEST(ParseStatisticsTest, NotAnObject) {
  EXPECT_THAT(ParseStatistics("[1, 2]"), StatusIs(absl::StatusCode::kInvalidArgument, _));
  EXPECT_THAT(ParseStatistics("{\"type\": "), StatusIs(absl::StatusCode::kInvalidArgument, _));
}

TEST(ParseStatisticsTest, DeliverStatisticsDropsWhatItCannotParse) {
  int calls = 0;
  StatisticsHandler count = [&](KafkaClientStatistics) { ++calls; };
  const std::string good = R"({"type": "consumer"})";
  DeliverStatistics(good.data(), good.size(), count);
  const std::string bad = "not json";
  DeliverStatistics(bad.data(), bad.size(), count);
  DeliverStatistics(good.data(), good.size(), StatisticsHandler());
  EXPECT_EQ(calls, 1);
}

TEST(StatisticsEnabledTest, OnlyAPositiveInterval) {
  EXPECT_FALSE(StatisticsEnabled({}));
  EXPECT_FALSE(StatisticsEnabled({{"statistics.interval.ms", "0"}}));
  EXPECT_FALSE(StatisticsEnabled({{"statistics.interval.ms", "soon"}}));
  EXPECT_TRUE(StatisticsEnabled({{"statistics.interval.ms", "5000"}}));
}

}  // namespace
}  // namespace onceflow::kafka
