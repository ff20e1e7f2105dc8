#include "tests/testing/kafka_test.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "kafka/consumer.h"
#include "kafka/handles.h"
#include "onceflow/status_macros.h"

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
  ONCEFLOW_ASSIGN_OR_RETURN(const int partitions,
                            admin_->PartitionCount(topic, std::chrono::seconds(10)));
  ONCEFLOW_ASSIGN_OR_RETURN(
      auto consumer,
      kafka::Consumer::Create(ClientProps({
          {"group.id", UniqueName("reader")},
          {"isolation.level",
           isolation == Isolation::kReadCommitted ? "read_committed" : "read_uncommitted"},
          {"enable.partition.eof", "true"},
          {"auto.offset.reset", "earliest"},
      })));
  std::vector<TopicPartitionOffset> assignment;
  for (int p = 0; p < partitions; ++p) {
    assignment.push_back({TopicPartition{topic, Partition(p)}, Offset::Beginning()});
  }
  ONCEFLOW_RETURN_IF_ERROR(consumer->Assign(assignment));

  std::map<int, std::vector<ReadRecord>> by_partition;
  std::set<int> at_end;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (static_cast<int>(at_end.size()) < partitions) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("reading ", topic, ": only ", at_end.size(), " of ", partitions,
                       " partitions reached their end within ", timeout.count(), " ms"));
    }
    ONCEFLOW_ASSIGN_OR_RETURN(kafka::MessagePtr msg,
                              consumer->Poll(std::chrono::milliseconds(100)));
    if (msg == nullptr) continue;
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(msg->partition);
      continue;
    }
    at_end.erase(msg->partition);  // more arrived after an EOF: not at the end after all
    ReadRecord r;
    r.tp = TopicPartition{topic, Partition(msg->partition)};
    r.offset = Offset(msg->offset);
    if (msg->key != nullptr) r.key.assign(static_cast<const char*>(msg->key), msg->key_len);
    if (msg->payload != nullptr) {
      r.value.assign(static_cast<const char*>(msg->payload), msg->len);
    }
    rd_kafka_timestamp_type_t tstype;
    r.timestamp_ms = rd_kafka_message_timestamp(msg.get(), &tstype);
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(msg.get(), &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name = nullptr;
      const void* val = nullptr;
      size_t size = 0;
      for (size_t i = 0;
           rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i) {
        r.headers.emplace_back(name, val == nullptr
                                         ? std::string()
                                         : std::string(static_cast<const char*>(val), size));
      }
    }
    by_partition[msg->partition].push_back(std::move(r));
  }
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
