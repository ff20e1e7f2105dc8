#include "sidecar/json_field.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "base/json_limits.h"
#include "base/utf8.h"

namespace onceflow::sidecar {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

uint32_t Hex4(absl::string_view s) {
  uint32_t v = 0;
  for (char c : s.substr(0, 4)) v = v * 16 + static_cast<uint32_t>(HexValue(c));
  return v;
}

// Decodes the contents of a string literal (between its quotes) that the scanner validated.
// A lone surrogate becomes U+FFFD.
void DecodeString(absl::string_view content, std::string& out) {
  out.clear();
  out.reserve(content.size());
  for (size_t i = 0; i < content.size(); ++i) {
    const char c = content[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    const char e = content[++i];
    switch (e) {
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        uint32_t cp = Hex4(content.substr(i + 1));
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < content.size() && content[i + 1] == '\\' &&
            content[i + 2] == 'u') {
          const uint32_t low = Hex4(content.substr(i + 3));
          if (low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
        base::AppendUtf8(cp, out);
        break;
      }
      default:  // '"', '\\', '/'
        out.push_back(e);
        break;
    }
  }
}

// One validating pass over the document. `level` says where a value sits relative to the
// path: the top-level value is at level 0, a member called path[0] of it at level 1, and so
// on; values off the path are at kOffPath and are only validated.
class Scanner {
 public:
  Scanner(absl::string_view in, const std::vector<std::string>& path) : in_(in), path_(path) {}

  absl::StatusOr<std::optional<JsonField>> Run() {
    SkipWhitespace();
    if (absl::Status st = Value(0, 0); !st.ok()) return st;
    SkipWhitespace();
    if (pos_ != in_.size()) return Error("unexpected characters after the JSON value");
    return found_;
  }

 private:
  static constexpr size_t kOffPath = SIZE_MAX;

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("not JSON: ", what, " at byte ", pos_));
  }

  void SkipWhitespace() {
    while (pos_ < in_.size()) {
      const char c = in_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  bool Consume(char c) {
    if (pos_ < in_.size() && in_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  absl::Status Value(int depth, size_t level) {
    if (pos_ >= in_.size()) return Error("unexpected end of input");
    // The scanner recurses once per level: deeper documents are refused, not risked on the
    // stack. `depth` arrays and objects enclose this value.
    if ((in_[pos_] == '{' || in_[pos_] == '[') && depth >= base::kMaxJsonDepth) {
      return absl::OutOfRangeError(absl::StrCat("JSON nested deeper than ", base::kMaxJsonDepth,
                                                " arrays and objects at byte ", pos_));
    }
    const size_t start = pos_;
    JsonType type;
    absl::Status st;
    switch (in_[pos_]) {
      case '{':
        type = JsonType::kObject;
        st = Object(depth, level);
        break;
      case '[':
        type = JsonType::kArray;
        st = Array(depth);
        break;
      case '"': {
        type = JsonType::kString;
        bool escaped = false;
        st = String(escaped);
        break;
      }
      case 't':
        type = JsonType::kBool;
        st = Literal("true");
        break;
      case 'f':
        type = JsonType::kBool;
        st = Literal("false");
        break;
      case 'n':
        type = JsonType::kNull;
        st = Literal("null");
        break;
      default:
        type = JsonType::kNumber;
        st = Number();
        break;
    }
    if (!st.ok()) return st;
    if (level != kOffPath && level == path_.size() && level > 0) {
      found_ = JsonField{type, in_.substr(start, pos_ - start)};
    }
    return absl::OkStatus();
  }

  absl::Status Object(int depth, size_t level) {
    ++pos_;  // '{'
    SkipWhitespace();
    if (Consume('}')) return absl::OkStatus();
    const bool on_path = level != kOffPath && level < path_.size();
    while (true) {
      SkipWhitespace();
      if (pos_ >= in_.size() || in_[pos_] != '"') return Error("expected a member name");
      const size_t name_start = pos_ + 1;
      bool escaped = false;
      if (absl::Status st = String(escaped); !st.ok()) return st;
      size_t member_level = kOffPath;
      if (on_path &&
          NameEquals(in_.substr(name_start, pos_ - 1 - name_start), escaped, path_[level])) {
        // A repeated name replaces what an earlier member of that name held.
        found_.reset();
        member_level = level + 1;
      }
      SkipWhitespace();
      if (!Consume(':')) return Error("expected ':'");
      SkipWhitespace();
      if (absl::Status st = Value(depth + 1, member_level); !st.ok()) return st;
      SkipWhitespace();
      if (Consume('}')) return absl::OkStatus();
      if (!Consume(',')) return Error("expected ',' or '}'");
    }
  }

  absl::Status Array(int depth) {
    ++pos_;  // '['
    SkipWhitespace();
    if (Consume(']')) return absl::OkStatus();
    while (true) {
      SkipWhitespace();
      if (absl::Status st = Value(depth + 1, kOffPath); !st.ok()) return st;
      SkipWhitespace();
      if (Consume(']')) return absl::OkStatus();
      if (!Consume(',')) return Error("expected ',' or ']'");
    }
  }

  // A string literal; leaves pos_ after the closing quote. `escaped`: it contains escapes.
  absl::Status String(bool& escaped) {
    ++pos_;  // '"'
    while (pos_ < in_.size()) {
      const unsigned char c = static_cast<unsigned char>(in_[pos_]);
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (c < 0x20) return Error("control character in a string");
      if (c == '\\') {
        escaped = true;
        if (++pos_ >= in_.size()) break;
        const char e = in_[pos_];
        if (e == 'u') {
          for (int i = 1; i <= 4; ++i) {
            if (pos_ + i >= in_.size() || HexValue(in_[pos_ + i]) < 0) {
              return Error("bad \\u escape");
            }
          }
          pos_ += 4;
        } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' &&
                   e != 'r' && e != 't') {
          return Error("bad escape");
        }
      }
      ++pos_;
    }
    return Error("unterminated string");
  }

  absl::Status Literal(absl::string_view word) {
    if (in_.substr(pos_, word.size()) != word) return Error("unexpected character");
    pos_ += word.size();
    return absl::OkStatus();
  }

  absl::Status Number() {
    auto digit = [this] { return pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9'; };
    auto digits = [&] {
      if (!digit()) return false;
      while (digit()) ++pos_;
      return true;
    };
    Consume('-');
    if (Consume('0')) {
      // No leading zeros.
    } else if (!digits()) {
      return Error("unexpected character");
    }
    if (Consume('.') && !digits()) return Error("expected a digit after '.'");
    if (Consume('e') || Consume('E')) {
      if (!Consume('+')) Consume('-');
      if (!digits()) return Error("expected a digit in the exponent");
    }
    return absl::OkStatus();
  }

  bool NameEquals(absl::string_view raw, bool escaped, const std::string& want) {
    if (!escaped) return raw == want;
    DecodeString(raw, name_scratch_);
    return name_scratch_ == want;
  }

  absl::string_view in_;
  const std::vector<std::string>& path_;
  size_t pos_ = 0;
  std::optional<JsonField> found_;
  std::string name_scratch_;
};

}  // namespace

absl::StatusOr<JsonPath> JsonPath::Parse(absl::string_view dotted) {
  if (dotted.empty()) return absl::InvalidArgumentError("JSON field path is empty");
  JsonPath path;
  path.dotted_ = std::string(dotted);
  for (absl::string_view segment : absl::StrSplit(dotted, '.')) {
    if (segment.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("JSON field path \"", dotted, "\" has an empty segment"));
    }
    path.segments_.emplace_back(segment);
  }
  return path;
}

absl::string_view JsonField::Text(std::string& scratch) const {
  if (type != JsonType::kString) return raw;
  const absl::string_view content = raw.substr(1, raw.size() - 2);
  if (content.find('\\') == absl::string_view::npos) return content;
  DecodeString(content, scratch);
  return scratch;
}

absl::StatusOr<std::optional<JsonField>> FindJsonField(absl::string_view json,
                                                       const JsonPath& path) {
  return Scanner(json, path.segments()).Run();
}

absl::StatusOr<std::optional<JsonField>> FindFieldOfValue(absl::string_view value,
                                                          const JsonPath& path) {
  absl::StatusOr<std::optional<JsonField>> field = FindJsonField(value, path);
  if (field.ok()) return field;
  if (field.status().code() == absl::StatusCode::kOutOfRange) {
    return absl::InvalidArgumentError(
        absl::StrCat("json_field ", path.dotted(), ": ", field.status().message()));
  }
  return std::nullopt;  // not JSON: no such field
}

}  // namespace onceflow::sidecar
