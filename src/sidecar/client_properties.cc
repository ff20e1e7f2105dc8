#include "sidecar/client_properties.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "onceflow/status_macros.h"

namespace onceflow::sidecar {

std::string DefaultBootstrap(const EnvLookup& env) {
  const std::optional<std::string> value = env("ONCEFLOW_BOOTSTRAP");
  return value.has_value() && !value->empty() ? *value : "127.0.0.1:19092";
}

absl::StatusOr<kafka::Properties> ParseProperties(absl::string_view text, absl::string_view name) {
  kafka::Properties props;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_number;
    const absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || absl::StartsWith(line, "#") || absl::StartsWith(line, "!")) continue;
    const size_t cut = line.find_first_of("=:");
    const absl::string_view key =
        absl::StripAsciiWhitespace(line.substr(0, cut == absl::string_view::npos ? 0 : cut));
    if (cut == absl::string_view::npos || key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ":", line_number, ": expected key=value (the value is not shown)"));
    }
    props[std::string(key)] = std::string(absl::StripAsciiWhitespace(line.substr(cut + 1)));
  }
  return props;
}

absl::StatusOr<kafka::Properties> ReadProperties(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    const int err = errno;
    const std::string message = absl::StrCat("cannot read ", path, ": ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(message);
    if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
    return absl::FailedPreconditionError(message);
  }
  std::ostringstream text;
  text << file.rdbuf();
  return ParseProperties(text.str(), path);
}

absl::StatusOr<kafka::Properties> ResolveClientProperties(const ClientFlags& flags,
                                                          const EnvLookup& env) {
  kafka::Properties props;
  for (const std::string& path : flags.command_configs) {
    absl::StatusOr<kafka::Properties> file = ReadProperties(path);
    if (!file.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--command-config ", path, ": ", file.status().message()));
    }
    props = kafka::Merge(std::move(props), *file);
  }
  for (const std::string& kv : flags.properties) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      // Only the name part is shown: a malformed -X may still hold a secret.
      return absl::InvalidArgumentError(absl::StrCat("-X wants key=value, got '",
                                                     kv.substr(0, std::min(eq, kv.size())),
                                                     eq == std::string::npos ? "' (no '=')" : "'"));
    }
    props[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  // metadata.broker.list is librdkafka's older name for bootstrap.servers: keep one.
  if (auto it = props.find("metadata.broker.list"); it != props.end()) {
    props.emplace("bootstrap.servers", it->second);
    props.erase(it);
  }
  if (!flags.bootstrap.empty()) {
    props["bootstrap.servers"] = flags.bootstrap;
  } else if (props.count("bootstrap.servers") == 0) {
    props["bootstrap.servers"] = DefaultBootstrap(env);
  }
  return props;
}

}  // namespace onceflow::sidecar
