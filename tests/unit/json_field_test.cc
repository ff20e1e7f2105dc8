#include "sidecar/json_field.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::sidecar {
namespace {

using ::onceflow::testing::IsOk;
using ::onceflow::testing::StatusIs;
using ::testing::_;
using ::testing::Eq;
using ::testing::HasSubstr;

JsonPath Path(const std::string& dotted) {
  absl::StatusOr<JsonPath> path = JsonPath::Parse(dotted);
  EXPECT_THAT(path, IsOk());
  return *path;
}

struct FoundCase {
  std::string json;
  std::string path;
  JsonType type;
  std::string raw;
  std::string text;
};

TEST(JsonFieldTest, FindsFieldsOfEveryType) {
  const FoundCase cases[] = {
      {R"({"id": "o-1"})", "id", JsonType::kString, R"("o-1")", "o-1"},
      {R"({"n": -1.50e+3})", "n", JsonType::kNumber, "-1.50e+3", "-1.50e+3"},
      {R"({"n":0})", "n", JsonType::kNumber, "0", "0"},
      {R"({"ok": true})", "ok", JsonType::kBool, "true", "true"},
      {R"({"ok": false})", "ok", JsonType::kBool, "false", "false"},
      {R"({"x": null})", "x", JsonType::kNull, "null", "null"},
      {R"({"o": {"a": [1, 2]}})", "o", JsonType::kObject, R"({"a": [1, 2]})", R"({"a": [1, 2]})"},
      {R"({"l": [1, {"b": 2}]})", "l", JsonType::kArray, R"([1, {"b": 2}])", R"([1, {"b": 2}])"},
      {R"({"order": {"id": "o-2", "n": 1}})", "order.id", JsonType::kString, R"("o-2")", "o-2"},
      {R"({"a": {"b": {"c": 7}}})", "a.b.c", JsonType::kNumber, "7", "7"},
      // Escapes are decoded: \n, \", \\, \/, \u with a surrogate pair.
      {R"({"s": "a\nb\"c\\d\/e"})", "s", JsonType::kString, R"("a\nb\"c\\d\/e")", "a\nb\"c\\d/e"},
      {R"({"s": "\u00e9\ud83d\ude00"})", "s", JsonType::kString, R"("\u00e9\ud83d\ude00")",
       "\xc3\xa9\xf0\x9f\x98\x80"},
      // A lone surrogate becomes U+FFFD.
      {R"({"s": "\ud800x"})", "s", JsonType::kString, R"("\ud800x")", "\xef\xbf\xbdx"},
      // Member names are compared decoded.
      {R"({"\u0069d": "esc"})", "id", JsonType::kString, R"("esc")", "esc"},
      // The last of repeated names wins.
      {R"({"id": 1, "id": 2})", "id", JsonType::kNumber, "2", "2"},
      {R"({"a": {"b": 1}, "a": {"b": 2}})", "a.b", JsonType::kNumber, "2", "2"},
      // Whitespace everywhere.
      {" \n\t{ \"id\" :\r\n \"w\" } \n", "id", JsonType::kString, R"("w")", "w"},
  };
  for (const FoundCase& c : cases) {
    SCOPED_TRACE(c.json + " / " + c.path);
    absl::StatusOr<std::optional<JsonField>> field = FindJsonField(c.json, Path(c.path));
    ASSERT_THAT(field, IsOk());
    ASSERT_TRUE(field->has_value());
    EXPECT_EQ((*field)->type, c.type);
    EXPECT_EQ((*field)->raw, c.raw);
    std::string scratch;
    EXPECT_EQ((*field)->Text(scratch), c.text);
  }
}

TEST(JsonFieldTest, TextWithoutEscapesIsAViewOfTheDocument) {
  const std::string json = R"({"id": "plain"})";
  absl::StatusOr<std::optional<JsonField>> field = FindJsonField(json, Path("id"));
  ASSERT_THAT(field, IsOk());
  std::string scratch;
  const absl::string_view text = (*field)->Text(scratch);
  EXPECT_EQ(text.data(), json.data() + 8);
  EXPECT_TRUE(scratch.empty());
}

TEST(JsonFieldTest, MissingFieldsAreNotErrors) {
  const std::pair<std::string, std::string> cases[] = {
      {R"({"a": 1})", "b"},
      {R"({"a": 1})", "a.b"},                 // through a number
      {R"({"a": [{"b": 1}]})", "a.b"},        // through an array
      {R"({"a": {"b": 1}, "a": 5})", "a.b"},  // the last "a" has no "b"
      {R"({"x": {"a": 1}})", "a"},            // only at the top level
      {R"([{"a": 1}])", "a"},                 // the document is not an object
      {R"("a")", "a"},
      {"{}", "a"},
  };
  for (const auto& [json, path] : cases) {
    SCOPED_TRACE(json + " / " + path);
    absl::StatusOr<std::optional<JsonField>> field = FindJsonField(json, Path(path));
    ASSERT_THAT(field, IsOk());
    EXPECT_FALSE(field->has_value());
  }
}

TEST(JsonFieldTest, InvalidJsonIsAnErrorWithTheOffset) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "unexpected end of input at byte 0"},
      {"not json", "unexpected character at byte 0"},
      {R"({"a": 1,})", "expected a member name at byte 8"},
      {R"({"a" 1})", "expected ':' at byte 5"},
      {R"({"a": 1)", "expected ',' or '}' at byte 7"},
      {R"({"a": [1 2]})", "expected ',' or ']' at byte 9"},
      {R"({"a": "x)", "unterminated string"},
      {"{\"a\": \"x\ny\"}", "control character in a string at byte 8"},
      {R"({"a": "\x"})", "bad escape"},
      {R"({"a": "\u12g4"})", "bad \\u escape"},
      {R"({"a": 01})", "expected ',' or '}' at byte 7"},
      {R"({"a": 1.})", "expected a digit after '.'"},
      {R"({"a": 1e})", "expected a digit in the exponent"},
      {R"({"a": tru})", "unexpected character"},
      {R"({"a": 1} x)", "unexpected characters after the JSON value at byte 9"},
      {R"({"a": 1}{})", "unexpected characters after the JSON value"},
  };
  for (const auto& [json, message] : cases) {
    SCOPED_TRACE(json);
    EXPECT_THAT(FindJsonField(json, Path("a")),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)));
  }
  // Invalid JSON after the field is still invalid: the whole document is checked.
  EXPECT_THAT(FindJsonField(R"({"a": 1, "b": })", Path("a")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not JSON")));
}

// The scanner recurses once per level: past base::kMaxJsonDepth (100) arrays and objects it
// stops, with kOutOfRange, rather than risk the stack (100,000 '[' would overflow it).
TEST(JsonFieldTest, RefusesNestingDeeperThanTheLimit) {
  auto nested = [](int levels) { return std::string(levels, '[') + std::string(levels, ']'); };
  absl::StatusOr<std::optional<JsonField>> none = FindJsonField(nested(100), Path("a"));
  ASSERT_THAT(none, IsOk());
  EXPECT_FALSE(none->has_value());
  EXPECT_THAT(FindJsonField(nested(101), Path("a")),
              StatusIs(absl::StatusCode::kOutOfRange,
                       Eq("JSON nested deeper than 100 arrays and objects at byte 100")));
  EXPECT_THAT(FindJsonField(std::string(100000, '['), Path("a")),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("nested deeper than 100")));
  // 100 levels with the field in the outermost object: found.
  const std::string ok = "{\"a\":" + nested(99) + "}";
  absl::StatusOr<std::optional<JsonField>> field = FindJsonField(ok, Path("a"));
  ASSERT_THAT(field, IsOk());
  EXPECT_EQ((*field)->type, JsonType::kArray);
  // Objects count as arrays do; the depth is refused even after the field was found.
  std::string objects;
  for (int i = 0; i < 101; ++i) objects += "{\"a\":";
  objects += "1" + std::string(101, '}');
  EXPECT_THAT(FindJsonField(objects, Path("a")), StatusIs(absl::StatusCode::kOutOfRange, _));
}

// What the built-ins call: not JSON is no field; too deep is the one error, naming the path.
TEST(JsonFieldTest, FindFieldOfValue) {
  for (const std::string not_json : {"not json", R"({"a": )", "[1,]"}) {
    absl::StatusOr<std::optional<JsonField>> none = FindFieldOfValue(not_json, Path("a"));
    ASSERT_THAT(none, IsOk()) << not_json;
    EXPECT_FALSE(none->has_value()) << not_json;
  }
  absl::StatusOr<std::optional<JsonField>> found = FindFieldOfValue(R"({"a": 1})", Path("a"));
  ASSERT_THAT(found, IsOk());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->raw, "1");
  EXPECT_THAT(FindFieldOfValue(std::string(100000, '['), Path("order.id")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("json_field order.id: JSON nested deeper than 100 arrays and objects "
                          "at byte 100")));
}

TEST(JsonPathTest, ParsesDottedPaths) {
  EXPECT_EQ(Path("order.id").segments(), (std::vector<std::string>{"order", "id"}));
  EXPECT_EQ(Path("order.id").dotted(), "order.id");
  EXPECT_THAT(JsonPath::Parse(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(JsonPath::Parse("a..b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty segment")));
  EXPECT_THAT(JsonPath::Parse(".a"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty segment")));
}

}  // namespace
}  // namespace onceflow::sidecar
