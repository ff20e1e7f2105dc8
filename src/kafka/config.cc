#include "kafka/config.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "kafka/log_bridge.h"

namespace onceflow::kafka {

bool IsSecretProperty(absl::string_view name) {
  static constexpr std::array<absl::string_view, 6> kMarkers = {
      "password", "secret", "sasl.jaas.config", "ssl.key.pem", "ssl_key", "token"};
  const std::string lower = absl::AsciiStrToLower(name);
  for (absl::string_view marker : kMarkers) {
    if (absl::StrContains(lower, marker)) return true;
  }
  return false;
}

absl::Status SetProperty(rd_kafka_conf_t* conf, absl::string_view name, absl::string_view value) {
  char errstr[512];
  const std::string key(name);
  const std::string val(value);
  const rd_kafka_conf_res_t res =
      rd_kafka_conf_set(conf, key.c_str(), val.c_str(), errstr, sizeof(errstr));
  if (res != RD_KAFKA_CONF_OK) {
    const bool secret = IsSecretProperty(name);
    const std::string shown = secret ? "<redacted>" : absl::StrCat("\"", val, "\"");
    std::string reason = errstr;
    // librdkafka's own message may quote the value.
    if (secret && !val.empty()) reason = absl::StrReplaceAll(reason, {{val, "<redacted>"}});
    absl::Status status = absl::InvalidArgumentError(
        absl::StrCat("librdkafka property ", key, "=", shown, ": ", reason));
    if (res == RD_KAFKA_CONF_UNKNOWN) status.SetPayload(kUnknownPropertyPayload, absl::Cord("1"));
    return status;
  }
  return absl::OkStatus();
}

bool IsUnknownProperty(const absl::Status& status) {
  return status.GetPayload(kUnknownPropertyPayload).has_value();
}

absl::Status CheckProperty(absl::string_view name, absl::string_view value) {
  ConfPtr scratch(rd_kafka_conf_new());
  return SetProperty(scratch.get(), name, value);
}

std::string LibrdkafkaVersion() { return rd_kafka_version_str(); }

absl::StatusOr<ConfPtr> MakeConf(const Properties& props) {
  ConfPtr conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), &LogToOnceflow);
  for (const auto& [name, value] : props) {
    absl::Status status = SetProperty(conf.get(), name, value);
    if (!status.ok()) return status;
  }
  return conf;
}

namespace {

// Parses rd_kafka_conf_properties_show's Markdown tables ("name | C/P | range | ...").
std::vector<PropertyInfo> ReadPropertyTable() {
  std::vector<PropertyInfo> table;
  char* buffer = nullptr;
  size_t size = 0;
  FILE* stream = open_memstream(&buffer, &size);
  if (stream == nullptr) return table;
  rd_kafka_conf_properties_show(stream);
  std::fclose(stream);
  const std::unique_ptr<char, decltype(&std::free)> owned(buffer, &std::free);
  for (absl::string_view line : absl::StrSplit(absl::string_view(buffer, size), '\n')) {
    const std::vector<absl::string_view> cells = absl::StrSplit(line, '|');
    if (cells.size() < 3) continue;
    const absl::string_view name = absl::StripAsciiWhitespace(cells[0]);
    const absl::string_view scope = absl::StripAsciiWhitespace(cells[1]);
    if (name.empty() || name == "Property" || absl::StartsWith(name, "-")) continue;
    PropertyInfo info{std::string(name), PropertyScope::kUnknown};
    if (scope == "*") info.scope = PropertyScope::kAny;
    if (scope == "C") info.scope = PropertyScope::kConsumer;
    if (scope == "P") info.scope = PropertyScope::kProducer;
    table.push_back(std::move(info));
  }
  return table;
}

}  // namespace

const std::vector<PropertyInfo>& KnownProperties() {
  static const std::vector<PropertyInfo> table = ReadPropertyTable();
  return table;
}

PropertyScope ScopeOf(absl::string_view name) {
  static const absl::flat_hash_map<std::string, PropertyScope> by_name = [] {
    absl::flat_hash_map<std::string, PropertyScope> map;
    for (const PropertyInfo& p : KnownProperties()) map.emplace(p.name, p.scope);
    return map;
  }();
  auto it = by_name.find(std::string(name));
  return it == by_name.end() ? PropertyScope::kUnknown : it->second;
}

Properties WithoutScope(const Properties& props, PropertyScope scope) {
  Properties out;
  for (const auto& [name, value] : props) {
    if (ScopeOf(name) != scope) out.emplace(name, value);
  }
  return out;
}

Properties Merge(Properties base, const Properties& overrides) {
  for (const auto& [name, value] : overrides) base[name] = value;
  return base;
}

}  // namespace onceflow::kafka
