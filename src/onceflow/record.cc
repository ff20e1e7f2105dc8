#include "onceflow/record.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace onceflow {

std::optional<absl::string_view> Record::header(absl::string_view name) const {
  // Kafka headers may repeat a name; the last one wins, as in most Kafka clients.
  for (auto it = headers_.rbegin(); it != headers_.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return std::nullopt;
}

OutputRecord OutputRecord::Forward(const Record& in) {
  OutputRecord out;
  if (in.has_key()) out.key_ = Bytes::View(in.key());
  if (in.has_value()) out.value_ = Bytes::View(in.value());
  if (!in.headers().empty()) {
    // Room for a couple of AddHeader calls ("forward and tag") in the same allocation.
    out.headers_.reserve(in.headers().size() + 2);
  }
  for (const HeaderView& h : in.headers()) {
    out.headers_.emplace_back(Bytes::View(h.first), Bytes::View(h.second));
  }
  // A record without a timestamp (-1) becomes 0: the producer stamps it.
  out.timestamp_ms_ = in.timestamp_ms() < 0 ? 0 : in.timestamp_ms();
  return out;
}

OutputRecord& OutputRecord::AddHeader(std::string name, std::string value) & {
  headers_.emplace_back(Bytes::Owned(std::move(name)), Bytes::Owned(std::move(value)));
  return *this;
}

OutputRecord& OutputRecord::RemoveHeader(absl::string_view name) & {
  headers_.erase(
      std::remove_if(headers_.begin(), headers_.end(),
                     [name](const std::pair<Bytes, Bytes>& h) { return h.first.view() == name; }),
      headers_.end());
  return *this;
}

OutputRecord& OutputRecord::Own() & {
  key_.Own();
  value_.Own();
  for (auto& [name, value] : headers_) {
    name.Own();
    value.Own();
  }
  return *this;
}

std::optional<absl::string_view> OutputRecord::header(absl::string_view name) const {
  for (auto it = headers_.rbegin(); it != headers_.rend(); ++it) {
    if (it->first.view() == name) return it->second.view();
  }
  return std::nullopt;
}

Record OutputRecord::AsRecord(const Record& origin) const {
  Record r;
  r.set_topic(origin.topic()).set_partition(origin.partition()).set_offset(origin.offset());
  // 0 means "no timestamp of its own yet": the next stage sees the input's.
  r.set_timestamp_ms(timestamp_ms_ != 0 ? timestamp_ms_ : origin.timestamp_ms());
  if (!key_.is_null()) r.set_key(key_.view());
  if (!value_.is_null()) r.set_value(value_.view());
  std::vector<HeaderView>& headers = r.mutable_headers();
  headers.reserve(headers_.size());
  for (const auto& [name, value] : headers_) headers.emplace_back(name.view(), value.view());
  return r;
}

}  // namespace onceflow
