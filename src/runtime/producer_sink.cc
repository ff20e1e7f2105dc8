#include "runtime/producer_sink.h"

#include <algorithm>
#include <utility>

#include "kafka/error.h"

namespace onceflow::runtime {
namespace {

// The opaque of a produced record: bit 63 = changelog; bits 48..62 = partition index + 1
// (0 = no input); bits 0..47 = the input's offset. Inputs beyond 32,766 partitions or offset
// 2^48 are produced untagged: their failures still abort and replay, but cannot be charged to
// one input.
constexpr uint64_t kChangelogBit = uint64_t{1} << 63;
constexpr int kIndexShift = 48;
constexpr uint64_t kIndexMask = (uint64_t{1} << 15) - 1;
constexpr uint64_t kOffsetMask = (uint64_t{1} << kIndexShift) - 1;

constexpr std::chrono::milliseconds kMaxQueueWait{30000};

}  // namespace

ProducerSink::ProducerSink(ProducerClient& producer, base::Clock& clock)
    : producer_(producer), clock_(clock) {
  producer_.SetDeliveryHandler([this](const kafka::DeliveryReport& r) { OnDelivery(r); });
}

void ProducerSink::SetInput(uint32_t partition_index, Offset offset) {
  const uint64_t index = uint64_t{partition_index} + 1;
  if (index > kIndexMask || offset.value() < 0 ||
      static_cast<uint64_t>(offset.value()) > kOffsetMask) {
    input_tag_ = 0;
    return;
  }
  input_tag_ = (index << kIndexShift) | static_cast<uint64_t>(offset.value());
}

absl::Status ProducerSink::Send(const std::string& topic, const OutputRecord& record) {
  kafka::OutMessage m;
  m.topic = topic;
  m.partition = record.partition();
  m.key = record.key().view();
  m.null_key = record.key().is_null();
  m.value = record.value().view();
  m.null_value = record.value().is_null();
  m.timestamp_ms = record.timestamp_ms();
  m.headers.reserve(record.headers().size());
  for (const auto& [name, value] : record.headers()) {
    m.headers.emplace_back(name.view(), value.view());
  }
  return Produce(m, /*changelog=*/false);
}

absl::Status ProducerSink::SendChangelog(const std::string& topic, int32_t partition,
                                         absl::string_view key,
                                         std::optional<absl::string_view> value) {
  kafka::OutMessage m;
  m.topic = topic;
  m.partition = Partition(partition);
  m.key = key;
  m.value = value.value_or(absl::string_view());
  m.null_value = !value.has_value();
  return Produce(m, /*changelog=*/true);
}

absl::Status ProducerSink::Produce(kafka::OutMessage& m, bool changelog) {
  uint64_t tag = input_tag_;
  if (changelog) tag |= kChangelogBit;
  // Not a pointer: an integer carried in the opaque slot, decoded in OnDelivery.
  m.opaque = reinterpret_cast<void*>(static_cast<uintptr_t>(tag));
  std::chrono::milliseconds wait = kMaxQueueWait;
  if (deadline_.has_value()) {
    wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(*deadline_ -
                                                                            clock_.SteadyNow()),
                      std::chrono::milliseconds(0), kMaxQueueWait);
  }
  absl::Status st = producer_.Produce(m, wait);
  if (st.ok()) ++produced_;
  return st;
}

void ProducerSink::OnDelivery(const kafka::DeliveryReport& report) {
  ++reported_;
  const uint64_t tag = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(report.opaque));
  const bool changelog = (tag & kChangelogBit) != 0;
  if (report.status.ok()) {
    if (changelog && changelog_delivered_) changelog_delivered_(report.position);
    return;
  }
  // Purged by our own abort: that unit is already given up.
  if (kafka::IsPurged(report.status)) return;
  DeliveryFailure f;
  f.topic = report.position.tp.topic;
  f.status = report.status;
  f.changelog = changelog;
  const uint64_t index = (tag >> kIndexShift) & kIndexMask;
  if (index != 0) {
    f.input = std::make_pair(static_cast<uint32_t>(index - 1),
                             static_cast<int64_t>(tag & kOffsetMask));
  }
  failures_.push_back(std::move(f));
}

std::vector<DeliveryFailure> ProducerSink::TakeFailures() {
  std::vector<DeliveryFailure> out;
  out.swap(failures_);
  return out;
}

}  // namespace onceflow::runtime
