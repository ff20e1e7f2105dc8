#include "audit/target.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace onceflow::audit {
namespace {

bool KnownPlaceholder(const std::string& name) {
  const std::vector<std::string>& all = TargetPlaceholders();
  return std::find(all.begin(), all.end(), name) != all.end();
}

}  // namespace

const std::vector<std::string>& TargetPlaceholders() {
  static const std::vector<std::string> kNames = {
      "bootstrap",          "app",          "input",  "output",  "instance",
      "state_dir",          "mode",         "guarantee",         "commit_interval_ms",
      "session_timeout_ms", "transaction_timeout_ms",  "dedupe_field", "config",
      "run_dir"};
  return kNames;
}

std::string ShellQuote(const std::string& value) {
  return absl::StrCat("'", absl::StrReplaceAll(value, {{"'", "'\\''"}}), "'");
}

absl::StatusOr<std::string> ExpandPlaceholders(const std::string& text,
                                               const std::map<std::string, std::string>& values,
                                               bool shell_quote) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      out += '}';
      ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    const size_t end = text.find('}', i);
    if (end == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("an unclosed placeholder at character ", i + 1, " of '", text, "'"));
    }
    const std::string name = text.substr(i + 1, end - i - 1);
    if (!KnownPlaceholder(name)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown placeholder {", name, "} in '", text,
                                                     "' (known: {",
                                                     absl::StrJoin(TargetPlaceholders(), "} {"),
                                                     "}; {{ and }} are literal braces)"));
    }
    auto it = values.find(name);
    if (it == values.end()) {
      return absl::InvalidArgumentError(absl::StrCat("no value for placeholder {", name, "}"));
    }
    out += shell_quote ? ShellQuote(it->second) : it->second;
    i = end;
  }
  return out;
}

absl::StatusOr<Target> ParseTarget(const std::string& flag) {
  const std::string f(absl::StripAsciiWhitespace(flag));
  if (f.empty()) return absl::InvalidArgumentError("--target is empty");
  Target t;
  if (f == "onceflow") return t;
  if (f == "kafka-streams") {
    t.kind = TargetKind::kKafkaStreams;
    t.name = "kafka-streams";
    return t;
  }
  t.kind = TargetKind::kCommand;
  t.name = "command";
  t.command = f;
  // Check the template now, with every placeholder given a value.
  std::map<std::string, std::string> probe;
  for (const std::string& name : TargetPlaceholders()) probe[name] = "x";
  absl::StatusOr<std::string> expanded = ExpandPlaceholders(f, probe, false);
  if (!expanded.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--target: ", expanded.status().message()));
  }
  if (f.find("{bootstrap}") == std::string::npos && f.find("{config}") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--target '", f,
        "' is neither onceflow nor kafka-streams, and as a command it names neither "
        "{bootstrap} nor {config}: the instance must be told where the cluster is (through the "
        "network-fault proxy when there is one)"));
  }
  return t;
}

absl::StatusOr<std::vector<std::string>> InstanceArgv(
    const Target& target, const std::map<std::string, std::string>& values,
    const std::vector<std::pair<std::string, std::string>>& properties, bool count) {
  switch (target.kind) {
    case TargetKind::kOnceflow:
      return absl::InvalidArgumentError("onceflow instances are started by the runner");
    case TargetKind::kCommand: {
      absl::StatusOr<std::string> cmd = ExpandPlaceholders(target.command, values, true);
      if (!cmd.ok()) return cmd.status();
      return std::vector<std::string>{"/bin/sh", "-c", absl::StrCat("exec ", *cmd)};
    }
    case TargetKind::kKafkaStreams: {
      auto v = [&](const std::string& name) -> std::string {
        auto it = values.find(name);
        return it == values.end() ? "" : it->second;
      };
      // A small fixed heap, as the cluster's brokers: several JVMs share 2 cores here.
      std::vector<std::string> argv = {"java",
                                       "-Xms256m",
                                       "-Xmx256m",
                                       "-cp",
                                       target.jar,
                                       "onceflow.bench.AuditPeer",
                                       "--bootstrap",
                                       v("bootstrap"),
                                       "--application-id",
                                       v("app"),
                                       "--input",
                                       v("input"),
                                       "--output",
                                       v("output"),
                                       "--instance",
                                       v("instance"),
                                       "--state-dir",
                                       v("state_dir"),
                                       "--guarantee",
                                       v("guarantee"),
                                       "--commit-interval-ms",
                                       v("commit_interval_ms"),
                                       "--session-timeout-ms",
                                       v("session_timeout_ms"),
                                       "--transaction-timeout-ms",
                                       v("transaction_timeout_ms")};
      if (!v("dedupe_field").empty()) {
        argv.push_back("--dedupe-field");
        argv.push_back(v("dedupe_field"));
      }
      if (count) argv.push_back("--count");
      for (const auto& [name, value] : properties) {
        if (name == "bootstrap.servers") continue;
        argv.push_back("--property");
        argv.push_back(absl::StrCat(name, "=", value));
      }
      return argv;
    }
  }
  return absl::InternalError("unknown target kind");
}

}  // namespace onceflow::audit
