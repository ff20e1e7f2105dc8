#include "sidecar/filter_transform.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "onceflow/record.h"
#include "onceflow/status_macros.h"
#include "onceflow/transform.h"
#include "sidecar/build_error.h"
#include "sidecar/json_field.h"
#include "sidecar/regex.h"

namespace onceflow::sidecar {
namespace {

// Compiles `pattern`; `what` names the setting in the error.
absl::StatusOr<Regex> CompileRegex(const std::string& pattern, absl::string_view where,
                                   absl::string_view what) {
  absl::StatusOr<Regex> re = Regex::Compile(pattern);
  if (!re.ok()) {
    return BuildError(where, absl::StrCat(what, " \"", absl::CEscape(pattern),
                                          "\" is not a valid regex: ", re.status().message()));
  }
  return re;
}

class FilterTransform final : public Transform {
 public:
  struct Conditions {
    std::optional<Regex> key_regex;
    std::string header;  // "" = no header condition
    std::optional<Regex> header_regex;
    std::optional<JsonPath> json_field;
    std::optional<std::string> equals;
    std::optional<Regex> matches;
    bool negate = false;
  };

  explicit FilterTransform(Conditions c) : c_(std::move(c)) {}

  absl::Status Process(const Record& in, Emitter& out) override {
    ONCEFLOW_ASSIGN_OR_RETURN(const bool matches, Matches(in));
    if (matches != c_.negate) out.Emit(OutputRecord::Forward(in));
    return absl::OkStatus();
  }

  std::string name() const override { return "filter"; }

 private:
  // A PermanentError only for a value the JSON scanner will not read (nested too deep):
  // neither keeping nor dropping it would be an answer.
  absl::StatusOr<bool> Matches(const Record& in) {
    if (c_.key_regex.has_value() && !c_.key_regex->FullMatch(in.key())) return false;
    if (!c_.header.empty()) {
      const std::optional<absl::string_view> value = in.header(c_.header);
      if (!value.has_value()) return false;
      if (c_.header_regex.has_value() && !c_.header_regex->FullMatch(*value)) return false;
    }
    if (c_.json_field.has_value()) {
      if (!in.has_value()) return false;
      absl::StatusOr<std::optional<JsonField>> field = FindFieldOfValue(in.value(), *c_.json_field);
      if (!field.ok()) return PermanentError(absl::StrCat("filter: ", field.status().message()));
      if (!field->has_value()) return false;  // not JSON, or no such field
      if (!c_.equals.has_value() && !c_.matches.has_value()) {
        return (*field)->type != JsonType::kNull;
      }
      const absl::string_view text = (*field)->Text(scratch_);
      if (c_.equals.has_value() && text != *c_.equals) return false;
      if (c_.matches.has_value() && !c_.matches->FullMatch(text)) return false;
    }
    return true;
  }

  Conditions c_;
  std::string scratch_;  // decoded JSON strings with escapes
};

}  // namespace

absl::StatusOr<std::unique_ptr<Transform>> BuildFilter(const v1::FilterConfig& config,
                                                       const std::string& where) {
  FilterTransform::Conditions c;
  c.negate = config.negate();
  if (!config.key_regex().empty()) {
    ONCEFLOW_ASSIGN_OR_RETURN(c.key_regex, CompileRegex(config.key_regex(), where, "key_regex"));
  }
  if (!config.header_regex().empty() && config.header().empty()) {
    return BuildError(where, "header_regex needs header (the header to match)");
  }
  c.header = config.header();
  if (!config.header_regex().empty()) {
    ONCEFLOW_ASSIGN_OR_RETURN(c.header_regex,
                              CompileRegex(config.header_regex(), where, "header_regex"));
  }
  if (config.json_field().empty() && (!config.equals().empty() || !config.matches().empty())) {
    return BuildError(where, "equals and matches need json_field (the field to compare)");
  }
  if (!config.json_field().empty()) {
    absl::StatusOr<JsonPath> path = JsonPath::Parse(config.json_field());
    if (!path.ok()) return BuildError(where, absl::StrCat("json_field: ", path.status().message()));
    c.json_field = *std::move(path);
    if (!config.equals().empty()) c.equals = config.equals();
    if (!config.matches().empty()) {
      ONCEFLOW_ASSIGN_OR_RETURN(c.matches, CompileRegex(config.matches(), where, "matches"));
    }
  }
  if (!c.key_regex.has_value() && c.header.empty() && !c.json_field.has_value()) {
    return BuildError(where, "no condition: set key_regex, header or json_field");
  }
  return std::make_unique<FilterTransform>(std::move(c));
}

}  // namespace onceflow::sidecar
