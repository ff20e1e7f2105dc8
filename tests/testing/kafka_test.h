// A GoogleTest fixture for tests against a real Kafka broker.
//
// The broker is the one at $ONCEFLOW_BOOTSTRAP, by default the local one that
// `scripts/kafka start` runs on 127.0.0.1:19092. Every test gets uniquely named topics (so
// tests may run in parallel and leave nothing behind): CreateTopic() creates them with the
// Admin API and the fixture deletes them in TearDown.
//
//   class MyTest : public onceflow::testing::KafkaTest {};
//   TEST_F(MyTest, RoundTrip) {
//     const std::string topic = CreateTopic("in", /*partitions=*/3);
//     ...
//     auto records = ReadAll(topic, Isolation::kReadCommitted);
//   }
#ifndef ONCEFLOW_TESTS_TESTING_KAFKA_TEST_H_
#define ONCEFLOW_TESTS_TESTING_KAFKA_TEST_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "kafka/admin.h"
#include "kafka/config.h"
#include "onceflow/kafka_types.h"

namespace onceflow::testing {

// Bootstrap servers of the broker under test: $ONCEFLOW_BOOTSTRAP or 127.0.0.1:19092.
std::string Bootstrap();

// A name no other test run uses: "<stem>-<pid>-<counter>-<random>".
std::string UniqueName(absl::string_view stem);

enum class Isolation { kReadCommitted, kReadUncommitted };

// One record read back from a topic, copied out of librdkafka.
struct ReadRecord {
  TopicPartition tp;
  Offset offset = Offset::Invalid();
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t timestamp_ms = 0;
};

class KafkaTest : public ::testing::Test {
 protected:
  // Connects to the broker once per suite; fails the suite with the way to start one if it
  // does not answer.
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  // Fails the test at once if SetUpTestSuite could not reach the broker.
  void SetUp() override;
  void TearDown() override;

  // Creates a topic named UniqueName(stem) and returns its name; deleted after the test.
  std::string CreateTopic(absl::string_view stem, int partitions = 1,
                          const kafka::Properties& configs = {});

  // Properties every client in a test starts from (bootstrap servers, fast metadata).
  static kafka::Properties ClientProps(const kafka::Properties& extra = {});

  // Writes value "p<P>-<I>" with key "k<P>" to partition P for I < per_partition, round robin
  // over the partitions, with an idempotent non-transactional producer; fails the test unless
  // every record was delivered.
  void ProduceInput(const std::string& topic, int partitions, int per_partition);

  // Every record in `topic` from the beginning to its current end, read with `isolation`,
  // ordered by partition then offset. Waits for end-of-partition on every partition, within
  // `timeout`. REQUIRES: no transaction on the topic is still open (the end is final).
  absl::StatusOr<std::vector<ReadRecord>> ReadAll(
      const std::string& topic, Isolation isolation,
      std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // The committed offsets of `group` for every partition of `topic` (Invalid = none).
  absl::StatusOr<std::vector<TopicPartitionOffset>> CommittedOffsets(const std::string& group,
                                                                     const std::string& topic);

  static kafka::Admin& admin() { return *admin_; }

 private:
  static std::unique_ptr<kafka::Admin> admin_;
  std::vector<std::string> topics_;
};

}  // namespace onceflow::testing

#endif  // ONCEFLOW_TESTS_TESTING_KAFKA_TEST_H_
