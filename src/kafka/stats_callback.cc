#include "kafka/stats_callback.h"

#include <atomic>
#include <cstdlib>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "runtime/log.h"

namespace onceflow::kafka {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// The member `name` of `s`, or nullptr.
const Value* Member(const Struct& s, const std::string& name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? nullptr : &it->second;
}

double Number(const Struct& s, const std::string& name, double otherwise) {
  const Value* v = Member(s, name);
  return v != nullptr && v->kind_case() == Value::kNumberValue ? v->number_value() : otherwise;
}

std::string Text(const Struct& s, const std::string& name) {
  const Value* v = Member(s, name);
  return v != nullptr && v->kind_case() == Value::kStringValue ? v->string_value() : "";
}

const Struct* Object(const Struct& s, const std::string& name) {
  const Value* v = Member(s, name);
  return v != nullptr && v->kind_case() == Value::kStructValue ? &v->struct_value() : nullptr;
}

void ReadBrokers(const Struct& brokers, KafkaClientStatistics& out) {
  for (const auto& [key, value] : brokers.fields()) {
    if (value.kind_case() != Value::kStructValue) continue;
    const Struct& broker = value.struct_value();
    // "internal" is librdkafka's own queue pseudo-broker; "logical" ones (GroupCoordinator,
    // TxnCoordinator) are real connections to the coordinator, kept.
    if (Text(broker, "source") == "internal") continue;
    const Struct* rtt = Object(broker, "rtt");
    if (rtt == nullptr || Number(*rtt, "cnt", 0) <= 0) continue;  // no round trip this interval
    std::string name = Text(broker, "name");
    out.brokers.push_back({name.empty() ? key : std::move(name), Number(*rtt, "avg", 0) / 1e6,
                           Number(*rtt, "p99", 0) / 1e6});
  }
}

// A consumer's queue: the messages fetched and not yet polled, summed over its partitions
// (librdkafka's top-level msg_cnt and msg_size count only producer queues).
void ReadFetchQueues(const Struct& topics, KafkaClientStatistics& out) {
  for (const auto& [name, topic] : topics.fields()) {
    if (topic.kind_case() != Value::kStructValue) continue;
    const Struct* partitions = Object(topic.struct_value(), "partitions");
    if (partitions == nullptr) continue;
    for (const auto& [id, partition] : partitions->fields()) {
      if (partition.kind_case() != Value::kStructValue) continue;
      out.queue_messages += static_cast<int64_t>(Number(partition.struct_value(), "fetchq_cnt", 0));
      out.queue_bytes += static_cast<int64_t>(Number(partition.struct_value(), "fetchq_size", 0));
    }
  }
}

}  // namespace

bool StatisticsEnabled(const Properties& props) {
  auto it = props.find("statistics.interval.ms");
  int interval = 0;
  return it != props.end() && absl::SimpleAtoi(it->second, &interval) && interval > 0;
}

absl::StatusOr<KafkaClientStatistics> ParseStatistics(absl::string_view json) {
  Struct doc;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &doc, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("librdkafka statistics: ", parsed.ToString()));
  }
  KafkaClientStatistics out;
  out.client = Text(doc, "type");
  if (out.client == "consumer") {
    if (const Struct* topics = Object(doc, "topics"); topics != nullptr) {
      ReadFetchQueues(*topics, out);
    }
  } else {
    out.queue_messages = static_cast<int64_t>(Number(doc, "msg_cnt", 0));
    out.queue_bytes = static_cast<int64_t>(Number(doc, "msg_size", 0));
  }
  if (const Struct* brokers = Object(doc, "brokers"); brokers != nullptr) {
    ReadBrokers(*brokers, out);
  }
  return out;
}

void DeliverStatistics(const char* json, size_t size, const StatisticsHandler& handler) noexcept {
  if (!handler || json == nullptr) return;
  static std::atomic<bool> warned{false};
  try {
    absl::StatusOr<KafkaClientStatistics> figures = ParseStatistics(absl::string_view(json, size));
    if (figures.ok()) {
      handler(*std::move(figures));
    } else if (!warned.exchange(true)) {
      runtime::Log(runtime::LogLevel::kWarn,
                   absl::StrCat(figures.status().message(), " (not exported; said once)"));
    }
  } catch (...) {
    // Out of memory, or a handler that threw: drop this emission, never unwind into librdkafka.
  }
}

}  // namespace onceflow::kafka
