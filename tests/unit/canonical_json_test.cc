#include "state/canonical_json.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::state {
namespace {

using ::onceflow::testing::IsOkAndHolds;
using ::onceflow::testing::StatusIs;
using ::testing::HasSubstr;

TEST(CanonicalJsonTest, Canonicalizes) {
  struct Case {
    std::string input;
    std::string canonical;
  };
  const Case cases[] = {
      {R"({"b":1,"a":2})", R"({"a":2,"b":1})"},
      {" { \"b\" : [1, 2],\n\t\"a\" : 1 }\r\n", R"({"a":1,"b":[1,2]})"},
      {R"({"z":{"y":1,"x":2},"a":[{"c":1,"b":2}]})", R"({"a":[{"b":2,"c":1}],"z":{"x":2,"y":1}})"},
      {"[3,1,2]", "[3,1,2]"},
      {" [ ] ", "[]"},
      {"{ }", "{}"},
      {"[true,false,null]", "[true,false,null]"},
      {" 42 ", "42"},
      // Numbers are copied as written: 1.0 and 1 stay different.
      {"[-0.5e+10,1.0,1,0,-0,1E3,2e-7]", "[-0.5e+10,1.0,1,0,-0,1E3,2e-7]"},
      // Keys sort by their decoded bytes.
      {R"({"\u00e9":1,"aa":2,"a":3,"B":4})", "{\"B\":4,\"a\":3,\"aa\":2,\"\xc3\xa9\":1}"},
      // Strings: decoded, then re-escaped minimally.
      {R"("a\/b")", R"("a/b")"},
      {R"("\u0041\u00e9")", "\"A\xc3\xa9\""},
      {"\"\xc3\xa9\"", "\"\xc3\xa9\""},
      {R"("\ud83d\ude00")", "\"\xf0\x9f\x98\x80\""},
      {R"("\u000A\u0009\u001f\u0000")", R"("\n\t\u001f\u0000")"},
      {R"("\"\\")", R"("\"\\")"},
      {R"("\b\f\n\r\t")", R"("\b\f\n\r\t")"},
      {"\"\x7f\"", "\"\x7f\""},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(CanonicalJson(c.input), IsOkAndHolds(c.canonical)) << c.input;
  }
}

TEST(CanonicalJsonTest, NestsUpToTheLimit) {
  const std::string arrays = std::string(100, '[') + std::string(100, ']');
  EXPECT_THAT(CanonicalJson(arrays), IsOkAndHolds(arrays));
  std::string objects;
  for (int i = 0; i < 100; ++i) objects += R"({"a":)";
  objects += "1" + std::string(100, '}');
  EXPECT_THAT(CanonicalJson(objects), IsOkAndHolds(objects));
  EXPECT_THAT(CanonicalJson("[" + objects + "]"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("offset 496: nested deeper than 100 arrays and objects")));
}

TEST(CanonicalJsonTest, MalformedNamesTheByteOffset) {
  struct Case {
    std::string input;
    const char* message;  // a substring of the error
  };
  const Case cases[] = {
      {"", "offset 0: unexpected end of input"},
      {"   ", "offset 3: unexpected end of input"},
      {R"({"a":1,})", "offset 7: unexpected '}', expected a string key"},
      {R"({"a" 1})", "offset 5: unexpected '1', expected ':'"},
      {R"({a:1})", "offset 1"},
      {"[1,2", "offset 4: unexpected end of input, expected ',' or ']'"},
      {"[1,]", "offset 3"},
      {"[01]", "offset 2"},
      {"1.", "offset 2: unexpected end of input, expected a digit"},
      {"1.e5", "offset 2"},
      {"1e", "offset 2"},
      {"-", "offset 1"},
      {"+1", "offset 0"},
      {"tru", "offset 0: invalid literal, expected true"},
      {"NaN", "offset 0"},
      {"'a'", "offset 0"},
      {R"({"a":1}x)", "offset 7: unexpected 'x' after the value"},
      {"1 2", "offset 2"},
      {R"("abc)", "offset 0: unterminated string"},
      {"\"a\x01\"", "offset 2: unescaped control character byte 0x01"},
      {R"("\q")", "offset 2: invalid escape"},
      {R"("\u12G4")", "offset 5: unexpected 'G', expected a hex digit"},
      {R"("\ud800")", "offset 1: high surrogate"},
      {R"("\ud800\u0041")", "offset 1: high surrogate"},
      {R"("\udc00")", "offset 1: unpaired low surrogate"},
      {"\"\xff\"", "offset 1: invalid UTF-8"},
      {"\"\xc3\"", "offset 1: invalid UTF-8"},
      {"\"\xc0\xaf\"", "offset 1: invalid UTF-8"},          // overlong '/'
      {"\"\xed\xa0\x80\"", "offset 1: invalid UTF-8"},      // an encoded surrogate
      {"\"\xf4\x90\x80\x80\"", "offset 1: invalid UTF-8"},  // above U+10FFFF
      {R"({"a":1,"a":2})", "offset 7: duplicate object key \"a\""},
      {R"({"a":1,"\u0061":2})", "offset 7: duplicate object key \"a\""},
      // Past 100 levels the parser stops rather than risk the stack.
      {std::string(101, '['), "offset 100: nested deeper than 100 arrays and objects"},
      {std::string(100000, '['), "offset 100: nested deeper than 100 arrays and objects"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(CanonicalJson(c.input),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.input;
  }
}

}  // namespace
}  // namespace onceflow::state
