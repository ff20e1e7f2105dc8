#include "state/key_extractor.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "gtest/gtest.h"
#include "state/dedupe_options.h"
#include "state/sha256.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::state {
namespace {

namespace pb = ::google::protobuf;
using ::onceflow::testing::IsOk;
using ::onceflow::testing::IsOkAndHolds;
using ::onceflow::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;
using Headers = std::vector<std::pair<std::string, std::string>>;
using HeaderViews = std::vector<std::pair<absl::string_view, absl::string_view>>;

// A record and the storage its views point into.
struct TestRecord {
  std::optional<std::string> key;
  std::optional<std::string> value;
  Headers headers;
  int64_t offset = 17;

  RecordView View(HeaderViews& storage) const {
    storage.assign(headers.begin(), headers.end());
    RecordView view;
    if (key.has_value()) view.key = *key;
    if (value.has_value()) view.value = *value;
    view.headers = storage;
    view.offset = offset;
    return view;
  }
};

absl::StatusOr<std::optional<std::string>> ExtractKey(const DedupeOptions& options,
                                                      const TestRecord& record) {
  absl::StatusOr<std::unique_ptr<KeyExtractor>> extractor = KeyExtractor::Create(options);
  if (!extractor.ok()) return extractor.status();
  HeaderViews storage;
  return (*extractor)->Extract(record.View(storage));
}

DedupeOptions Source(DedupeKeySource source) {
  DedupeOptions options;
  options.source = source;
  return options;
}

TEST(KeyExtractorTest, ExtractsPerSource) {
  DedupeOptions function = Source(DedupeKeySource::kFunction);
  function.key_fn = [](const RecordView& r) -> std::optional<std::string> {
    if (!r.value.has_value()) return std::nullopt;
    return absl::StrCat("fn:", *r.value, ":", r.offset);
  };
  DedupeOptions custom_header = Source(DedupeKeySource::kHeader);
  custom_header.header = "x-id";
  const std::string json_hash = Sha256(R"({"a":1,"b":[1,2]})");

  struct Case {
    const char* name;
    DedupeOptions options;
    TestRecord record;
    std::optional<std::string> expected;
  };
  const Case cases[] = {
      {"record key", Source(DedupeKeySource::kRecordKey), {.key = "order-1"}, "order-1"},
      {"null record key", Source(DedupeKeySource::kRecordKey), {.value = "v"}, std::nullopt},
      {"empty record key", Source(DedupeKeySource::kRecordKey), {.key = ""}, std::nullopt},
      {"header",
       Source(DedupeKeySource::kHeader),
       {.headers = {{"trace", "t"}, {"idempotency-key", "id-9"}}},
       "id-9"},
      {"repeated header: last wins",
       Source(DedupeKeySource::kHeader),
       {.headers = {{"idempotency-key", "first"}, {"other", "x"}, {"idempotency-key", "last"}}},
       "last"},
      {"missing header",
       Source(DedupeKeySource::kHeader),
       {.key = "k", .headers = {{"a", "b"}}},
       std::nullopt},
      {"header names are case-sensitive",
       Source(DedupeKeySource::kHeader),
       {.headers = {{"Idempotency-Key", "id"}}},
       std::nullopt},
      {"empty header",
       Source(DedupeKeySource::kHeader),
       {.headers = {{"idempotency-key", ""}}},
       std::nullopt},
      {"custom header", custom_header, {.headers = {{"x-id", "42"}}}, "42"},
      {"content hash", Source(DedupeKeySource::kContentHash), {.value = "abc"}, Sha256("abc")},
      {"content hash of empty value",
       Source(DedupeKeySource::kContentHash),
       {.value = ""},
       Sha256("")},
      {"content hash of null value",
       Source(DedupeKeySource::kContentHash),
       {.key = "k"},
       std::nullopt},
      {"json hash",
       Source(DedupeKeySource::kJsonHash),
       {.value = R"({"a":1,"b":[1,2]})"},
       json_hash},
      {"json hash ignores layout and key order",
       Source(DedupeKeySource::kJsonHash),
       {.value = R"( { "b" : [1,2], "a" : 1 } )"},
       json_hash},
      {"json hash of null value", Source(DedupeKeySource::kJsonHash), {}, std::nullopt},
      {"function", function, {.value = "v"}, "fn:v:17"},
      {"function without key", function, {}, std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ExtractKey(c.options, c.record), IsOkAndHolds(c.expected)) << c.name;
  }
}

TEST(KeyExtractorTest, HashesDifferForDifferentContent) {
  const DedupeOptions json = Source(DedupeKeySource::kJsonHash);
  const DedupeOptions content = Source(DedupeKeySource::kContentHash);
  ASSERT_OK_AND_ASSIGN(auto a, ExtractKey(json, {.value = R"({"a":1,"b":[1,2]})"}));
  ASSERT_OK_AND_ASSIGN(auto b, ExtractKey(json, {.value = R"({"a":1,"b":[2,1]})"}));
  ASSERT_OK_AND_ASSIGN(auto c, ExtractKey(json, {.value = R"({"a":"1","b":[1,2]})"}));
  ASSERT_OK_AND_ASSIGN(auto d, ExtractKey(json, {.value = R"({"a":1.0,"b":[1,2]})"}));
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, d);
  // Content hashes are of the raw bytes: layout matters.
  ASSERT_OK_AND_ASSIGN(auto e, ExtractKey(content, {.value = R"({"a":1})"}));
  ASSERT_OK_AND_ASSIGN(auto f, ExtractKey(content, {.value = R"({ "a":1})"}));
  EXPECT_NE(e, f);
}

TEST(KeyExtractorTest, MalformedJsonIsInvalidArgumentNamingTheOffset) {
  EXPECT_THAT(ExtractKey(Source(DedupeKeySource::kJsonHash), {.value = R"({"a":1,,})"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("byte offset 7")));
  EXPECT_THAT(ExtractKey(Source(DedupeKeySource::kJsonHash), {.value = "not json"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("record value at offset 17")));
}

DedupeOptions ProtoField(const pb::Descriptor* descriptor, std::string path) {
  DedupeOptions options = Source(DedupeKeySource::kProtoField);
  options.descriptor = descriptor;
  options.field_path = std::move(path);
  return options;
}

// A compiled-in message: google/protobuf/descriptor.proto's own FileDescriptorProto.
TEST(KeyExtractorTest, ProtoFieldOfACompiledMessage) {
  const pb::Descriptor* file_proto = pb::FileDescriptorProto::descriptor();
  pb::FileDescriptorProto message;
  message.set_name("orders.proto");
  message.mutable_options()->set_java_package("com.example.orders");
  message.mutable_options()->set_optimize_for(pb::FileOptions::CODE_SIZE);
  message.mutable_options()->set_java_multiple_files(false);  // proto2: set, so present
  const TestRecord record{.value = message.SerializeAsString()};

  struct Case {
    const char* path;
    std::optional<std::string> expected;
  };
  const Case cases[] = {
      {"name", "orders.proto"},
      {"package", std::nullopt},  // unset
      {"options.java_package", "com.example.orders"},
      {"options.optimize_for", "2"},  // enums by number
      {"options.java_multiple_files", "false"},
      {"options.cc_enable_arenas", std::nullopt},  // unset, even with a default
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ExtractKey(ProtoField(file_proto, c.path), record), IsOkAndHolds(c.expected))
        << c.path;
  }
  // An unset message on the path means no key.
  EXPECT_THAT(ExtractKey(ProtoField(file_proto, "options.java_package"), {.value = ""}),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(ExtractKey(ProtoField(file_proto, "name"), {}), IsOkAndHolds(std::nullopt));
  // A value that is not the message type is an error.
  EXPECT_THAT(ExtractKey(ProtoField(file_proto, "name"), {.value = "\xff\xff\xff"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a valid google.protobuf.FileDescriptorProto")));
}

TEST(KeyExtractorTest, ProtoFieldPathIsValidatedAtCreate) {
  const pb::Descriptor* file_proto = pb::FileDescriptorProto::descriptor();
  struct Case {
    const pb::Descriptor* descriptor;
    const char* path;
    const char* message;
  };
  const Case cases[] = {
      {nullptr, "name", "descriptor is required"},
      {file_proto, "", "field_path is required"},
      {file_proto, "nope", "has no field \"nope\""},
      {file_proto, "options.nope", "google.protobuf.FileOptions has no field \"nope\""},
      {file_proto, "options..java_package", "has no field \"\""},
      {file_proto, "dependency", "\"dependency\" is repeated"},
      {file_proto, "message_type.name", "\"message_type\" is repeated"},
      {file_proto, "name.length", "\"name\" is not a message"},
      {file_proto, "options", "ends in a field of type message"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(KeyExtractor::Create(ProtoField(c.descriptor, c.path)),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.path;
  }
}

// A message type known only at run time (a DescriptorPool built from a FileDescriptorProto),
// as the sidecar loads them from a descriptor set.
TEST(KeyExtractorTest, ProtoFieldOfADynamicMessage) {
  pb::FileDescriptorProto file;
  file.set_name("dedupe_test/order.proto");
  file.set_package("dedupetest");
  file.set_syntax("proto3");
  pb::DescriptorProto* customer = file.add_message_type();
  customer->set_name("Customer");
  auto add_field =
      [](pb::DescriptorProto* m, const char* name, int number, pb::FieldDescriptorProto::Type type,
         pb::FieldDescriptorProto::Label label = pb::FieldDescriptorProto::LABEL_OPTIONAL) {
        pb::FieldDescriptorProto* f = m->add_field();
        f->set_name(name);
        f->set_number(number);
        f->set_type(type);
        f->set_label(label);
        return f;
      };
  add_field(customer, "id", 1, pb::FieldDescriptorProto::TYPE_STRING);
  add_field(customer, "account", 2, pb::FieldDescriptorProto::TYPE_UINT64);
  pb::DescriptorProto* order = file.add_message_type();
  order->set_name("Order");
  add_field(order, "customer", 1, pb::FieldDescriptorProto::TYPE_MESSAGE)
      ->set_type_name(".dedupetest.Customer");
  add_field(order, "id", 2, pb::FieldDescriptorProto::TYPE_BYTES);
  add_field(order, "seq", 3, pb::FieldDescriptorProto::TYPE_SINT64);
  add_field(order, "amount", 4, pb::FieldDescriptorProto::TYPE_DOUBLE);
  add_field(order, "tags", 5, pb::FieldDescriptorProto::TYPE_STRING,
            pb::FieldDescriptorProto::LABEL_REPEATED);

  pb::DescriptorPool pool;
  ASSERT_NE(pool.BuildFile(file), nullptr);
  const pb::Descriptor* order_type = pool.FindMessageTypeByName("dedupetest.Order");
  ASSERT_NE(order_type, nullptr);

  pb::DynamicMessageFactory factory(&pool);
  std::unique_ptr<pb::Message> message(factory.GetPrototype(order_type)->New());
  const pb::Reflection* reflection = message->GetReflection();
  reflection->SetString(message.get(), order_type->FindFieldByName("id"), "o-77");
  reflection->SetInt64(message.get(), order_type->FindFieldByName("seq"), -5);
  pb::Message* customer_message =
      reflection->MutableMessage(message.get(), order_type->FindFieldByName("customer"));
  customer_message->GetReflection()->SetString(
      customer_message, customer_message->GetDescriptor()->FindFieldByName("id"), "c-1");
  const TestRecord record{.value = message->SerializeAsString()};

  EXPECT_THAT(ExtractKey(ProtoField(order_type, "customer.id"), record),
              IsOkAndHolds(Optional(std::string("c-1"))));
  EXPECT_THAT(ExtractKey(ProtoField(order_type, "id"), record),
              IsOkAndHolds(Optional(std::string("o-77"))));
  EXPECT_THAT(ExtractKey(ProtoField(order_type, "seq"), record),
              IsOkAndHolds(Optional(std::string("-5"))));
  // proto3 scalar at its default (0) reads as unset.
  EXPECT_THAT(ExtractKey(ProtoField(order_type, "customer.account"), record),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(KeyExtractor::Create(ProtoField(order_type, "amount")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("type double")));
  EXPECT_THAT(KeyExtractor::Create(ProtoField(order_type, "tags")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("repeated")));
}

TEST(KeyExtractorTest, RequiredOptions) {
  DedupeOptions header = Source(DedupeKeySource::kHeader);
  header.header = "";
  EXPECT_THAT(KeyExtractor::Create(header),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("header")));
  EXPECT_THAT(KeyExtractor::Create(Source(DedupeKeySource::kFunction)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key_fn")));
}

// Keys are ids: up to kMaxDedupeKeyBytes (64 KiB) they are keys, one byte more is the record's
// error (kInvalidArgument: the error policy applies), whichever extractor found it.
TEST(KeyExtractorTest, KeysLongerThanTheLimitAreRecordErrors) {
  const std::string longest(kMaxDedupeKeyBytes, 'k');
  const std::string too_long(kMaxDedupeKeyBytes + 1, 'k');
  DedupeOptions header = Source(DedupeKeySource::kHeader);
  header.header = "id";
  DedupeOptions function = Source(DedupeKeySource::kFunction);
  function.key_fn = [](const RecordView& r) -> std::optional<std::string> {
    return std::string(*r.value);
  };
  for (const DedupeOptions& options : {Source(DedupeKeySource::kRecordKey), header, function}) {
    SCOPED_TRACE(static_cast<int>(options.source));
    EXPECT_THAT(
        ExtractKey(options, {.key = longest, .value = longest, .headers = {{"id", longest}}}),
        IsOkAndHolds(Optional(longest)));
    EXPECT_THAT(
        ExtractKey(options, {.key = too_long, .value = too_long, .headers = {{"id", too_long}}}),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 HasSubstr("the idempotency key of the record at offset 17 is 65537 bytes, more "
                           "than the 65536 a key may have")));
  }
  // Hashes are 32 bytes, whatever they hash.
  EXPECT_THAT(ExtractKey(Source(DedupeKeySource::kContentHash), {.value = too_long}),
              IsOkAndHolds(Optional(Sha256(too_long))));
}

// A kFunction key may be an error of its own: the record's, for the error policy.
TEST(KeyExtractorTest, FunctionErrorsAreTheRecords) {
  DedupeOptions function = Source(DedupeKeySource::kFunction);
  function.key_fn = [](const RecordView&) -> absl::StatusOr<std::optional<std::string>> {
    return absl::InvalidArgumentError("no id in this one");
  };
  EXPECT_THAT(ExtractKey(function, {.value = "v"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "no id in this one"));
}

}  // namespace
}  // namespace onceflow::state
