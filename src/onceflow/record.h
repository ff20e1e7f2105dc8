// Records as transforms see them (Record: a read-only view of one consumed record) and as they
// emit them (OutputRecord: views or owned bytes, cheap to build from an input).
//
//   absl::Status Process(const Record& in, Emitter& out) {
//     // Passthrough: no payload is copied until librdkafka copies it into its produce buffer.
//     out.Emit(OutputRecord::Forward(in).AddHeader("seen-by", "onceflow"));
//     return absl::OkStatus();
//   }
//
// Lifetime: a Record and every view it hands out (key, value, topic, headers) are valid only
// during the Process call that receives it. OutputRecord::Forward keeps views into the input,
// so an OutputRecord built by Forward must be emitted during that same call (the runtime
// produces it before the input goes away); call Own() to keep one longer.
#ifndef ONCEFLOW_RECORD_H_
#define ONCEFLOW_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "onceflow/kafka_types.h"

namespace onceflow {

// A header as (name, value) views. Kafka headers may repeat a name, and keep their order.
using HeaderView = std::pair<absl::string_view, absl::string_view>;

// A read-only view of one consumed record.
class Record {
 public:
  Record() = default;

  absl::string_view topic() const { return topic_; }
  Partition partition() const { return partition_; }
  Offset offset() const { return offset_; }
  // Create time (or log-append time) in ms since the epoch; -1 if the record has none.
  int64_t timestamp_ms() const { return timestamp_ms_; }

  // A null key (has_key() false) reads as empty.
  bool has_key() const { return has_key_; }
  absl::string_view key() const { return key_; }
  // A null value (a tombstone) reads as empty.
  bool has_value() const { return has_value_; }
  absl::string_view value() const { return value_; }

  const std::vector<HeaderView>& headers() const { return headers_; }
  // The value of the last header called `name`, if any.
  std::optional<absl::string_view> header(absl::string_view name) const;

  // Builders, for the runtime and for tests; views must outlive the Record.
  Record& set_topic(absl::string_view t) {
    topic_ = t;
    return *this;
  }
  Record& set_partition(Partition p) {
    partition_ = p;
    return *this;
  }
  Record& set_offset(Offset o) {
    offset_ = o;
    return *this;
  }
  Record& set_timestamp_ms(int64_t t) {
    timestamp_ms_ = t;
    return *this;
  }
  Record& set_key(absl::string_view k) {
    key_ = k;
    has_key_ = true;
    return *this;
  }
  Record& clear_key() {
    key_ = {};
    has_key_ = false;
    return *this;
  }
  Record& set_value(absl::string_view v) {
    value_ = v;
    has_value_ = true;
    return *this;
  }
  Record& clear_value() {
    value_ = {};
    has_value_ = false;
    return *this;
  }
  Record& add_header(absl::string_view name, absl::string_view value) {
    headers_.emplace_back(name, value);
    return *this;
  }
  std::vector<HeaderView>& mutable_headers() { return headers_; }

 private:
  absl::string_view topic_;
  Partition partition_ = Partition(0);
  Offset offset_ = Offset::Invalid();
  int64_t timestamp_ms_ = -1;
  bool has_key_ = false;
  absl::string_view key_;
  bool has_value_ = false;
  absl::string_view value_;
  std::vector<HeaderView> headers_;
};

// Bytes that are null, a view (of an input record, valid during Process), or owned.
class Bytes {
 public:
  Bytes() = default;  // null
  static Bytes View(absl::string_view v) { return Bytes(Kind::kView, v, {}); }
  static Bytes Owned(std::string s) { return Bytes(Kind::kOwned, {}, std::move(s)); }

  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_owned() const { return kind_ == Kind::kOwned; }
  absl::string_view view() const {
    return kind_ == Kind::kOwned ? absl::string_view(owned_) : view_;
  }
  // Copies a view into owned storage (no-op for null and owned bytes).
  void Own() {
    if (kind_ == Kind::kView) *this = Owned(std::string(view_));
  }

 private:
  enum class Kind { kNull, kView, kOwned };
  Bytes(Kind kind, absl::string_view view, std::string owned)
      : kind_(kind), view_(view), owned_(std::move(owned)) {}

  Kind kind_ = Kind::kNull;
  absl::string_view view_;
  std::string owned_;
};

// One record a transform emits.
class OutputRecord {
 public:
  OutputRecord() = default;

  // Key, value, headers and timestamp of `in`, as views (no copy). Emit during the same
  // Process call, or Own() it.
  static OutputRecord Forward(const Record& in);

  // Builders. Each has an rvalue overload, so a record built in one expression and returned
  // or emitted is moved, not copied: `return OutputRecord::Forward(in).SetValue(v);` would
  // otherwise copy the new value and the headers. (Do not bind the result of a builder called
  // on a temporary to a reference: it refers to the temporary.)
  //
  // Where to: empty topic = the processor's default output topic; Partition::Any() = the
  // producer's partitioner (by key). Default: both.
  OutputRecord& SetTopic(std::string topic) & {
    topic_ = std::move(topic);
    return *this;
  }
  OutputRecord&& SetTopic(std::string topic) && { return std::move(SetTopic(std::move(topic))); }
  OutputRecord& SetPartition(Partition p) & {
    partition_ = p;
    return *this;
  }
  OutputRecord&& SetPartition(Partition p) && { return std::move(SetPartition(p)); }
  OutputRecord& SetKey(std::string key) & {
    key_ = Bytes::Owned(std::move(key));
    return *this;
  }
  OutputRecord&& SetKey(std::string key) && { return std::move(SetKey(std::move(key))); }
  OutputRecord& SetKeyView(absl::string_view key) & {
    key_ = Bytes::View(key);
    return *this;
  }
  OutputRecord&& SetKeyView(absl::string_view key) && { return std::move(SetKeyView(key)); }
  OutputRecord& ClearKey() & {
    key_ = Bytes();
    return *this;
  }
  OutputRecord&& ClearKey() && { return std::move(ClearKey()); }
  OutputRecord& SetValue(std::string value) & {
    value_ = Bytes::Owned(std::move(value));
    return *this;
  }
  OutputRecord&& SetValue(std::string value) && { return std::move(SetValue(std::move(value))); }
  OutputRecord& SetValueView(absl::string_view value) & {
    value_ = Bytes::View(value);
    return *this;
  }
  OutputRecord&& SetValueView(absl::string_view value) && { return std::move(SetValueView(value)); }
  OutputRecord& ClearValue() & {
    value_ = Bytes();
    return *this;
  }
  OutputRecord&& ClearValue() && { return std::move(ClearValue()); }
  OutputRecord& AddHeader(std::string name, std::string value) &;
  OutputRecord&& AddHeader(std::string name, std::string value) && {
    return std::move(AddHeader(std::move(name), std::move(value)));
  }
  // Removes every header called `name`.
  OutputRecord& RemoveHeader(absl::string_view name) &;
  OutputRecord&& RemoveHeader(absl::string_view name) && { return std::move(RemoveHeader(name)); }
  OutputRecord& SetTimestampMs(int64_t ts) & {
    timestamp_ms_ = ts;
    return *this;
  }
  OutputRecord&& SetTimestampMs(int64_t ts) && { return std::move(SetTimestampMs(ts)); }

  // Makes every view owned, so the record may outlive the input it was built from.
  OutputRecord& Own() &;
  OutputRecord&& Own() && { return std::move(Own()); }

  const std::string& topic() const { return topic_; }
  Partition partition() const { return partition_; }
  const Bytes& key() const { return key_; }
  const Bytes& value() const { return value_; }
  const std::vector<std::pair<Bytes, Bytes>>& headers() const { return headers_; }
  // The value of the last header called `name`, if any.
  std::optional<absl::string_view> header(absl::string_view name) const;
  // 0 = let the producer stamp the current time.
  int64_t timestamp_ms() const { return timestamp_ms_; }

  // A Record view of this output (for the next stage of a chain); `origin` supplies topic,
  // partition and offset. Valid while both this and `origin` are.
  Record AsRecord(const Record& origin) const;

 private:
  std::string topic_;
  Partition partition_ = Partition::Any();
  Bytes key_;
  Bytes value_;
  std::vector<std::pair<Bytes, Bytes>> headers_;
  int64_t timestamp_ms_ = 0;
};

}  // namespace onceflow

#endif  // ONCEFLOW_RECORD_H_
