#include "tests/testing/kafka_test.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "kafka/read_to_end.h"
#include "kafka/consumer.h"
#include "kafka/handles.h"
#include "kafka/producer.h"
#include "onceflow/status_macros.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::testing {

std::unique_ptr<kafka::Admin> KafkaTest::admin_;

std::string Bootstrap() {
  const char* env = std::getenv("ONCEFLOW_BOOTSTRAP");
  return env != nullptr && *env != '\0' ? env : "127.0.0.1:19092";
}

std::string UniqueName(absl::string_view stem) {
  static std::atomic<int> counter{0};
  static const uint32_t salt = std::random_device{}() & 0xffffff;
  return absl::StrCat(stem, "-", ::getpid(), "-", counter.fetch_add(1), "-", salt);
}

void KafkaTest::SetUpTestSuite() {
  if (admin_ != nullptr) return;
  auto admin = kafka::Admin::Create(ClientProps());
  ASSERT_TRUE(admin.ok()) << admin.status();
  absl::Status ping = (*admin)->Ping(std::chrono::seconds(15));
  ASSERT_TRUE(ping.ok()) << "no Kafka broker answers at " << Bootstrap() << " (" << ping
                         << "). Start the local one with `scripts/kafka start`, or point "
                            "ONCEFLOW_BOOTSTRAP at another.";
  admin_ = std::move(*admin);
}

void KafkaTest::TearDownTestSuite() { admin_.reset(); }

void KafkaTest::SetUp() {
  ASSERT_NE(admin_, nullptr) << "no Kafka broker at " << Bootstrap() << " (see the suite's setup)";
}

void KafkaTest::TearDown() {
  if (admin_ == nullptr || topics_.empty()) return;
  absl::Status st = admin_->DeleteTopics(topics_, std::chrono::seconds(30));
  EXPECT_TRUE(st.ok()) << "deleting test topics: " << st;
  topics_.clear();
}

void KafkaTest::ProduceInput(const std::string& topic, int partitions, int per_partition) {
  ASSERT_OK_AND_ASSIGN(
      auto producer,
      kafka::Producer::Create(ClientProps({{"enable.idempotence", "true"}, {"linger.ms", "5"}})));
  for (int i = 0; i < per_partition; ++i) {
    for (int p = 0; p < partitions; ++p) {
      const std::string key = absl::StrCat("k", p);
      const std::string value = absl::StrCat("p", p, "-", i);
      ASSERT_THAT(producer->Produce({topic, Partition(p), key, value}), IsOk());
    }
  }
  ASSERT_THAT(producer->Flush(std::chrono::seconds(60)), IsOk());
  ASSERT_EQ(producer->delivered(), int64_t{partitions} * per_partition);
}

kafka::Properties KafkaTest::ClientProps(const kafka::Properties& extra) {
  return kafka::Merge({{"bootstrap.servers", Bootstrap()},
                       {"topic.metadata.refresh.interval.ms", "1000"},
                       {"socket.nagle.disable", "true"}},
                      extra);
}

std::string KafkaTest::CreateTopic(absl::string_view stem, int partitions,
                                   const kafka::Properties& configs) {
  const std::string name = UniqueName(stem);
  absl::Status st = admin_->CreateTopic({name, partitions, 1, configs}, std::chrono::seconds(30));
  EXPECT_TRUE(st.ok()) << st;
  topics_.push_back(name);
  return name;
}

absl::StatusOr<std::vector<ReadRecord>> KafkaTest::ReadAll(const std::string& topic,
                                                           Isolation isolation,
                                                           std::chrono::milliseconds timeout) {
  std::map<int, std::vector<ReadRecord>> by_partition;
  kafka::ReadToEndOptions options;
  options.read_committed = isolation == Isolation::kReadCommitted;
  options.timeout = timeout;
  ONCEFLOW_RETURN_IF_ERROR(kafka::ReadToEnd(
      ClientProps({{"group.id", UniqueName("reader")}}), topic, options,
      [&](const kafka::ConsumedMessage& m) {
        const Record& in = m.record();
        ReadRecord r;
        r.tp = TopicPartition{topic, in.partition()};
        r.offset = in.offset();
        r.key = std::string(in.key());
        r.value = std::string(in.value());
        r.timestamp_ms = in.timestamp_ms();
        for (const auto& [name, value] : in.headers()) {
          r.headers.emplace_back(std::string(name), std::string(value));
        }
        by_partition[in.partition().value()].push_back(std::move(r));
      }));
  std::vector<ReadRecord> out;
  for (auto& [p, records] : by_partition) {
    for (ReadRecord& r : records) out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<std::vector<TopicPartitionOffset>> KafkaTest::CommittedOffsets(
    const std::string& group, const std::string& topic) {
  ONCEFLOW_ASSIGN_OR_RETURN(const int partitions,
                            admin_->PartitionCount(topic, std::chrono::seconds(10)));
  // A consumer that never subscribes does not join the group; it only asks its coordinator.
  ONCEFLOW_ASSIGN_OR_RETURN(auto consumer,
                            kafka::Consumer::Create(ClientProps(
                                {{"group.id", group}, {"isolation.level", "read_committed"}})));
  std::vector<TopicPartition> tps;
  for (int p = 0; p < partitions; ++p) tps.push_back({topic, Partition(p)});
  return consumer->Committed(tps, std::chrono::seconds(15));
}

}  // namespace onceflow::testing
