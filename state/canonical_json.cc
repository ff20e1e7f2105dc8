#include "state/canonical_json.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/json_limits.h"
#include "base/json_string.h"
#include "base/utf8.h"

namespace onceflow::state {

namespace {

// `c` for an error message: itself if printable ASCII, else its hex byte value.
std::string DescribeByte(char c) {
  const auto b = static_cast<unsigned char>(c);
  if (b >= 0x20 && b < 0x7f) return absl::StrCat("'", std::string(1, c), "'");
  static constexpr char kDigits[] = "0123456789abcdef";
  return absl::StrCat("byte 0x", std::string(1, kDigits[b >> 4]), std::string(1, kDigits[b & 0xf]));
}

// A strict RFC 8259 recursive-descent parser that writes the canonical form as it goes.
class JsonCanonicalizer {
 public:
  explicit JsonCanonicalizer(absl::string_view in) : in_(in) {}

  absl::StatusOr<std::string> Run() {
    std::string out;
    SkipWhitespace();
    if (absl::Status st = ParseValue(out, 0); !st.ok()) return st;
    SkipWhitespace();
    if (pos_ != in_.size()) {
      return Error(absl::StrCat("unexpected ", DescribeByte(in_[pos_]), " after the value"));
    }
    return out;
  }

 private:
  absl::Status ErrorAt(size_t offset, absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON at byte offset ", offset, ": ", what));
  }
  absl::Status Error(absl::string_view what) const { return ErrorAt(pos_, what); }
  // The parser recurses once per level: deeper documents are refused, not risked on the stack.
  absl::Status TooDeep() const {
    return Error(absl::StrCat("nested deeper than ", base::kMaxJsonDepth, " arrays and objects"));
  }
  absl::Status Unexpected(absl::string_view expected) const {
    if (pos_ >= in_.size())
      return Error(absl::StrCat("unexpected end of input, expected ", expected));
    return Error(absl::StrCat("unexpected ", DescribeByte(in_[pos_]), ", expected ", expected));
  }

  bool AtEnd() const { return pos_ >= in_.size(); }
  char Peek() const { return in_[pos_]; }
  bool Consume(char c) {
    if (AtEnd() || Peek() != c) return false;
    ++pos_;
    return true;
  }
  void SkipWhitespace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) {
      ++pos_;
    }
  }

  absl::Status ParseValue(std::string& out, int depth) {
    if (AtEnd()) return Unexpected("a value");
    switch (Peek()) {
      case '{':
        return ParseObject(out, depth + 1);
      case '[':
        return ParseArray(out, depth + 1);
      case '"': {
        std::string decoded;
        if (absl::Status st = ParseString(decoded); !st.ok()) return st;
        base::AppendJsonString(decoded, out);
        return absl::OkStatus();
      }
      case 't':
        return ParseLiteral("true", out);
      case 'f':
        return ParseLiteral("false", out);
      case 'n':
        return ParseLiteral("null", out);
      default:
        if (Peek() == '-' || (Peek() >= '0' && Peek() <= '9')) return ParseNumber(out);
        return Unexpected("a value");
    }
  }

  absl::Status ParseLiteral(absl::string_view literal, std::string& out) {
    if (in_.substr(pos_, literal.size()) != literal) {
      return Error(absl::StrCat("invalid literal, expected ", literal));
    }
    pos_ += literal.size();
    out.append(literal.data(), literal.size());
    return absl::OkStatus();
  }

  // number = [ minus ] int [ frac ] [ exp ], copied as written.
  absl::Status ParseNumber(std::string& out) {
    const size_t start = pos_;
    auto digits = [this]() {
      const size_t from = pos_;
      while (!AtEnd() && Peek() >= '0' && Peek() <= '9') ++pos_;
      return pos_ - from;
    };
    Consume('-');
    if (!Consume('0')) {
      if (AtEnd() || Peek() < '1' || Peek() > '9') return Unexpected("a digit");
      digits();
    }
    if (Consume('.') && digits() == 0) return Unexpected("a digit after the decimal point");
    if (Consume('e') || Consume('E')) {
      if (!Consume('+')) Consume('-');
      if (digits() == 0) return Unexpected("a digit in the exponent");
    }
    out.append(in_.data() + start, pos_ - start);
    return absl::OkStatus();
  }

  absl::StatusOr<uint32_t> ParseHex4() {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      if (AtEnd()) return Unexpected("a hex digit");
      const char c = Peek();
      uint32_t digit;
      if (c >= '0' && c <= '9') {
        digit = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return Unexpected("a hex digit");
      }
      value = value * 16 + digit;
      ++pos_;
    }
    return value;
  }

  // After the backslash of "\u": one code point, combining a surrogate pair.
  absl::Status ParseUnicodeEscape(std::string& decoded) {
    const size_t escape_start = pos_ - 2;
    absl::StatusOr<uint32_t> unit = ParseHex4();
    if (!unit.ok()) return unit.status();
    uint32_t code_point = *unit;
    if (code_point >= 0xdc00 && code_point <= 0xdfff) {
      return ErrorAt(escape_start, "unpaired low surrogate in \\u escape");
    }
    if (code_point >= 0xd800 && code_point <= 0xdbff) {
      if (!Consume('\\') || !Consume('u')) {
        return ErrorAt(escape_start, "high surrogate in \\u escape not followed by a low one");
      }
      absl::StatusOr<uint32_t> low = ParseHex4();
      if (!low.ok()) return low.status();
      if (*low < 0xdc00 || *low > 0xdfff) {
        return ErrorAt(escape_start, "high surrogate in \\u escape not followed by a low one");
      }
      code_point = 0x10000 + ((code_point - 0xd800) << 10) + (*low - 0xdc00);
    }
    base::AppendUtf8(code_point, decoded);
    return absl::OkStatus();
  }

  // One UTF-8 sequence starting at pos_ (a byte >= 0x80), validated per RFC 3629 (no overlong
  // forms, no surrogates, nothing above U+10FFFF), appended as is.
  absl::Status ParseUtf8(std::string& decoded) {
    const auto lead = static_cast<unsigned char>(Peek());
    int continuation;
    unsigned char low = 0x80;
    unsigned char high = 0xbf;  // bounds of the first continuation byte
    if (lead >= 0xc2 && lead <= 0xdf) {
      continuation = 1;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      continuation = 2;
      if (lead == 0xe0) low = 0xa0;
      if (lead == 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      continuation = 3;
      if (lead == 0xf0) low = 0x90;
      if (lead == 0xf4) high = 0x8f;
    } else {
      return Error(absl::StrCat("invalid UTF-8 lead ", DescribeByte(Peek()), " in string"));
    }
    const size_t start = pos_;
    for (int i = 1; i <= continuation; ++i) {
      if (start + i >= in_.size()) return ErrorAt(start, "truncated UTF-8 sequence in string");
      const auto b = static_cast<unsigned char>(in_[start + i]);
      if (b < (i == 1 ? low : 0x80) || b > (i == 1 ? high : 0xbf)) {
        return ErrorAt(start, "invalid UTF-8 sequence in string");
      }
    }
    decoded.append(in_.data() + start, continuation + 1);
    pos_ += continuation + 1;
    return absl::OkStatus();
  }

  // A string at pos_ (on its opening quote), decoded into `decoded`.
  absl::Status ParseString(std::string& decoded) {
    const size_t start = pos_;
    ++pos_;  // the opening quote
    while (true) {
      if (AtEnd()) return ErrorAt(start, "unterminated string");
      const char c = Peek();
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (c == '\\') {
        ++pos_;
        if (AtEnd()) return ErrorAt(start, "unterminated string");
        const char e = Peek();
        ++pos_;
        switch (e) {
          case '"':
            decoded.push_back('"');
            break;
          case '\\':
            decoded.push_back('\\');
            break;
          case '/':
            decoded.push_back('/');
            break;
          case 'b':
            decoded.push_back('\b');
            break;
          case 'f':
            decoded.push_back('\f');
            break;
          case 'n':
            decoded.push_back('\n');
            break;
          case 'r':
            decoded.push_back('\r');
            break;
          case 't':
            decoded.push_back('\t');
            break;
          case 'u':
            if (absl::Status st = ParseUnicodeEscape(decoded); !st.ok()) return st;
            break;
          default:
            --pos_;
            return Error(absl::StrCat("invalid escape \\", DescribeByte(e)));
        }
        continue;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return Error(absl::StrCat("unescaped control character ", DescribeByte(c), " in string"));
      }
      if (static_cast<unsigned char>(c) >= 0x80) {
        if (absl::Status st = ParseUtf8(decoded); !st.ok()) return st;
        continue;
      }
      decoded.push_back(c);
      ++pos_;
    }
  }

  absl::Status ParseArray(std::string& out, int depth) {
    if (depth > base::kMaxJsonDepth) return TooDeep();
    ++pos_;  // '['
    out.push_back('[');
    SkipWhitespace();
    if (Consume(']')) {
      out.push_back(']');
      return absl::OkStatus();
    }
    while (true) {
      if (absl::Status st = ParseValue(out, depth); !st.ok()) return st;
      SkipWhitespace();
      if (Consume(']')) break;
      if (!Consume(',')) return Unexpected("',' or ']'");
      out.push_back(',');
      SkipWhitespace();
    }
    out.push_back(']');
    return absl::OkStatus();
  }

  absl::Status ParseObject(std::string& out, int depth) {
    if (depth > base::kMaxJsonDepth) return TooDeep();
    struct Member {
      std::string key;    // decoded
      std::string value;  // canonical
      size_t offset;      // of the key, for duplicate errors
    };
    std::vector<Member> members;
    ++pos_;  // '{'
    SkipWhitespace();
    if (!Consume('}')) {
      while (true) {
        if (AtEnd() || Peek() != '"') return Unexpected("a string key");
        Member member;
        member.offset = pos_;
        if (absl::Status st = ParseString(member.key); !st.ok()) return st;
        SkipWhitespace();
        if (!Consume(':')) return Unexpected("':'");
        SkipWhitespace();
        if (absl::Status st = ParseValue(member.value, depth); !st.ok()) return st;
        members.push_back(std::move(member));
        SkipWhitespace();
        if (Consume('}')) break;
        if (!Consume(',')) return Unexpected("',' or '}'");
        SkipWhitespace();
      }
    }
    // Stable, so of two equal keys the later one (whose offset the error names) comes second.
    std::stable_sort(members.begin(), members.end(),
                     [](const Member& a, const Member& b) { return a.key < b.key; });
    out.push_back('{');
    for (size_t i = 0; i < members.size(); ++i) {
      if (i > 0) {
        if (members[i].key == members[i - 1].key) {
          std::string quoted;
          base::AppendJsonString(members[i].key, quoted);
          return ErrorAt(members[i].offset, absl::StrCat("duplicate object key ", quoted));
        }
        out.push_back(',');
      }
      base::AppendJsonString(members[i].key, out);
      out.push_back(':');
      out += members[i].value;
    }
    out.push_back('}');
    return absl::OkStatus();
  }

  absl::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<std::string> CanonicalJson(absl::string_view json) {
  return JsonCanonicalizer(json).Run();
}

}  // namespace onceflow::state
