#include "kafka/read_to_end.h"

#include <unistd.h>

#include <atomic>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "kafka/admin.h"
#include "kafka/consumer.h"
#include "onceflow/status_macros.h"

namespace onceflow::kafka {

absl::Status ReadToEnd(const Properties& props, const std::string& topic,
                       const ReadToEndOptions& options,
                       const std::function<void(const ConsumedMessage&)>& fn) {
  static std::atomic<int64_t> readers{0};
  Properties p = props;
  if (p.count("group.id") == 0) {
    p["group.id"] = absl::StrCat("onceflow-read-to-end-", ::getpid(), "-", readers++);
  }
  p["isolation.level"] = options.read_committed ? "read_committed" : "read_uncommitted";
  p["enable.partition.eof"] = "true";
  p["auto.offset.reset"] = "earliest";
  p["enable.auto.commit"] = "false";
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<Admin> admin, Admin::Create(props));
  ONCEFLOW_ASSIGN_OR_RETURN(const int partitions,
                            admin->PartitionCount(topic, std::chrono::seconds(30)));
  ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<Consumer> consumer, Consumer::Create(p));
  std::vector<int64_t> high(static_cast<size_t>(partitions), 0);
  // The next offset `fn` has not seen, per partition: a position reset may deliver again.
  std::vector<int64_t> next(static_cast<size_t>(partitions), 0);
  std::vector<TopicPartitionOffset> assignment;
  std::set<int32_t> done;
  for (int32_t i = 0; i < partitions; ++i) {
    const TopicPartition tp{topic, Partition(i)};
    if (options.until_high_watermark) {
      ONCEFLOW_ASSIGN_OR_RETURN(auto marks, consumer->Watermarks(tp, std::chrono::seconds(30)));
      high[static_cast<size_t>(i)] = marks.second.value();
      if (marks.second.value() == 0) done.insert(i);
    }
    assignment.push_back({tp, Offset::Beginning()});
  }
  ONCEFLOW_RETURN_IF_ERROR(consumer->Assign(assignment));
  while (static_cast<int>(done.size()) < partitions) {
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string missing;
      for (int32_t i = 0; i < partitions; ++i) {
        if (done.count(i) == 0) absl::StrAppend(&missing, missing.empty() ? "" : ", ", i);
      }
      return absl::DeadlineExceededError(absl::StrCat(
          "reading ", topic, options.read_committed ? " (read_committed)" : "", ": partition(s) ",
          missing, " did not reach their end within ", options.timeout.count(),
          " ms (a transaction still open?)"));
    }
    absl::StatusOr<std::optional<ConsumedMessage>> polled =
        consumer->Poll(std::chrono::milliseconds(100));
    if (!polled.ok() || !polled->has_value()) continue;  // transient: retry until the deadline
    const ConsumedMessage& m = **polled;
    const int32_t partition = m.partition().value();
    const size_t i = static_cast<size_t>(partition);
    if (!m.is_record()) {
      if (!options.until_high_watermark || m.offset().value() >= high[i]) done.insert(partition);
      continue;
    }
    if (!options.until_high_watermark) done.erase(partition);  // more came after an end
    if (m.offset().value() < next[i]) {
      if (options.rereads != nullptr) ++*options.rereads;
      continue;
    }
    next[i] = m.offset().value() + 1;
    fn(m);
    if (options.until_high_watermark && m.offset().value() + 1 >= high[i]) done.insert(partition);
  }
  return consumer->Close();
}

}  // namespace onceflow::kafka
