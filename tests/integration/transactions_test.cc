// Proves that the local broker means what Kafka's transactions promise, through onceflow's
// kafka adapters: read_committed hides aborted records, send_offsets_to_transaction commits
// offsets atomically with the transaction, and a second producer with the same
// transactional.id fences the first. Everything later (the eos engine, the audit) stands on
// these three facts.
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kafka/consumer.h"
#include "kafka/error.h"
#include "kafka/producer.h"
#include "tests/testing/kafka_test.h"
#include "tests/testing/status_matchers.h"

namespace onceflow {
namespace {

using ::onceflow::testing::IsOk;
using ::onceflow::testing::Isolation;
using ::onceflow::testing::ReadRecord;
using ::onceflow::testing::StatusIs;
using ::onceflow::testing::UniqueName;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::SizeIs;

using namespace std::chrono_literals;

class TransactionsTest : public testing::KafkaTest {
 protected:
  std::unique_ptr<kafka::Producer> MakeTransactionalProducer(const std::string& txn_id) {
    auto producer = kafka::Producer::Create(
        ClientProps({{"transactional.id", txn_id}, {"transaction.timeout.ms", "30000"}}));
    EXPECT_THAT(producer, IsOk());
    if (!producer.ok()) return nullptr;
    EXPECT_THAT((*producer)->InitTransactions(30s), IsOk());
    return std::move(*producer);
  }

  // Produces value `<prefix><i>` for i in [from, to) to partition 0 of `topic`.
  static void ProduceRange(kafka::Producer& producer, const std::string& topic,
                           absl::string_view prefix, int from, int to) {
    for (int i = from; i < to; ++i) {
      const std::string value = absl::StrCat(prefix, i);
      const std::string key = absl::StrCat("k", i);
      ASSERT_THAT(producer.Produce({topic, Partition(0), key, value}), IsOk());
    }
  }

  static std::vector<std::string> Values(const std::vector<ReadRecord>& records) {
    std::vector<std::string> values;
    for (const ReadRecord& r : records) values.push_back(r.value);
    return values;
  }

  static std::vector<std::string> Range(absl::string_view prefix, int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i < to; ++i) out.push_back(absl::StrCat(prefix, i));
    return out;
  }
};

// 100 committed records around 100 aborted ones (commit 50, abort 100, commit 50):
// read_committed sees exactly the 100 committed, in order; read_uncommitted sees all 200.
TEST_F(TransactionsTest, ReadCommittedSeesOnlyCommittedRecordsInOrder) {
  const std::string topic = CreateTopic("txn-visibility");
  auto producer = MakeTransactionalProducer(UniqueName("txn"));
  ASSERT_NE(producer, nullptr);

  ASSERT_THAT(producer->BeginTransaction(), IsOk());
  ProduceRange(*producer, topic, "committed-", 0, 50);
  ASSERT_THAT(producer->CommitTransaction(30s), IsOk());

  ASSERT_THAT(producer->BeginTransaction(), IsOk());
  ProduceRange(*producer, topic, "aborted-", 0, 100);
  ASSERT_THAT(producer->Flush(30s), IsOk());  // make sure they reach the log before the abort
  ASSERT_THAT(producer->AbortTransaction(30s), IsOk());

  ASSERT_THAT(producer->BeginTransaction(), IsOk());
  ProduceRange(*producer, topic, "committed-", 50, 100);
  ASSERT_THAT(producer->CommitTransaction(30s), IsOk());
  EXPECT_EQ(producer->delivered(), 200);
  EXPECT_EQ(producer->delivery_failures(), 0);

  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> committed,
                       ReadAll(topic, Isolation::kReadCommitted));
  EXPECT_THAT(Values(committed), ElementsAreArray(Range("committed-", 0, 100)));

  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> everything,
                       ReadAll(topic, Isolation::kReadUncommitted));
  std::vector<std::string> expected = Range("committed-", 0, 50);
  for (const std::string& v : Range("aborted-", 0, 100)) expected.push_back(v);
  for (const std::string& v : Range("committed-", 50, 100)) expected.push_back(v);
  EXPECT_THAT(Values(everything), ElementsAreArray(expected));

  // Each transaction marker takes an offset: committed-0..49 at 0..49, marker 50,
  // aborted-0..99 at 51..150, marker 151, committed-50..99 at 152..201.
  ASSERT_THAT(committed, SizeIs(100));
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(committed[i].offset, Offset(i < 50 ? i : i + 102)) << committed[i].value;
  }
  ASSERT_THAT(everything, SizeIs(200));
  EXPECT_EQ(everything[50].offset, Offset(51));
  EXPECT_EQ(everything.back().offset, Offset(201));
}

// Positions sent with send_offsets_to_transaction become the group's committed offsets when
// the transaction commits, and not when it aborts.
TEST_F(TransactionsTest, SentOffsetsCommitWithTheTransactionOnly) {
  const std::string input = CreateTopic("txn-offsets-in");
  const std::string output = CreateTopic("txn-offsets-out");
  const std::string group = UniqueName("group");

  {  // Ten input records, committed plainly.
    ASSERT_OK_AND_ASSIGN(auto plain, kafka::Producer::Create(ClientProps()));
    for (int i = 0; i < 10; ++i) {
      const std::string v = absl::StrCat("in-", i);
      ASSERT_THAT(plain->Produce({input, Partition(0), v, v}), IsOk());
    }
    ASSERT_THAT(plain->Flush(30s), IsOk());
    ASSERT_EQ(plain->delivered(), 10);
  }

  ASSERT_OK_AND_ASSIGN(auto consumer,
                       kafka::Consumer::Create(ClientProps({{"group.id", group},
                                                            {"isolation.level", "read_committed"},
                                                            {"auto.offset.reset", "earliest"}})));
  ASSERT_THAT(consumer->Subscribe({input}), IsOk());
  auto producer = MakeTransactionalProducer(UniqueName("txn"));
  ASSERT_NE(producer, nullptr);
  const TopicPartition in0{input, Partition(0)};

  // Consumes `n` records, copying each to the output inside the open transaction.
  auto copy = [&](int n) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    for (int got = 0; got < n;) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "consumed " << got << "/" << n;
      ASSERT_OK_AND_ASSIGN(std::optional<kafka::ConsumedMessage> msg, consumer->Poll(100ms));
      if (!msg.has_value() || !msg->is_record()) continue;
      absl::string_view value = msg->record().value();
      ASSERT_THAT(producer->Produce({output, Partition(0), {}, value}), IsOk());
      ++got;
    }
  };

  ASSERT_THAT(producer->BeginTransaction(), IsOk());
  copy(5);
  ASSERT_OK_AND_ASSIGN(auto positions, consumer->Positions({in0}));
  ASSERT_EQ(positions.at(0).offset, Offset(5));
  ASSERT_THAT(producer->SendOffsetsToTransaction(positions, consumer->GroupMetadata(), 30s),
              IsOk());
  ASSERT_THAT(producer->CommitTransaction(30s), IsOk());
  ASSERT_OK_AND_ASSIGN(auto committed, CommittedOffsets(group, input));
  EXPECT_THAT(committed, ElementsAreArray({TopicPartitionOffset{in0, Offset(5)}}));

  ASSERT_THAT(producer->BeginTransaction(), IsOk());
  copy(3);
  ASSERT_OK_AND_ASSIGN(positions, consumer->Positions({in0}));
  ASSERT_EQ(positions.at(0).offset, Offset(8));
  ASSERT_THAT(producer->SendOffsetsToTransaction(positions, consumer->GroupMetadata(), 30s),
              IsOk());
  ASSERT_THAT(producer->AbortTransaction(30s), IsOk());
  ASSERT_OK_AND_ASSIGN(committed, CommittedOffsets(group, input));
  EXPECT_THAT(committed, ElementsAreArray({TopicPartitionOffset{in0, Offset(5)}}));

  // The output agrees: only the committed transaction's five copies are visible.
  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> out, ReadAll(output, Isolation::kReadCommitted));
  EXPECT_THAT(Values(out), ElementsAreArray(Range("in-", 0, 5)));
}

// A second producer with the same transactional.id fences the first: the first's next
// transactional call fails with a fatal fencing error, and its open transaction is aborted.
TEST_F(TransactionsTest, SameTransactionalIdFencesTheFirstProducer) {
  const std::string topic = CreateTopic("txn-fencing");
  const std::string txn_id = UniqueName("txn");

  auto first = MakeTransactionalProducer(txn_id);
  ASSERT_NE(first, nullptr);
  ASSERT_THAT(first->BeginTransaction(), IsOk());
  ProduceRange(*first, topic, "zombie-", 0, 10);
  ASSERT_THAT(first->Flush(30s), IsOk());

  auto second = MakeTransactionalProducer(txn_id);  // bumps the epoch, aborts first's txn
  ASSERT_NE(second, nullptr);
  ASSERT_THAT(second->BeginTransaction(), IsOk());
  ProduceRange(*second, topic, "live-", 0, 10);
  ASSERT_THAT(second->CommitTransaction(30s), IsOk());

  // The zombie's next transactional call is refused, fatally, as fenced.
  absl::Status zombie = first->CommitTransaction(30s);
  EXPECT_THAT(zombie, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("enced")));
  EXPECT_TRUE(kafka::IsFenced(zombie)) << zombie;
  EXPECT_THAT(first->FatalError(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("")));

  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> visible, ReadAll(topic, Isolation::kReadCommitted));
  EXPECT_THAT(Values(visible), ElementsAreArray(Range("live-", 0, 10)));
  // The zombie's records did reach the log; read_committed hides them because the fencing
  // aborted their transaction.
  ASSERT_OK_AND_ASSIGN(std::vector<ReadRecord> all, ReadAll(topic, Isolation::kReadUncommitted));
  EXPECT_THAT(all, SizeIs(20));
}

}  // namespace
}  // namespace onceflow

namespace onceflow {
namespace {

// Under the cooperative protocol the consumer applies assignments incrementally
// (incremental_assign): it reads every partition. Before, the eager assign() was refused
// (_STATE) and the consumer read nothing while the member looked healthy.
TEST_F(TransactionsTest, CooperativeAssignmentIsAppliedIncrementally) {
  const std::string topic = CreateTopic("coop", 2);
  {
    ASSERT_OK_AND_ASSIGN(auto producer, kafka::Producer::Create(ClientProps()));
    for (int p = 0; p < 2; ++p) {
      ASSERT_THAT(producer->Produce({topic, Partition(p), "k", absl::StrCat("v", p)}), IsOk());
    }
    ASSERT_THAT(producer->Flush(30s), IsOk());
  }
  ASSERT_OK_AND_ASSIGN(
      auto consumer,
      kafka::Consumer::Create(ClientProps({{"group.id", UniqueName("coop")},
                                           {"partition.assignment.strategy", "cooperative-sticky"},
                                           {"auto.offset.reset", "earliest"}})));
  ASSERT_THAT(consumer->Subscribe({topic}), IsOk());
  std::set<std::string> values;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (values.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    ASSERT_OK_AND_ASSIGN(std::optional<kafka::ConsumedMessage> polled, consumer->Poll(100ms));
    if (polled.has_value() && polled->is_record()) values.emplace(polled->record().value());
  }
  EXPECT_THAT(values, ::testing::ElementsAre("v0", "v1"));
  ASSERT_OK_AND_ASSIGN(std::vector<TopicPartition> assignment, consumer->Assignment());
  EXPECT_EQ(assignment.size(), 2u);
  EXPECT_EQ(consumer->RebalanceProtocol(), "COOPERATIVE");
}

// A cooperative member (onceflow's default) cannot join a group whose members run eager
// assignors: it keeps retrying (so in a rolling deploy it joins once the old members are gone),
// and every attempt's error says why and what to do.
TEST_F(TransactionsTest, MixedRebalanceProtocolsSayWhyTheMemberWaits) {
  const std::string topic = CreateTopic("mixed", 2);
  const std::string group = UniqueName("mixed");
  ASSERT_OK_AND_ASSIGN(
      auto eager, kafka::Consumer::Create(ClientProps(
                      {{"group.id", group}, {"partition.assignment.strategy", "range"}})));
  ASSERT_THAT(eager->Subscribe({topic}), IsOk());
  auto deadline = std::chrono::steady_clock::now() + 30s;
  std::vector<TopicPartition> assigned;
  while (assigned.empty() && std::chrono::steady_clock::now() < deadline) {
    ASSERT_THAT(eager->Poll(100ms), IsOk());
    ASSERT_OK_AND_ASSIGN(assigned, eager->Assignment());
  }
  ASSERT_EQ(assigned.size(), 2u) << "the eager member never joined";

  ASSERT_OK_AND_ASSIGN(
      auto cooperative,
      kafka::Consumer::Create(ClientProps(
          {{"group.id", group}, {"partition.assignment.strategy", "cooperative-sticky"}})));
  ASSERT_THAT(cooperative->Subscribe({topic}), IsOk());
  absl::Status refused;
  deadline = std::chrono::steady_clock::now() + 30s;
  while (refused.ok() && std::chrono::steady_clock::now() < deadline) {
    ASSERT_THAT(eager->Poll(10ms), IsOk());  // keeps the eager member in the group
    refused = cooperative->Poll(100ms).status();
  }
  EXPECT_EQ(kafka::KafkaErrorCode(refused), RD_KAFKA_RESP_ERR_INCONSISTENT_GROUP_PROTOCOL)
      << refused;
  EXPECT_THAT(refused.message(), HasSubstr("stop every instance and start them again"));
  EXPECT_NE(refused.code(), absl::StatusCode::kFailedPrecondition);  // not fatal: it retries
}

}  // namespace
}  // namespace onceflow
