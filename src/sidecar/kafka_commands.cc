#include "sidecar/kafka_commands.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "kafka/admin.h"
#include "kafka/consumer.h"
#include "onceflow/kafka_types.h"
#include "onceflow/status_macros.h"
#include "sidecar/access.h"
#include "sidecar/command_output.h"
#include "sidecar/exit_codes.h"

namespace onceflow::sidecar {
namespace {

// How long a command waits for the cluster to answer at all, and for one admin request.
// An unreachable broker fails after kConnectTimeout, not after kRequestTimeout.
constexpr std::chrono::seconds kConnectTimeout{10};
constexpr std::chrono::seconds kRequestTimeout{30};

// The command's client properties. Connection failures are reported once by the command
// itself, so librdkafka's own per-attempt error lines are silenced unless -X log_level says
// otherwise.
absl::StatusOr<kafka::Properties> Properties(const ClientFlags& flags) {
  ONCEFLOW_ASSIGN_OR_RETURN(kafka::Properties props, ResolveClientProperties(flags));
  props.emplace("log_level", "2");  // emplace: a given log_level wins
  return props;
}

// An Admin client that has answered a metadata request, so an unreachable broker fails here,
// clearly and within kConnectTimeout, instead of as a timeout of some later request; and a
// refused login or an untrusted certificate fails at once, naming who and what.
absl::StatusOr<std::unique_ptr<kafka::Admin>> ConnectAdmin(const kafka::Properties& props) {
  ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<kafka::Admin> admin, kafka::Admin::Create(props));
  if (absl::Status st = admin->Ping(kConnectTimeout); !st.ok()) {
    if (IsAccessDenied(st)) return ExplainAccess(st, props, {"Cluster", "", {"Describe"}});
    return absl::UnavailableError(
        absl::StrCat("the Kafka cluster at ", props.at("bootstrap.servers"),
                     " did not answer within ", kConnectTimeout.count(), " s (", st.message(),
                     "); is it running? (scripts/kafka start, or --bootstrap)"));
  }
  return admin;
}

// Whether `topic` exists (its partition count), kNotFound if not.
absl::StatusOr<int> TopicPartitions(kafka::Admin& admin, const kafka::Properties& props,
                                    const std::string& topic) {
  absl::StatusOr<int> count = admin.PartitionCount(topic, kConnectTimeout);
  if (absl::IsNotFound(count.status())) {
    return absl::NotFoundError(absl::StrCat("topic '", topic, "' does not exist"));
  }
  if (!count.ok()) return ExplainAccess(count.status(), props, {"Topic", topic, {"Describe"}});
  return count;
}

// Parses "KEY=VALUE" topic configs.
absl::StatusOr<kafka::Properties> ParseTopicConfigs(const std::vector<std::string>& values) {
  kafka::Properties configs;
  for (const std::string& kv : values) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(absl::StrCat("--config wants KEY=VALUE, got '", kv, "'"));
    }
    configs[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return configs;
}

// Waits until none of `topics` is in the cluster's metadata any more.
absl::Status AwaitGone(kafka::Admin& admin, const kafka::Properties& props,
                       const std::vector<std::string>& topics) {
  const auto deadline = std::chrono::steady_clock::now() + kRequestTimeout;
  for (const std::string& topic : topics) {
    while (true) {
      absl::StatusOr<int> count = TopicPartitions(admin, props, topic);
      if (absl::IsNotFound(count.status())) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        return absl::DeadlineExceededError(absl::StrCat("topic '", topic,
                                                        "' was deleted but is still listed after ",
                                                        kRequestTimeout.count(), " s"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling the metadata
    }
  }
  return absl::OkStatus();
}

struct PartitionLag {
  Partition partition = Partition(0);
  Offset committed = Offset::Invalid();  // Invalid: nothing committed
  Offset end = Offset::Invalid();        // the high watermark
};

// The group's committed offset and the end offset of every partition of `topic`. The
// consumer has group.id = `group` but never subscribes, so it never joins the group and
// cannot disturb its members.
absl::StatusOr<std::vector<PartitionLag>> GroupLag(const kafka::Properties& base,
                                                   const std::string& group,
                                                   const std::string& topic) {
  ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<kafka::Admin> admin, ConnectAdmin(base));
  ONCEFLOW_ASSIGN_OR_RETURN(const int partitions, TopicPartitions(*admin, base, topic));
  kafka::Properties props = base;
  props["group.id"] = group;
  ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<kafka::Consumer> consumer,
                            kafka::Consumer::Create(props));
  std::vector<TopicPartition> tps;
  for (int p = 0; p < partitions; ++p) tps.push_back({topic, Partition(p)});
  absl::StatusOr<std::vector<TopicPartitionOffset>> committed =
      consumer->Committed(tps, kRequestTimeout);
  if (!committed.ok()) {
    return ExplainAccess(committed.status(), props, {"Group", group, {"Describe"}});
  }
  std::vector<PartitionLag> rows;
  for (const TopicPartitionOffset& c : *committed) {
    ONCEFLOW_ASSIGN_OR_RETURN(auto watermarks, consumer->Watermarks(c.tp, kRequestTimeout));
    rows.push_back({c.tp.partition, c.offset, watermarks.second});
  }
  std::sort(rows.begin(), rows.end(),
            [](const PartitionLag& a, const PartitionLag& b) { return a.partition < b.partition; });
  return rows;
}

void PrintLagTable(const std::string& group, const std::string& topic,
                   const std::vector<PartitionLag>& rows) {
  std::vector<std::vector<std::string>> table = {{"PARTITION", "COMMITTED", "END", "LAG"}};
  int64_t total_lag = 0;
  for (const PartitionLag& row : rows) {
    std::string committed = "-";
    std::string lag = "-";
    if (!row.committed.is_logical()) {
      const int64_t behind = std::max<int64_t>(0, row.end.value() - row.committed.value());
      total_lag += behind;
      committed = absl::StrCat(row.committed.value());
      lag = absl::StrCat(behind);
    }
    table.push_back(
        {absl::StrCat(row.partition.value()), committed, absl::StrCat(row.end.value()), lag});
  }
  std::vector<size_t> widths(table[0].size(), 0);
  for (const auto& line : table) {
    for (size_t c = 0; c < line.size(); ++c) widths[c] = std::max(widths[c], line[c].size());
  }
  std::cout << "group " << group << " on topic " << topic << "\n";
  for (const auto& line : table) {
    for (size_t c = 0; c < line.size(); ++c) {
      std::cout << (c == 0 ? "" : "  ") << std::setw(static_cast<int>(widths[c])) << line[c];
    }
    std::cout << "\n";
  }
  // Lag means "behind the committed offset": a partition with no committed offset has no lag
  // to report, and a group that committed nothing is not "caught up".
  const size_t uncommitted = static_cast<size_t>(std::count_if(
      rows.begin(), rows.end(), [](const PartitionLag& r) { return r.committed.is_logical(); }));
  if (uncommitted == rows.size()) {
    std::cout << "no committed offset: group " << group << " has committed nothing on " << topic
              << "\n";
  } else if (uncommitted > 0) {
    std::cout << "total lag " << total_lag << " (" << uncommitted << " of " << rows.size()
              << " partitions have no committed offset)\n";
  } else {
    std::cout << "total lag " << total_lag << "\n";
  }
}

}  // namespace

int RunPing(const PingFlags& flags) {
  constexpr absl::string_view kCommand = "ping";
  absl::StatusOr<kafka::Properties> props = Properties(flags.client);
  if (!props.ok()) return UsageError(kCommand, props.status().message());
  absl::StatusOr<std::unique_ptr<kafka::Admin>> admin = ConnectAdmin(*props);
  if (!admin.ok()) return Failure(kCommand, admin.status());
  std::cout << props->at("bootstrap.servers") << " answers metadata requests\n";
  return kExitOk;
}

int RunTopicCreate(const TopicCreateFlags& flags) {
  constexpr absl::string_view kCommand = "topic create";
  absl::StatusOr<kafka::Properties> props = Properties(flags.client);
  if (!props.ok()) return UsageError(kCommand, props.status().message());
  absl::StatusOr<kafka::Properties> configs = ParseTopicConfigs(flags.configs);
  if (!configs.ok()) return UsageError(kCommand, configs.status().message());
  const kafka::TopicSpec spec{flags.name, flags.partitions, flags.replication_factor, *configs};

  absl::StatusOr<std::unique_ptr<kafka::Admin>> admin = ConnectAdmin(*props);
  if (!admin.ok()) return Failure(kCommand, admin.status());
  absl::Status st = (*admin)->CreateTopic(spec, kRequestTimeout);
  if (absl::IsAlreadyExists(st) && flags.if_not_exists) {
    std::cout << "topic " << spec.name << " already exists\n";
    return kExitOk;
  }
  if (absl::IsAlreadyExists(st)) {
    return Failure(kCommand, absl::AlreadyExistsError(
                                 absl::StrCat(st.message(), " (--if-not-exists accepts that)")));
  }
  if (!st.ok())
    return Failure(kCommand, ExplainAccess(st, *props, {"Topic", spec.name, {"Create"}}));
  std::cout << "created topic " << spec.name << " (" << spec.partitions << " partition"
            << (spec.partitions == 1 ? "" : "s") << ")\n";
  return kExitOk;
}

int RunTopicDelete(const TopicDeleteFlags& flags) {
  constexpr absl::string_view kCommand = "topic delete";
  absl::StatusOr<kafka::Properties> props = Properties(flags.client);
  if (!props.ok()) return UsageError(kCommand, props.status().message());
  absl::StatusOr<std::unique_ptr<kafka::Admin>> admin = ConnectAdmin(*props);
  if (!admin.ok()) return Failure(kCommand, admin.status());
  // Check every topic first, so a typo in one name deletes none of them.
  std::vector<std::string> existing;
  for (const std::string& topic : std::set<std::string>(flags.names.begin(), flags.names.end())) {
    absl::StatusOr<int> count = TopicPartitions(**admin, *props, topic);
    if (absl::IsNotFound(count.status()) && flags.if_exists) {
      std::cout << "topic " << topic << " does not exist\n";
      continue;
    }
    if (absl::IsNotFound(count.status())) {
      return Failure(kCommand, absl::NotFoundError(absl::StrCat(
                                   count.status().message(),
                                   "; nothing deleted (--if-exists skips missing topics)")));
    }
    if (!count.ok()) return Failure(kCommand, count.status());
    existing.push_back(topic);
  }
  if (absl::Status st = (*admin)->DeleteTopics(existing, kRequestTimeout); !st.ok()) {
    return Failure(kCommand, ExplainAccess(st, *props, {"Topic", existing.front(), {"Delete"}}));
  }
  if (absl::Status st = AwaitGone(**admin, *props, existing); !st.ok()) {
    return Failure(kCommand, st);
  }
  for (const std::string& topic : existing) std::cout << "deleted topic " << topic << "\n";
  return kExitOk;
}

int RunOffsets(const OffsetsFlags& flags) {
  constexpr absl::string_view kCommand = "offsets";
  absl::StatusOr<kafka::Properties> props = Properties(flags.client);
  if (!props.ok()) return UsageError(kCommand, props.status().message());
  absl::StatusOr<std::vector<PartitionLag>> rows = GroupLag(*props, flags.group, flags.topic);
  if (!rows.ok()) return Failure(kCommand, rows.status());
  PrintLagTable(flags.group, flags.topic, *rows);
  return kExitOk;
}

}  // namespace onceflow::sidecar
