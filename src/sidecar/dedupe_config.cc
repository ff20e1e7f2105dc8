#include "sidecar/dedupe_config.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "onceflow/status_macros.h"
#include "sidecar/duration.h"
#include "sidecar/json_field.h"
#include "sidecar/message_type.h"
#include "state/dedupe_options.h"
#include "state/key_extractor.h"

namespace onceflow::sidecar {

absl::StatusOr<std::chrono::milliseconds> ParseDedupeWindow(absl::string_view window) {
  using std::chrono::milliseconds;
  if (window.empty()) return milliseconds(std::chrono::hours(24));
  if (window == "forever") return milliseconds(0);
  auto invalid = [window](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("dedupe: window \"", absl::CEscape(window), "\" ", why,
                     " (e.g. \"30s\", \"15m\", \"1h\", \"1h30m\", \"7d\", or \"forever\")"));
  };
  absl::StatusOr<milliseconds> parsed = ParseDuration(window);
  if (!parsed.ok()) return invalid(absl::StrCat("is not a duration: ", parsed.status().message()));
  if (parsed->count() == 0) return invalid("is zero; \"forever\" keeps keys for ever");
  return *parsed;
}

absl::StatusOr<state::DedupeOptions> BuildDedupeOptions(const v1::DedupeConfig& config) {
  state::DedupeOptions options;
  ONCEFLOW_ASSIGN_OR_RETURN(options.window, ParseDedupeWindow(config.window()));
  const std::string key = config.key().empty() ? "key" : config.key();
  auto unused = [&key](absl::string_view field, absl::string_view used_by) {
    return absl::InvalidArgumentError(absl::StrCat("dedupe: ", field, " is only used with key ",
                                                   used_by, ", not with key ", key));
  };
  if (!config.header().empty() && key != "header") return unused("header", "header");
  if (!config.field().empty() && key != "json_field" && key != "proto_field") {
    return unused("field", "json_field or proto_field");
  }
  if (!config.descriptor_set().empty() && key != "proto_field") {
    return unused("descriptor_set", "proto_field");
  }
  if (!config.message().empty() && key != "proto_field") return unused("message", "proto_field");

  if (key == "key") {
    options.source = state::DedupeKeySource::kRecordKey;
  } else if (key == "header") {
    options.source = state::DedupeKeySource::kHeader;
    if (!config.header().empty()) options.header = config.header();
  } else if (key == "hash") {
    options.source = state::DedupeKeySource::kContentHash;
  } else if (key == "json_hash") {
    options.source = state::DedupeKeySource::kJsonHash;
  } else if (key == "json_field") {
    if (config.field().empty()) {
      return absl::InvalidArgumentError("dedupe: key json_field needs field (a dotted path)");
    }
    absl::StatusOr<JsonPath> path = JsonPath::Parse(config.field());
    if (!path.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("dedupe: field: ", path.status().message()));
    }
    options.source = state::DedupeKeySource::kFunction;
    options.field_path = config.field();
    options.key_fn =
        [path = *std::move(path)](
            const state::RecordView& record) -> absl::StatusOr<std::optional<std::string>> {
      if (!record.value.has_value()) return std::nullopt;
      ONCEFLOW_ASSIGN_OR_RETURN(const std::optional<JsonField> field,
                                FindFieldOfValue(*record.value, path));
      if (!field.has_value() || !field->is_scalar()) return std::nullopt;
      std::string scratch;
      const absl::string_view text = field->Text(scratch);
      // An empty key is no key (the deduper's rule too).
      if (text.empty()) return std::nullopt;
      return std::string(text);
    };
  } else if (key == "proto_field") {
    if (config.field().empty() || config.descriptor_set().empty() || config.message().empty()) {
      return absl::InvalidArgumentError(
          "dedupe: key proto_field needs field, descriptor_set and message");
    }
    absl::StatusOr<MessageType> type =
        LoadProcessLifetimeMessageType(config.descriptor_set(), config.message());
    if (!type.ok()) {
      return absl::Status(type.status().code(), absl::StrCat("dedupe: ", type.status().message()));
    }
    options.source = state::DedupeKeySource::kProtoField;
    options.descriptor = type->descriptor;
    options.field_path = config.field();
    // Check the path now (the deduper would only at Create).
    absl::StatusOr<std::unique_ptr<state::KeyExtractor>> check =
        state::KeyExtractor::Create(options);
    if (!check.ok()) return check.status();
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("dedupe: unknown key \"", absl::CEscape(key),
                     "\" (one of key, header, hash, json_hash, json_field, proto_field)"));
  }
  return options;
}

}  // namespace onceflow::sidecar
