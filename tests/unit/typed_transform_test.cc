#include "onceflow/typed_transform.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onceflow/record.h"
#include "onceflow/transform.h"
#include "test_messages.pb.h"
#include "tests/testing/status_matchers.h"

namespace onceflow {
namespace {

using ::onceflow::testing::IsOk;
using ::onceflow::testing::Order;
using ::onceflow::testing::PricedOrder;
using ::onceflow::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

class CollectingEmitter : public Emitter {
 public:
  void Emit(OutputRecord record) override { records.push_back(std::move(record)); }
  std::vector<OutputRecord> records;
};

Order MakeOrder() {
  Order o;
  o.set_order_id("o-1");
  o.set_customer("ada");
  o.set_quantity(3);
  o.set_unit_price(2.5);
  return o;
}

absl::StatusOr<PricedOrder> Price(const Order& o) {
  if (o.quantity() < 0) return PermanentError("negative quantity");
  PricedOrder p;
  p.set_order_id(o.order_id());
  p.set_total(o.quantity() * o.unit_price());
  return p;
}

std::unique_ptr<Transform> PriceTransform(Codec in, std::optional<Codec> out = std::nullopt) {
  return TypedMap<Order, PricedOrder>(Price, in, out, "price");
}

TEST(TypedMapTest, JsonRoundTrip) {
  auto t = PriceTransform(Codec::kJson);
  EXPECT_EQ(t->name(), "price");
  const std::string key = "customer-ada";
  const std::string value =
      R"({"orderId": "o-1", "customer": "ada", "quantity": 3, "unitPrice": 2.5})";
  Record in;
  in.set_key(key).set_value(value).set_timestamp_ms(1234).add_header("trace", "t1");
  CollectingEmitter out;
  ASSERT_THAT(t->Process(in, out), IsOk());
  ASSERT_EQ(out.records.size(), 1u);
  const OutputRecord& r = out.records[0];
  EXPECT_EQ(r.value().view(), R"({"orderId":"o-1","total":7.5})");
  // Key, headers and timestamp of the input are kept (the key as a view).
  EXPECT_EQ(r.key().view().data(), key.data());
  EXPECT_EQ(r.header("trace"), absl::string_view("t1"));
  EXPECT_EQ(r.timestamp_ms(), 1234);

  PricedOrder back;
  ASSERT_THAT(ParseAs(r.value().view(), Codec::kJson, back), IsOk());
  EXPECT_EQ(back.order_id(), "o-1");
  EXPECT_DOUBLE_EQ(back.total(), 7.5);
}

TEST(TypedMapTest, JsonAcceptsProtoFieldNames) {
  auto t = PriceTransform(Codec::kJson);
  const std::string value = R"({"order_id": "o-2", "quantity": 2, "unit_price": 1.25})";
  Record in;
  in.set_value(value);
  CollectingEmitter out;
  ASSERT_THAT(t->Process(in, out), IsOk());
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].value().view(), R"({"orderId":"o-2","total":2.5})");
}

TEST(TypedMapTest, BinaryRoundTrip) {
  auto t = PriceTransform(Codec::kBinary);
  const std::string value = MakeOrder().SerializeAsString();
  Record in;
  in.set_value(value);
  CollectingEmitter out;
  ASSERT_THAT(t->Process(in, out), IsOk());
  ASSERT_EQ(out.records.size(), 1u);
  PricedOrder p;
  ASSERT_TRUE(p.ParseFromString(std::string(out.records[0].value().view())));
  EXPECT_EQ(p.order_id(), "o-1");
  EXPECT_DOUBLE_EQ(p.total(), 7.5);
  PricedOrder want;
  want.set_order_id("o-1");
  want.set_total(7.5);
  EXPECT_EQ(out.records[0].value().view(), want.SerializeAsString());
}

TEST(TypedMapTest, BinaryInJsonOut) {
  auto t = PriceTransform(Codec::kBinary, Codec::kJson);
  const std::string value = MakeOrder().SerializeAsString();
  Record in;
  in.set_value(value);
  CollectingEmitter out;
  ASSERT_THAT(t->Process(in, out), IsOk());
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].value().view(), R"({"orderId":"o-1","total":7.5})");
}

TEST(TypedMapTest, UnparsableInputIsAPermanentErrorNamingTheType) {
  struct Case {
    const char* name;
    Codec codec;
    std::string value;
    std::string message_prefix;
  };
  const std::vector<Case> cases = {
      {"not json", Codec::kJson, "not json!",
       "cannot parse 9 bytes as onceflow.testing.Order (json): "},
      {"unknown field", Codec::kJson, R"({"orderId":"o","color":"red"})",
       "cannot parse 29 bytes as onceflow.testing.Order (json): color: Cannot find field."},
      {"wrong type", Codec::kJson, R"({"quantity":"many"})",
       "cannot parse 19 bytes as onceflow.testing.Order (json): "},
      {"bad wire format", Codec::kBinary, std::string("\xff\xff\xff\xff", 4),
       "cannot parse 4 bytes as onceflow.testing.Order (binary): invalid protobuf wire format"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto t = PriceTransform(c.codec);
    Record in;
    in.set_value(c.value);
    CollectingEmitter out;
    const absl::Status st = t->Process(in, out);
    EXPECT_THAT(st, StatusIs(absl::StatusCode::kInvalidArgument, StartsWith(c.message_prefix)));
    EXPECT_FALSE(IsTransient(st));
    EXPECT_THAT(out.records, IsEmpty());
  }
}

TEST(TypedMapTest, UnknownJsonFieldIsNamedInTheReason) {
  Order o;
  EXPECT_THAT(ParseAs(R"({"color":"red"})", Codec::kJson, o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("color")));
}

TEST(TypedMapTest, FunctionErrorsPassThroughUnchanged) {
  auto t = TypedMap<Order, PricedOrder>(
      [](const Order& o) -> absl::StatusOr<PricedOrder> {
        return TransientError("pricing service down");
      },
      Codec::kJson);
  EXPECT_EQ(t->name(), "typed_map");
  const std::string value = R"({"orderId":"o-1"})";
  Record in;
  in.set_value(value);
  CollectingEmitter out;
  EXPECT_THAT(t->Process(in, out),
              StatusIs(absl::StatusCode::kUnavailable, "pricing service down"));
  EXPECT_THAT(out.records, IsEmpty());

  const std::string negative = R"({"orderId":"o-1","quantity":-1})";
  in.set_value(negative);
  EXPECT_THAT(PriceTransform(Codec::kJson)->Process(in, out),
              StatusIs(absl::StatusCode::kInvalidArgument, "negative quantity"));
}

TEST(ParseAsTest, EmptyInputIsTheDefaultMessageInBinary) {
  Order o = MakeOrder();
  ASSERT_THAT(ParseAs("", Codec::kBinary, o), IsOk());
  EXPECT_EQ(o.order_id(), "");  // parsing replaces, it does not merge
  EXPECT_THAT(ParseAs("", Codec::kJson, o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("cannot parse 0 bytes as onceflow.testing.Order (json): ")));
}

TEST(SerializeAsTest, BothCodecs) {
  PricedOrder p;
  p.set_order_id("x");
  p.set_total(1);
  ASSERT_OK_AND_ASSIGN(std::string json, SerializeAs(p, Codec::kJson));
  EXPECT_EQ(json, R"({"orderId":"x","total":1})");
  ASSERT_OK_AND_ASSIGN(std::string binary, SerializeAs(p, Codec::kBinary));
  EXPECT_EQ(binary, p.SerializeAsString());
  ASSERT_OK_AND_ASSIGN(std::string empty_json, SerializeAs(PricedOrder(), Codec::kJson));
  EXPECT_EQ(empty_json, "{}");
}

}  // namespace
}  // namespace onceflow
