#include "onceflow/record.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onceflow/kafka_types.h"

namespace onceflow {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;
using ::testing::Pair;

// Owned storage for an input record, so a test can destroy it and check what survives.
struct InputStorage {
  std::string topic = "orders";
  std::string key = "key-0123456789-long-enough-to-avoid-sso";
  std::string value = "value-0123456789-long-enough-to-avoid-sso";
  std::string h1_name = "trace-id";
  std::string h1_value = "abc-0123456789-long-enough-to-avoid-sso";
  std::string h2_name = "tenant";
  std::string h2_value = "acme";

  Record View() const {
    Record r;
    r.set_topic(topic)
        .set_partition(Partition(3))
        .set_offset(Offset(42))
        .set_timestamp_ms(1'700'000'000'123)
        .set_key(key)
        .set_value(value)
        .add_header(h1_name, h1_value)
        .add_header(h2_name, h2_value);
    return r;
  }
};

std::vector<std::pair<std::string, std::string>> HeaderStrings(const OutputRecord& r) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : r.headers()) {
    out.emplace_back(std::string(name.view()), std::string(value.view()));
  }
  return out;
}

TEST(RecordTest, DefaultsAndNulls) {
  Record r;
  EXPECT_FALSE(r.has_key());
  EXPECT_FALSE(r.has_value());
  EXPECT_EQ(r.key(), "");
  EXPECT_EQ(r.value(), "");
  EXPECT_EQ(r.partition(), Partition(0));
  EXPECT_EQ(r.offset(), Offset::Invalid());
  EXPECT_EQ(r.timestamp_ms(), -1);

  r.set_key("k").set_value("v");
  EXPECT_TRUE(r.has_key());
  EXPECT_TRUE(r.has_value());
  r.clear_key().clear_value();
  EXPECT_FALSE(r.has_key());
  EXPECT_FALSE(r.has_value());
  EXPECT_EQ(r.key(), "");
}

TEST(RecordTest, HeaderLookup) {
  Record r;
  r.add_header("a", "1").add_header("b", "2").add_header("a", "3").add_header("empty", "");
  struct Case {
    absl::string_view name;
    std::optional<absl::string_view> want;
  };
  const Case cases[] = {
      {"a", "3"},                 // the last of a repeated name wins
      {"b", "2"},                 // a single header
      {"empty", ""},              // present with an empty value
      {"missing", std::nullopt},  // absent
      {"A", std::nullopt},        // names are case-sensitive
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(r.header(c.name), c.want);
  }
}

TEST(OutputRecordTest, ForwardViewsEverythingWithoutCopying) {
  InputStorage storage;
  const Record in = storage.View();
  OutputRecord out = OutputRecord::Forward(in);

  EXPECT_EQ(out.topic(), "");  // the processor's default
  EXPECT_EQ(out.partition(), Partition::Any());
  EXPECT_EQ(out.timestamp_ms(), 1'700'000'000'123);
  ASSERT_FALSE(out.key().is_null());
  ASSERT_FALSE(out.value().is_null());
  EXPECT_FALSE(out.key().is_owned());
  EXPECT_FALSE(out.value().is_owned());
  EXPECT_EQ(out.key().view().data(), storage.key.data());
  EXPECT_EQ(out.value().view().data(), storage.value.data());
  ASSERT_EQ(out.headers().size(), 2u);
  EXPECT_EQ(out.headers()[0].first.view().data(), storage.h1_name.data());
  EXPECT_EQ(out.headers()[0].second.view().data(), storage.h1_value.data());
  EXPECT_THAT(HeaderStrings(out),
              ElementsAre(Pair("trace-id", storage.h1_value), Pair("tenant", "acme")));
}

TEST(OutputRecordTest, ForwardKeepsNullsAndMapsMissingTimestampToProducerTime) {
  Record in;  // null key, null value, timestamp -1
  OutputRecord out = OutputRecord::Forward(in);
  EXPECT_TRUE(out.key().is_null());
  EXPECT_TRUE(out.value().is_null());
  EXPECT_TRUE(out.headers().empty());
  EXPECT_EQ(out.timestamp_ms(), 0);

  Record empty_value;
  empty_value.set_value("");
  OutputRecord out2 = OutputRecord::Forward(empty_value);
  EXPECT_FALSE(out2.value().is_null());  // empty is not null
  EXPECT_EQ(out2.value().view(), "");
}

TEST(OutputRecordTest, AddAndRemoveHeadersKeepOrder) {
  Record in;
  in.add_header("a", "1").add_header("b", "2").add_header("a", "3").add_header("c", "4");
  OutputRecord out = OutputRecord::Forward(in);
  out.AddHeader("d", "5").AddHeader("b", "6");
  EXPECT_THAT(HeaderStrings(out), ElementsAre(Pair("a", "1"), Pair("b", "2"), Pair("a", "3"),
                                              Pair("c", "4"), Pair("d", "5"), Pair("b", "6")));
  EXPECT_TRUE(out.headers()[4].first.is_owned());
  EXPECT_THAT(out.header("b"), Optional(absl::string_view("6")));

  out.RemoveHeader("a");
  EXPECT_THAT(HeaderStrings(out),
              ElementsAre(Pair("b", "2"), Pair("c", "4"), Pair("d", "5"), Pair("b", "6")));
  out.RemoveHeader("b");
  EXPECT_THAT(HeaderStrings(out), ElementsAre(Pair("c", "4"), Pair("d", "5")));
  out.RemoveHeader("missing");
  EXPECT_THAT(HeaderStrings(out), ElementsAre(Pair("c", "4"), Pair("d", "5")));
  EXPECT_EQ(out.header("a"), std::nullopt);
  EXPECT_THAT(out.header("d"), Optional(absl::string_view("5")));
}

TEST(OutputRecordTest, BuildersOnATemporaryMoveInsteadOfCopying) {
  std::string value(100, 'v');  // on the heap, so a copy would change data()
  const char* data = value.data();
  Record in;
  in.add_header("h", "1");
  OutputRecord out = OutputRecord::Forward(in).SetValue(std::move(value)).AddHeader("a", "b");
  EXPECT_EQ(out.value().view().data(), data);  // moved all the way, never copied
  EXPECT_THAT(HeaderStrings(out), ElementsAre(Pair("h", "1"), Pair("a", "b")));

  // On an lvalue, builders chain by reference.
  OutputRecord& same = out.SetTopic("t").SetTimestampMs(9);
  EXPECT_EQ(&same, &out);
  EXPECT_EQ(out.topic(), "t");
}

TEST(OutputRecordTest, ForwardThenOwnSurvivesTheInput) {
  auto storage = std::make_unique<InputStorage>();
  OutputRecord out = OutputRecord::Forward(storage->View());
  out.Own();
  const std::string key = storage->key;
  const std::string value = storage->value;
  const std::string h1_value = storage->h1_value;
  // Overwrite, then free, the input's memory: an unowned view would now read garbage (and
  // ASan would report a use after free).
  storage->key.assign(storage->key.size(), 'x');
  storage->value.assign(storage->value.size(), 'x');
  storage->h1_value.assign(storage->h1_value.size(), 'x');
  storage.reset();

  EXPECT_TRUE(out.key().is_owned());
  EXPECT_TRUE(out.value().is_owned());
  EXPECT_EQ(out.key().view(), key);
  EXPECT_EQ(out.value().view(), value);
  EXPECT_THAT(HeaderStrings(out), ElementsAre(Pair("trace-id", h1_value), Pair("tenant", "acme")));
  for (const auto& [name, v] : out.headers()) {
    EXPECT_TRUE(name.is_owned());
    EXPECT_TRUE(v.is_owned());
  }
}

TEST(OutputRecordTest, OwnKeepsNullsNull) {
  OutputRecord out = OutputRecord::Forward(Record());
  out.Own();
  EXPECT_TRUE(out.key().is_null());
  EXPECT_TRUE(out.value().is_null());
}

TEST(OutputRecordTest, SettersReplaceBytes) {
  InputStorage storage;
  OutputRecord out = OutputRecord::Forward(storage.View());
  out.SetKey("k2")
      .SetValueView("static")
      .SetTopic("t")
      .SetPartition(Partition(7))
      .SetTimestampMs(5);
  EXPECT_TRUE(out.key().is_owned());
  EXPECT_EQ(out.key().view(), "k2");
  EXPECT_FALSE(out.value().is_owned());
  EXPECT_EQ(out.value().view(), "static");
  EXPECT_EQ(out.topic(), "t");
  EXPECT_EQ(out.partition(), Partition(7));
  EXPECT_EQ(out.timestamp_ms(), 5);
  out.ClearKey().ClearValue();
  EXPECT_TRUE(out.key().is_null());
  EXPECT_TRUE(out.value().is_null());
}

TEST(OutputRecordTest, AsRecordTakesPositionFromOriginAndDataFromOutput) {
  InputStorage storage;
  const Record origin = storage.View();
  OutputRecord out = OutputRecord::Forward(origin);
  out.SetValue("new").AddHeader("x", "y").SetTopic("elsewhere");

  const Record r = out.AsRecord(origin);
  EXPECT_EQ(r.topic(), "orders");  // the origin's, not the output's target
  EXPECT_EQ(r.partition(), Partition(3));
  EXPECT_EQ(r.offset(), Offset(42));
  EXPECT_EQ(r.timestamp_ms(), 1'700'000'000'123);
  EXPECT_TRUE(r.has_key());
  EXPECT_EQ(r.key().data(), storage.key.data());
  EXPECT_EQ(r.value(), "new");
  EXPECT_EQ(r.value().data(), out.value().view().data());
  EXPECT_THAT(r.headers(), ElementsAre(Pair("trace-id", absl::string_view(storage.h1_value)),
                                       Pair("tenant", "acme"), Pair("x", "y")));
  EXPECT_THAT(r.header("x"), Optional(absl::string_view("y")));
}

TEST(OutputRecordTest, AsRecordOfNullsAndOwnTimestamp) {
  InputStorage storage;
  const Record origin = storage.View();
  OutputRecord out;  // null key and value, timestamp 0
  Record r = out.AsRecord(origin);
  EXPECT_FALSE(r.has_key());
  EXPECT_FALSE(r.has_value());
  EXPECT_EQ(r.timestamp_ms(), 1'700'000'000'123);  // 0 = none of its own: the origin's
  out.SetTimestampMs(99);
  EXPECT_EQ(out.AsRecord(origin).timestamp_ms(), 99);
}

TEST(BytesTest, Kinds) {
  Bytes null;
  EXPECT_TRUE(null.is_null());
  EXPECT_FALSE(null.is_owned());
  std::string s = "abc";
  Bytes view = Bytes::View(s);
  EXPECT_FALSE(view.is_null());
  EXPECT_FALSE(view.is_owned());
  EXPECT_EQ(view.view().data(), s.data());
  view.Own();
  EXPECT_TRUE(view.is_owned());
  EXPECT_NE(view.view().data(), s.data());
  EXPECT_EQ(view.view(), "abc");
}

}  // namespace
}  // namespace onceflow
