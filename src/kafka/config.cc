#include "kafka/config.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

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
  if (rd_kafka_conf_set(conf, key.c_str(), val.c_str(), errstr, sizeof(errstr)) !=
      RD_KAFKA_CONF_OK) {
    const bool secret = IsSecretProperty(name);
    const std::string shown = secret ? "<redacted>" : absl::StrCat("\"", val, "\"");
    std::string reason = errstr;
    // librdkafka's own message may quote the value.
    if (secret && !val.empty()) reason = absl::StrReplaceAll(reason, {{val, "<redacted>"}});
    return absl::InvalidArgumentError(
        absl::StrCat("librdkafka property ", key, "=", shown, ": ", reason));
  }
  return absl::OkStatus();
}

absl::StatusOr<ConfPtr> MakeConf(const Properties& props) {
  ConfPtr conf(rd_kafka_conf_new());
  for (const auto& [name, value] : props) {
    absl::Status status = SetProperty(conf.get(), name, value);
    if (!status.ok()) return status;
  }
  return conf;
}

Properties Merge(Properties base, const Properties& overrides) {
  for (const auto& [name, value] : overrides) base[name] = value;
  return base;
}

}  // namespace onceflow::kafka
