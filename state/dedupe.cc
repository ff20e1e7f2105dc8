#include "state/dedupe.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "onceflow/v1/state.pb.h"
#include "state/sha256.h"

namespace onceflow::state {
// Appends `decoded` as a JSON string with the fewest escapes: only '"', '\\' and control
// characters (short forms where JSON has them, else \u00xx); everything else, including '/'
// and non-ASCII UTF-8, as is. Equal decoded strings thus always have equal encodings.
void AppendJsonString(absl::string_view decoded, std::string& out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : decoded) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out.push_back(kDigits[static_cast<unsigned char>(c) >> 4]);
          out.push_back(kDigits[static_cast<unsigned char>(c) & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

namespace {

namespace pb = ::google::protobuf;

// ---------------------------------------------------------------------------------------------
// Canonical JSON

// Deeper documents are refused rather than risking the stack (the parser recurses).
constexpr int kMaxJsonDepth = 512;

// `c` for an error message: itself if printable ASCII, else its hex byte value.
std::string DescribeByte(char c) {
  const auto b = static_cast<unsigned char>(c);
  if (b >= 0x20 && b < 0x7f) return absl::StrCat("'", std::string(1, c), "'");
  static constexpr char kDigits[] = "0123456789abcdef";
  return absl::StrCat("byte 0x", std::string(1, kDigits[b >> 4]), std::string(1, kDigits[b & 0xf]));
}

void AppendUtf8(uint32_t code_point, std::string& out) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  }
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
        AppendJsonString(decoded, out);
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
    AppendUtf8(code_point, decoded);
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
    if (depth > kMaxJsonDepth) return Error("nesting deeper than 512");
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
    if (depth > kMaxJsonDepth) return Error("nesting deeper than 512");
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
          AppendJsonString(members[i].key, quoted);
          return ErrorAt(members[i].offset, absl::StrCat("duplicate object key ", quoted));
        }
        out.push_back(',');
      }
      AppendJsonString(members[i].key, out);
      out.push_back(':');
      out += members[i].value;
    }
    out.push_back('}');
    return absl::OkStatus();
  }

  absl::string_view in_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Key extractors

// An empty key is no key: deduping every record whose id is "" against each other would drop
// all but the first.
std::optional<std::string> NonEmpty(std::optional<absl::string_view> key) {
  if (!key.has_value() || key->empty()) return std::nullopt;
  return std::string(*key);
}

class RecordKeyExtractor final : public KeyExtractor {
 public:
  absl::StatusOr<std::optional<std::string>> Extract(const RecordView& record) const override {
    return NonEmpty(record.key);
  }
};

class HeaderExtractor final : public KeyExtractor {
 public:
  explicit HeaderExtractor(std::string name) : name_(std::move(name)) {}
  absl::StatusOr<std::optional<std::string>> Extract(const RecordView& record) const override {
    std::optional<absl::string_view> value;
    for (const auto& [name, header_value] : record.headers) {
      if (name == name_) value = header_value;  // the last one wins
    }
    return NonEmpty(value);
  }

 private:
  std::string name_;
};

// Keys are the raw 32-byte SHA-256 digest (not hex: half the bytes in RocksDB and the
// changelog). A null value (tombstone) has no key; an empty one hashes like any content.
class ContentHashExtractor final : public KeyExtractor {
 public:
  absl::StatusOr<std::optional<std::string>> Extract(const RecordView& record) const override {
    if (!record.value.has_value()) return std::nullopt;
    return Sha256(*record.value);
  }
};

class JsonHashExtractor final : public KeyExtractor {
 public:
  absl::StatusOr<std::optional<std::string>> Extract(const RecordView& record) const override {
    if (!record.value.has_value()) return std::nullopt;
    absl::StatusOr<std::string> canonical = CanonicalJson(*record.value);
    if (!canonical.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("dedupe json_hash: record value at offset ",
                                                     record.offset, ": ",
                                                     canonical.status().message()));
    }
    return Sha256(*canonical);
  }
};

class ProtoFieldExtractor final : public KeyExtractor {
 public:
  static absl::StatusOr<std::unique_ptr<KeyExtractor>> Create(const pb::Descriptor* descriptor,
                                                              const std::string& field_path) {
    if (descriptor == nullptr) {
      return absl::InvalidArgumentError("dedupe proto_field: DedupeOptions.descriptor is required");
    }
    if (field_path.empty()) {
      return absl::InvalidArgumentError("dedupe proto_field: DedupeOptions.field_path is required");
    }
    std::vector<const pb::FieldDescriptor*> path;
    const pb::Descriptor* message = descriptor;
    const std::vector<absl::string_view> names = absl::StrSplit(field_path, '.');
    for (size_t i = 0; i < names.size(); ++i) {
      auto invalid = [&](absl::string_view why) {
        return absl::InvalidArgumentError(absl::StrCat("dedupe proto_field: field path \"",
                                                       field_path, "\" of ",
                                                       descriptor->full_name(), ": ", why));
      };
      if (message == nullptr) {
        return invalid(absl::StrCat("\"", names[i - 1], "\" is not a message"));
      }
      const pb::FieldDescriptor* field = message->FindFieldByName(std::string(names[i]));
      if (field == nullptr) {
        return invalid(absl::StrCat(message->full_name(), " has no field \"", names[i], "\""));
      }
      if (field->is_repeated()) {
        return invalid(
            absl::StrCat("\"", names[i], "\" is repeated; only singular fields can be keys"));
      }
      path.push_back(field);
      message = field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE ? field->message_type()
                                                                          : nullptr;
    }
    const pb::FieldDescriptor* leaf = path.back();
    switch (leaf->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_STRING:
      case pb::FieldDescriptor::CPPTYPE_INT32:
      case pb::FieldDescriptor::CPPTYPE_INT64:
      case pb::FieldDescriptor::CPPTYPE_UINT32:
      case pb::FieldDescriptor::CPPTYPE_UINT64:
      case pb::FieldDescriptor::CPPTYPE_ENUM:
      case pb::FieldDescriptor::CPPTYPE_BOOL:
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("dedupe proto_field: field path \"", field_path, "\" of ",
                         descriptor->full_name(), " ends in a field of type ", leaf->type_name(),
                         "; keys must be string, bytes, integer, enum or bool"));
    }
    return std::unique_ptr<KeyExtractor>(new ProtoFieldExtractor(descriptor, std::move(path)));
  }

  absl::StatusOr<std::optional<std::string>> Extract(const RecordView& record) const override {
    if (!record.value.has_value()) return std::nullopt;
    std::unique_ptr<pb::Message> parsed(prototype_->New());
    if (record.value->size() > static_cast<size_t>(INT_MAX) ||
        !parsed->ParseFromArray(record.value->data(), static_cast<int>(record.value->size()))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dedupe proto_field: record value at offset ", record.offset, " is not a valid ",
          prototype_->GetDescriptor()->full_name(), " (binary protobuf)"));
    }
    const pb::Message* message = parsed.get();
    for (const pb::FieldDescriptor* field : path_) {
      const pb::Reflection* reflection = message->GetReflection();
      // Without presence (proto3 scalars), HasField is false for the default value: 0, "" and
      // false read as "no key", like an unset field.
      if (!reflection->HasField(*message, field)) return std::nullopt;
      if (field != path_.back()) {
        message = &reflection->GetMessage(*message, field);
        continue;
      }
      switch (field->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_STRING: {
          std::string value = reflection->GetString(*message, field);
          if (value.empty()) return std::nullopt;
          return value;
        }
        case pb::FieldDescriptor::CPPTYPE_INT32:
          return absl::StrCat(reflection->GetInt32(*message, field));
        case pb::FieldDescriptor::CPPTYPE_INT64:
          return absl::StrCat(reflection->GetInt64(*message, field));
        case pb::FieldDescriptor::CPPTYPE_UINT32:
          return absl::StrCat(reflection->GetUInt32(*message, field));
        case pb::FieldDescriptor::CPPTYPE_UINT64:
          return absl::StrCat(reflection->GetUInt64(*message, field));
        case pb::FieldDescriptor::CPPTYPE_ENUM:
          // The number, not the name: stable across renames.
          return absl::StrCat(reflection->GetEnumValue(*message, field));
        case pb::FieldDescriptor::CPPTYPE_BOOL:
          return std::string(reflection->GetBool(*message, field) ? "true" : "false");
        default:
          break;  // refused by Create
      }
    }
    return absl::InternalError("dedupe proto_field: unreachable field type");
  }

 private:
  ProtoFieldExtractor(const pb::Descriptor* descriptor,
                      std::vector<const pb::FieldDescriptor*> path)
      : path_(std::move(path)) {
    // Compiled-in types parse with their generated code; others with dynamic messages.
    factory_.SetDelegateToGeneratedFactory(true);
    prototype_ = factory_.GetPrototype(descriptor);
  }

  pb::DynamicMessageFactory factory_;  // owns *prototype_
  const pb::Message* prototype_ = nullptr;
  std::vector<const pb::FieldDescriptor*> path_;
};

class FunctionExtractor final : public KeyExtractor {
 public:
  explicit FunctionExtractor(std::function<std::optional<std::string>(const RecordView&)> fn)
      : fn_(std::move(fn)) {}
  absl::StatusOr<std::optional<std::string>> Extract(const RecordView& record) const override {
    std::optional<std::string> key = fn_(record);
    if (key.has_value() && key->empty()) return std::nullopt;
    return key;
  }

 private:
  std::function<std::optional<std::string>(const RecordView&)> fn_;
};

// ---------------------------------------------------------------------------------------------
// Deduper storage layout

constexpr char kEntryPrefix = 'k';
constexpr char kTimePrefix = 't';
constexpr size_t kTimeKeyHeader = 1 + 8;  // "t" + big-endian ms
// Expire deletes in chunks: a scan callback must not write, so keys are collected first.
constexpr size_t kExpireChunk = 1024;

std::string EntryKey(absl::string_view key) {
  std::string out;
  out.reserve(1 + key.size());
  out.push_back(kEntryPrefix);
  out.append(key.data(), key.size());
  return out;
}

// Big-endian so that the bytewise order of the index is the time order.
std::string TimeKey(int64_t ms, absl::string_view key) {
  std::string out;
  out.reserve(kTimeKeyHeader + key.size());
  out.push_back(kTimePrefix);
  const auto u = static_cast<uint64_t>(ms);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(u >> shift));
  out.append(key.data(), key.size());
  return out;
}

int64_t TimeKeyMs(absl::string_view time_key) {
  uint64_t u = 0;
  for (size_t i = 1; i < kTimeKeyHeader; ++i)
    u = (u << 8) | static_cast<unsigned char>(time_key[i]);
  return static_cast<int64_t>(u);
}

absl::StatusOr<v1::DedupeEntry> ParseEntry(absl::string_view entry_key, const std::string& bytes) {
  v1::DedupeEntry entry;
  if (!entry.ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat("dedupe entry for key of ", entry_key.size() - 1,
                                            " bytes is not a valid DedupeEntry"));
  }
  return entry;
}

}  // namespace

absl::StatusOr<std::string> CanonicalJson(absl::string_view json) {
  return JsonCanonicalizer(json).Run();
}

absl::StatusOr<std::unique_ptr<KeyExtractor>> KeyExtractor::Create(const DedupeOptions& options) {
  switch (options.source) {
    case DedupeKeySource::kRecordKey:
      return std::make_unique<RecordKeyExtractor>();
    case DedupeKeySource::kHeader:
      if (options.header.empty()) {
        return absl::InvalidArgumentError("dedupe header: DedupeOptions.header is required");
      }
      return std::make_unique<HeaderExtractor>(options.header);
    case DedupeKeySource::kContentHash:
      return std::make_unique<ContentHashExtractor>();
    case DedupeKeySource::kJsonHash:
      return std::make_unique<JsonHashExtractor>();
    case DedupeKeySource::kProtoField:
      return ProtoFieldExtractor::Create(options.descriptor, options.field_path);
    case DedupeKeySource::kFunction:
      if (!options.key_fn) {
        return absl::InvalidArgumentError("dedupe function: DedupeOptions.key_fn is required");
      }
      return std::make_unique<FunctionExtractor>(options.key_fn);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown DedupeKeySource ", static_cast<int>(options.source)));
}

absl::StatusOr<std::unique_ptr<Deduper>> Deduper::Create(DedupeOptions options,
                                                         base::Clock& clock) {
  if (options.window.count() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("dedupe window must be >= 0 (0 = forever), got ",
                                                   options.window.count(), " ms"));
  }
  absl::StatusOr<std::unique_ptr<KeyExtractor>> extractor = KeyExtractor::Create(options);
  if (!extractor.ok()) return extractor.status();
  return std::make_unique<Deduper>(PrivateTag{}, std::move(options), *std::move(extractor), clock);
}

Deduper::Deduper(PrivateTag, DedupeOptions options, std::unique_ptr<KeyExtractor> extractor,
                 base::Clock& clock)
    : options_(std::move(options)), extractor_(std::move(extractor)), clock_(clock) {}

absl::StatusOr<Deduper::Verdict> Deduper::Check(const RecordView& record, KeyValueStore& store) {
  absl::StatusOr<std::optional<std::string>> key = extractor_->Extract(record);
  if (!key.ok()) return key.status();
  ++counters_.seen;
  if (!key->has_value() || (*key)->empty()) {
    ++counters_.keyless;
    return Verdict::kKeyless;
  }
  const absl::string_view id = **key;
  // Clamped so that the big-endian time index sorts (a clock before 1970 is not expected).
  const int64_t now = std::max<int64_t>(clock_.NowMs(), 0);
  const int64_t window_ms = options_.window.count();
  const std::string entry_key = EntryKey(id);

  absl::StatusOr<std::optional<std::string>> existing = store.Get(entry_key);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    absl::StatusOr<v1::DedupeEntry> entry = ParseEntry(entry_key, **existing);
    if (!entry.ok()) return entry.status();
    if (record.offset >= 0 && entry->input_offset() == record.offset &&
        entry->input_topic() == record.topic) {
      // The entry is this very record's: its transform is being retried, or an at-least-once
      // replay brings it again. It is not a duplicate of itself; nothing to write.
      ++counters_.rechecked;
      return Verdict::kPass;
    }
    if (window_ms == 0 || now - entry->first_seen_ms() < window_ms) {
      ++counters_.duplicates;
      return Verdict::kDuplicate;
    }
    // Outside the window but not yet removed by Expire: this sighting replaces the old one.
    if (absl::Status st = store.Delete(TimeKey(entry->first_seen_ms(), id)); !st.ok()) return st;
  }

  v1::DedupeEntry entry;
  entry.set_first_seen_ms(now);
  entry.set_input_offset(record.offset);
  entry.set_input_topic(std::string(record.topic));
  if (absl::Status st = store.Put(entry_key, entry.SerializeAsString()); !st.ok()) return st;
  if (window_ms > 0) {
    if (absl::Status st = store.Put(TimeKey(now, id), ""); !st.ok()) return st;
  }
  ++counters_.passed;
  return Verdict::kPass;
}

absl::StatusOr<int64_t> Deduper::Expire(KeyValueStore& store, int64_t limit) {
  const int64_t window_ms = options_.window.count();
  if (window_ms == 0) return 0;  // forever: there is no time index
  const int64_t now = std::max<int64_t>(clock_.NowMs(), 0);
  // Entries first seen at or before `cutoff` are outside the window (Check agrees: it calls a
  // key a duplicate only while now - first_seen < window).
  const int64_t cutoff = now - window_ms;
  if (cutoff < 0) return 0;
  const std::string end = TimeKey(cutoff + 1, "");
  std::string begin(1, kTimePrefix);
  int64_t removed = 0;
  while (removed < limit) {
    const size_t want = static_cast<size_t>(std::min<int64_t>(kExpireChunk, limit - removed));
    std::vector<std::string> chunk;
    absl::Status scanned = store.Scan(begin, end, [&](absl::string_view k, absl::string_view) {
      chunk.emplace_back(k);
      return chunk.size() < want;
    });
    if (!scanned.ok()) return scanned;
    for (const std::string& time_key : chunk) {
      if (time_key.size() > kTimeKeyHeader) {
        const absl::string_view id = absl::string_view(time_key).substr(kTimeKeyHeader);
        const std::string entry_key = EntryKey(id);
        absl::StatusOr<std::optional<std::string>> existing = store.Get(entry_key);
        if (!existing.ok()) return existing.status();
        if (existing->has_value()) {
          absl::StatusOr<v1::DedupeEntry> entry = ParseEntry(entry_key, **existing);
          if (!entry.ok()) return entry.status();
          // A key seen again after its window has a newer entry (and index): keep that one.
          if (entry->first_seen_ms() == TimeKeyMs(time_key)) {
            if (absl::Status st = store.Delete(entry_key); !st.ok()) return st;
          }
        }
      }
      if (absl::Status st = store.Delete(time_key); !st.ok()) return st;
      ++removed;
    }
    if (chunk.size() < want) break;
    begin = chunk.back();
    begin.push_back('\0');  // the next key after it
  }
  counters_.expired += removed;
  return removed;
}

}  // namespace onceflow::state
