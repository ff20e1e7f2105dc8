// The `onceflow` command: parses arguments, dispatches the subcommands (run, validate, audit,
// bench, ping, topic, offsets) and prints help.
//
// Exit codes, for every command: 0 ok, 1 runtime failure (the broker refused or did not
// answer), 2 usage error (unknown command or flag, missing or malformed argument).
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "kafka/admin.h"
#include "kafka/consumer.h"
#include "onceflow/kafka_types.h"
#include "onceflow/status_macros.h"
#include "sidecar/commands.h"
#include "sidecar/run_command.h"

namespace {

using onceflow::Offset;
using onceflow::Partition;
using onceflow::TopicPartition;
using onceflow::TopicPartitionOffset;
namespace kafka = onceflow::kafka;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// How long a command waits for the cluster to answer at all, and for one admin request.
// An unreachable broker fails after kConnectTimeout, not after kRequestTimeout.
constexpr std::chrono::seconds kConnectTimeout{10};
constexpr std::chrono::seconds kRequestTimeout{30};

constexpr char kUsage[] = R"(onceflow — exactly-once consume-transform-produce for Apache Kafka

Usage:
  onceflow run --config FILE
      run the pipeline FILE describes (the sidecar); see `onceflow run --help`
  onceflow validate --config FILE
      check a pipeline config without connecting anywhere
  onceflow audit [--mode eos|alos|both] [options]
      prove each mode's guarantee under kills, pauses and broker restarts; see --help
  onceflow bench [--systems a,b,...] [options]
      throughput and latency of raw, onceflow and Kafka Streams side by side; see --help
  onceflow ping [--bootstrap HOST:PORT]
      check that a Kafka cluster answers
  onceflow topic create NAME [--partitions N] [--config KEY=VALUE]... [--if-not-exists]
      create a topic; returns once every partition has a leader
  onceflow topic delete NAME... [--if-exists]
      delete topics; returns once they are gone
  onceflow offsets --group G --topic T
      group G's committed offset, the end offset and the lag on every partition of T
  onceflow version
      versions of onceflow and librdkafka
  onceflow --help
      this text

Every command that talks to Kafka takes --bootstrap HOST:PORT, and --help for its own usage.

Exit codes: 0 ok, 1 runtime failure (broker refused or did not answer), 2 usage error.

Environment:
  ONCEFLOW_BOOTSTRAP   default bootstrap servers (default 127.0.0.1:19092, the broker that
                       scripts/kafka starts)
)";

constexpr char kPingUsage[] = R"(Usage: onceflow ping [--bootstrap HOST:PORT]

Checks that the Kafka cluster answers a metadata request within 10 s.
)";

constexpr char kTopicUsage[] = R"(Usage: onceflow topic create NAME [options]
       onceflow topic delete NAME... [options]

Run 'onceflow topic create --help' or 'onceflow topic delete --help' for the options.
)";

constexpr char kTopicCreateUsage[] = R"(Usage: onceflow topic create NAME [options]

Creates topic NAME and returns once every partition has a leader, so producers can write
to it at once.

Options:
  --partitions N            number of partitions (default 1)
  --replication-factor N    replicas per partition (default 1)
  --config KEY=VALUE        a topic config, e.g. cleanup.policy=compact; repeatable
  --if-not-exists           succeed if the topic already exists (its settings are not checked)
  --bootstrap HOST:PORT     Kafka bootstrap servers (default $ONCEFLOW_BOOTSTRAP or
                            127.0.0.1:19092)
)";

constexpr char kTopicDeleteUsage[] = R"(Usage: onceflow topic delete NAME... [options]

Deletes the topics and returns once the cluster's metadata no longer lists them, so they
can be created again at once.

Options:
  --if-exists               succeed for topics that do not exist (default: fail, deleting
                            nothing)
  --bootstrap HOST:PORT     Kafka bootstrap servers (default $ONCEFLOW_BOOTSTRAP or
                            127.0.0.1:19092)
)";

constexpr char kOffsetsUsage[] = R"(Usage: onceflow offsets --group G --topic T [options]

Prints, for every partition of topic T, the offset consumer group G has committed (the
position it resumes from), the log end offset (high watermark) and the lag between them.
"-" means the group has committed nothing for that partition. Only reads: it never joins
the group.

Options:
  --group G                 consumer group id (for an onceflow app, its application id)
  --topic T                 topic to report on
  --bootstrap HOST:PORT     Kafka bootstrap servers (default $ONCEFLOW_BOOTSTRAP or
                            127.0.0.1:19092)
)";

// ---------------------------------------------------------------- argument parsing

struct FlagSpec {
  std::string name;  // with the leading "--"
  bool takes_value = false;
  bool repeatable = false;
};

struct ParsedArgs {
  bool help = false;
  std::multimap<std::string, std::string> flags;  // a flag without value maps to ""
  std::vector<std::string> positional;

  bool Has(const std::string& flag) const { return flags.count(flag) > 0; }
  std::string Get(const std::string& flag, std::string fallback = "") const {
    auto it = flags.find(flag);
    return it == flags.end() ? std::move(fallback) : it->second;
  }
  std::vector<std::string> GetAll(const std::string& flag) const {
    std::vector<std::string> values;
    auto [begin, end] = flags.equal_range(flag);
    for (auto it = begin; it != end; ++it) values.push_back(it->second);
    return values;
  }
};

// Parses `args` against `spec`: "--flag value", "--flag=value", bare words as positionals,
// and "--help" anywhere. kInvalidArgument for an unknown, repeated or valueless flag.
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                     const std::vector<FlagSpec>& spec) {
  ParsedArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parsed.help = true;
      continue;
    }
    if (!absl::StartsWith(arg, "-") || arg == "-") {
      parsed.positional.push_back(arg);
      continue;
    }
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    auto it =
        std::find_if(spec.begin(), spec.end(), [&](const FlagSpec& f) { return f.name == name; });
    if (it == spec.end()) return absl::InvalidArgumentError(absl::StrCat("unknown flag ", name));
    if (!it->repeatable && parsed.Has(name)) {
      return absl::InvalidArgumentError(absl::StrCat(name, " given more than once"));
    }
    std::string value;
    if (it->takes_value) {
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
      }
    } else if (eq != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(name, " takes no value"));
    }
    parsed.flags.emplace(name, std::move(value));
  }
  return parsed;
}

std::string DefaultBootstrap() {
  const char* env = std::getenv("ONCEFLOW_BOOTSTRAP");
  return env != nullptr && *env != '\0' ? env : "127.0.0.1:19092";
}

FlagSpec BootstrapFlag() { return {"--bootstrap", /*takes_value=*/true}; }

// What a command needs to report errors in one voice: "onceflow topic create: ...".
struct CommandContext {
  std::string name;   // "topic create"
  const char* usage;  // printed by --help
};

int UsageError(const CommandContext& cmd, absl::string_view message) {
  std::cerr << "onceflow " << cmd.name << ": " << message << "\n"
            << "Run 'onceflow " << cmd.name << " --help' for usage.\n";
  return kExitUsage;
}

int Failure(const CommandContext& cmd, const absl::Status& status) {
  std::cerr << "onceflow " << cmd.name << ": " << status.message() << "\n";
  return kExitFailure;
}

// Parses a command's arguments; on --help prints the usage. Returns the exit code to end
// with, or nothing to go on.
std::optional<int> ParseCommand(const CommandContext& cmd, const std::vector<std::string>& args,
                                const std::vector<FlagSpec>& spec, ParsedArgs& out) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, spec);
  if (!parsed.ok()) return UsageError(cmd, parsed.status().message());
  if (parsed->help) {
    std::cout << cmd.usage;
    return kExitOk;
  }
  if (parsed->Has("--bootstrap") && parsed->Get("--bootstrap").empty()) {
    return UsageError(cmd, "--bootstrap is empty");
  }
  out = *std::move(parsed);
  return std::nullopt;
}

// ---------------------------------------------------------------- Kafka clients

// librdkafka properties shared by the command's clients. Connection failures are reported
// once by the command itself, so librdkafka's own per-attempt error lines are silenced.
kafka::Properties ClientProperties(const std::string& bootstrap) {
  return {{"bootstrap.servers", bootstrap}, {"log_level", "2"}};
}

// An Admin client that has answered a metadata request, so an unreachable broker fails
// here, clearly and within kConnectTimeout, instead of as a timeout of some later request.
absl::StatusOr<std::unique_ptr<kafka::Admin>> ConnectAdmin(const std::string& bootstrap) {
  ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<kafka::Admin> admin,
                            kafka::Admin::Create(ClientProperties(bootstrap)));
  if (absl::Status st = admin->Ping(kConnectTimeout); !st.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "the Kafka cluster at ", bootstrap, " did not answer within ", kConnectTimeout.count(),
        " s (", st.message(), "); is it running? (scripts/kafka start, or --bootstrap)"));
  }
  return admin;
}

// Whether `topic` exists (its partition count), kNotFound if not.
absl::StatusOr<int> TopicPartitions(kafka::Admin& admin, const std::string& topic) {
  absl::StatusOr<int> count = admin.PartitionCount(topic, kConnectTimeout);
  if (absl::IsNotFound(count.status())) {
    return absl::NotFoundError(absl::StrCat("topic '", topic, "' does not exist"));
  }
  return count;
}

// ---------------------------------------------------------------- ping

int Ping(const std::vector<std::string>& args) {
  const CommandContext cmd{"ping", kPingUsage};
  ParsedArgs parsed;
  if (auto rc = ParseCommand(cmd, args, {BootstrapFlag()}, parsed)) return *rc;
  if (!parsed.positional.empty()) {
    return UsageError(cmd, absl::StrCat("unexpected argument '", parsed.positional[0], "'"));
  }
  const std::string bootstrap = parsed.Get("--bootstrap", DefaultBootstrap());
  absl::StatusOr<std::unique_ptr<kafka::Admin>> admin = ConnectAdmin(bootstrap);
  if (!admin.ok()) return Failure(cmd, admin.status());
  std::cout << bootstrap << " answers metadata requests\n";
  return kExitOk;
}

// ---------------------------------------------------------------- topic create / delete

// Parses "--config KEY=VALUE" values into topic configs.
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

// Parses the value of `flag` as an integer >= 1.
absl::StatusOr<int> PositiveInt(const ParsedArgs& parsed, const std::string& flag, int fallback) {
  if (!parsed.Has(flag)) return fallback;
  int value = 0;
  if (!absl::SimpleAtoi(parsed.Get(flag), &value) || value < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " wants a whole number >= 1, got '", parsed.Get(flag), "'"));
  }
  return value;
}

int TopicCreate(const std::vector<std::string>& args) {
  const CommandContext cmd{"topic create", kTopicCreateUsage};
  ParsedArgs parsed;
  if (auto rc = ParseCommand(cmd, args,
                             {BootstrapFlag(),
                              {"--partitions", true},
                              {"--replication-factor", true},
                              {"--config", true, /*repeatable=*/true},
                              {"--if-not-exists"}},
                             parsed)) {
    return *rc;
  }
  if (parsed.positional.size() != 1) {
    return UsageError(cmd, parsed.positional.empty() ? "missing the topic NAME"
                                                     : "exactly one topic NAME, please");
  }
  kafka::TopicSpec spec;
  spec.name = parsed.positional[0];
  absl::StatusOr<int> partitions = PositiveInt(parsed, "--partitions", 1);
  if (!partitions.ok()) return UsageError(cmd, partitions.status().message());
  absl::StatusOr<int> replicas = PositiveInt(parsed, "--replication-factor", 1);
  if (!replicas.ok()) return UsageError(cmd, replicas.status().message());
  absl::StatusOr<kafka::Properties> configs = ParseTopicConfigs(parsed.GetAll("--config"));
  if (!configs.ok()) return UsageError(cmd, configs.status().message());
  spec.partitions = *partitions;
  spec.replication_factor = *replicas;
  spec.configs = *std::move(configs);

  absl::StatusOr<std::unique_ptr<kafka::Admin>> admin =
      ConnectAdmin(parsed.Get("--bootstrap", DefaultBootstrap()));
  if (!admin.ok()) return Failure(cmd, admin.status());
  absl::Status st = (*admin)->CreateTopic(spec, kRequestTimeout);
  if (absl::IsAlreadyExists(st) && parsed.Has("--if-not-exists")) {
    std::cout << "topic " << spec.name << " already exists\n";
    return kExitOk;
  }
  if (absl::IsAlreadyExists(st)) {
    return Failure(cmd, absl::AlreadyExistsError(
                            absl::StrCat(st.message(), " (--if-not-exists accepts that)")));
  }
  if (!st.ok()) return Failure(cmd, st);
  std::cout << "created topic " << spec.name << " (" << spec.partitions << " partition"
            << (spec.partitions == 1 ? "" : "s") << ")\n";
  return kExitOk;
}

// Waits until none of `topics` is in the cluster's metadata any more.
absl::Status AwaitGone(kafka::Admin& admin, const std::vector<std::string>& topics) {
  const auto deadline = std::chrono::steady_clock::now() + kRequestTimeout;
  for (const std::string& topic : topics) {
    while (true) {
      absl::StatusOr<int> count = TopicPartitions(admin, topic);
      if (absl::IsNotFound(count.status())) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        return absl::DeadlineExceededError(absl::StrCat("topic '", topic,
                                                        "' was deleted but is still listed after ",
                                                        kRequestTimeout.count(), " s"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return absl::OkStatus();
}

int TopicDelete(const std::vector<std::string>& args) {
  const CommandContext cmd{"topic delete", kTopicDeleteUsage};
  ParsedArgs parsed;
  if (auto rc = ParseCommand(cmd, args, {BootstrapFlag(), {"--if-exists"}}, parsed)) return *rc;
  if (parsed.positional.empty()) return UsageError(cmd, "missing the topic NAME(s)");

  absl::StatusOr<std::unique_ptr<kafka::Admin>> admin =
      ConnectAdmin(parsed.Get("--bootstrap", DefaultBootstrap()));
  if (!admin.ok()) return Failure(cmd, admin.status());
  // Check every topic first, so a typo in one name deletes none of them.
  std::vector<std::string> existing;
  for (const std::string& topic :
       std::set<std::string>(parsed.positional.begin(), parsed.positional.end())) {
    absl::StatusOr<int> count = TopicPartitions(**admin, topic);
    if (absl::IsNotFound(count.status()) && parsed.Has("--if-exists")) {
      std::cout << "topic " << topic << " does not exist\n";
      continue;
    }
    if (absl::IsNotFound(count.status())) {
      return Failure(cmd, absl::NotFoundError(absl::StrCat(
                              count.status().message(),
                              "; nothing deleted (--if-exists skips missing topics)")));
    }
    if (!count.ok()) return Failure(cmd, count.status());
    existing.push_back(topic);
  }
  if (absl::Status st = (*admin)->DeleteTopics(existing, kRequestTimeout); !st.ok()) {
    return Failure(cmd, st);
  }
  if (absl::Status st = AwaitGone(**admin, existing); !st.ok()) return Failure(cmd, st);
  for (const std::string& topic : existing) std::cout << "deleted topic " << topic << "\n";
  return kExitOk;
}

int Topic(const std::vector<std::string>& args) {
  const CommandContext cmd{"topic", kTopicUsage};
  if (args.empty()) return UsageError(cmd, "missing the subcommand (create or delete)");
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "create") return TopicCreate(rest);
  if (args[0] == "delete") return TopicDelete(rest);
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kTopicUsage;
    return kExitOk;
  }
  return UsageError(cmd, absl::StrCat("unknown subcommand '", args[0], "'"));
}

// ---------------------------------------------------------------- offsets

struct PartitionLag {
  Partition partition = Partition(0);
  Offset committed = Offset::Invalid();  // Invalid: nothing committed
  Offset end = Offset::Invalid();        // the high watermark
};

// The group's committed offset and the end offset of every partition of `topic`. The
// consumer has group.id = `group` but never subscribes, so it never joins the group and
// cannot disturb its members.
absl::StatusOr<std::vector<PartitionLag>> GroupLag(const std::string& bootstrap,
                                                   const std::string& group,
                                                   const std::string& topic) {
  ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<kafka::Admin> admin, ConnectAdmin(bootstrap));
  ONCEFLOW_ASSIGN_OR_RETURN(const int partitions, TopicPartitions(*admin, topic));
  kafka::Properties props = ClientProperties(bootstrap);
  props["group.id"] = group;
  ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<kafka::Consumer> consumer,
                            kafka::Consumer::Create(props));
  std::vector<TopicPartition> tps;
  for (int p = 0; p < partitions; ++p) tps.push_back({topic, Partition(p)});
  ONCEFLOW_ASSIGN_OR_RETURN(std::vector<TopicPartitionOffset> committed,
                            consumer->Committed(tps, kRequestTimeout));
  std::vector<PartitionLag> rows;
  for (const TopicPartitionOffset& c : committed) {
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

int Offsets(const std::vector<std::string>& args) {
  const CommandContext cmd{"offsets", kOffsetsUsage};
  ParsedArgs parsed;
  if (auto rc = ParseCommand(cmd, args, {BootstrapFlag(), {"--group", true}, {"--topic", true}},
                             parsed)) {
    return *rc;
  }
  if (!parsed.positional.empty()) {
    return UsageError(cmd, absl::StrCat("unexpected argument '", parsed.positional[0], "'"));
  }
  const std::string group = parsed.Get("--group");
  const std::string topic = parsed.Get("--topic");
  if (group.empty()) return UsageError(cmd, "--group G is required");
  if (topic.empty()) return UsageError(cmd, "--topic T is required");

  absl::StatusOr<std::vector<PartitionLag>> rows =
      GroupLag(parsed.Get("--bootstrap", DefaultBootstrap()), group, topic);
  if (!rows.ok()) return Failure(cmd, rows.status());
  PrintLagTable(group, topic, *rows);
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + std::min(argc, 2), argv + argc);
  const std::string command = argc < 2 ? "" : argv[1];
  if (command.empty() || command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return command.empty() ? kExitUsage : kExitOk;
  }
  if (command == "version" || command == "--version") {
    std::cout << "onceflow 0.1.0 (librdkafka " << rd_kafka_version_str() << ")\n";
    return kExitOk;
  }
  if (command == "run") return onceflow::sidecar::RunRun(argc - 1, argv + 1);
  if (command == "validate") return onceflow::sidecar::RunValidate(argc - 1, argv + 1);
  if (command == "audit") return onceflow::audit::RunAudit(argc - 1, argv + 1);
  if (command == "bench") return onceflow::benchmark::RunBench(argc - 1, argv + 1);
  if (command == "ping") return Ping(args);
  if (command == "topic") return Topic(args);
  if (command == "offsets") return Offsets(args);
  std::cerr << "onceflow: unknown command '" << command << "'\n\n" << kUsage;
  return kExitUsage;
}
