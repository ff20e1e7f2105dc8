// What the audit runs as each instance: onceflow (`onceflow run` with a generated config), the
// Kafka Streams peer's audit mode (bench/peers/kafka-streams, AuditPeer), or any command a user
// gives, with placeholders for what the run decides.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(Target t, ParseTarget("my-job --brokers {bootstrap} "
//                                                   "--group {app} --id {instance}"));
//   ONCEFLOW_ASSIGN_OR_RETURN(std::vector<std::string> argv, InstanceArgv(t, values));
//
// A command runs under `/bin/sh -c 'exec ...'` (so it may use the shell's syntax), each
// placeholder replaced by its value quoted for the shell. Placeholders:
//   {bootstrap} {app} {input} {output} {instance} {state_dir} {mode} {guarantee}
//   {commit_interval_ms} {session_timeout_ms} {transaction_timeout_ms} {dedupe_field}
//   {config} {run_dir}
// ({guarantee}: Kafka Streams' spelling, exactly_once_v2 or at_least_once; {dedupe_field}: the
// JSON field upstream duplicates share, "id", or "" when the run has none; {config}: the
// onceflow config the audit writes for the instance anyway.) `{{` and `}}` are literal braces.
#ifndef ONCEFLOW_AUDIT_TARGET_H_
#define ONCEFLOW_AUDIT_TARGET_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace onceflow::audit {

enum class TargetKind { kOnceflow, kKafkaStreams, kCommand };

struct Target {
  TargetKind kind = TargetKind::kOnceflow;
  // "onceflow", "kafka-streams", or for a command "command" (or "command-N" when there are
  // several): the report's and the run folder's name.
  std::string name = "onceflow";
  // kCommand: the template. kKafkaStreams: the peer's jar.
  std::string command;
  std::string jar;
};

// "onceflow", "kafka-streams", or a command template (anything else; it must name
// {bootstrap} or {config}, since an instance that is not told where the cluster is cannot be
// under audit). kInvalidArgument for an empty flag or a template with an unknown or unclosed
// placeholder.
absl::StatusOr<Target> ParseTarget(const std::string& flag);

// The names of the placeholders, for messages and --help.
const std::vector<std::string>& TargetPlaceholders();

// `text` with every placeholder replaced by values.at(name), shell-quoted when `shell_quote`.
// kInvalidArgument for an unknown or unclosed placeholder, or one `values` lacks.
absl::StatusOr<std::string> ExpandPlaceholders(const std::string& text,
                                               const std::map<std::string, std::string>& values,
                                               bool shell_quote);

// `value` as one word of /bin/sh: in single quotes, a single quote as '\''.
std::string ShellQuote(const std::string& value);

// The instance's argv, for a kKafkaStreams or kCommand target. `values` holds every
// placeholder; `properties` are the audit's client properties but bootstrap.servers (the
// peer gets each as `--property k=v`; a command gets none: it has its own config).
absl::StatusOr<std::vector<std::string>> InstanceArgv(
    const Target& target, const std::map<std::string, std::string>& values,
    const std::vector<std::pair<std::string, std::string>>& properties, bool count);

}  // namespace onceflow::audit

#endif  // ONCEFLOW_AUDIT_TARGET_H_
