#include "sidecar/route_transform.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/excerpt.h"
#include "onceflow/record.h"
#include "onceflow/status_macros.h"
#include "onceflow/transform.h"
#include "sidecar/build_error.h"
#include "sidecar/json_field.h"
#include "sidecar/topic_name.h"

namespace onceflow::sidecar {
namespace {

class RouteTransform final : public Transform {
 public:
  RouteTransform(std::optional<JsonPath> json_field, std::string header, std::string prefix,
                 std::string default_topic)
      : json_field_(std::move(json_field)),
        header_(std::move(header)),
        prefix_(std::move(prefix)),
        default_topic_(std::move(default_topic)) {}

  absl::Status Process(const Record& in, Emitter& out) override {
    ONCEFLOW_ASSIGN_OR_RETURN(const std::optional<absl::string_view> chosen, Choose(in));
    OutputRecord r = OutputRecord::Forward(in);
    if (chosen.has_value()) {
      // Sized before it is copied: a field or header can be as large as the record.
      const bool fits = prefix_.size() + chosen->size() <= kMaxTopicNameLength;
      std::string topic = fits ? absl::StrCat(prefix_, *chosen) : std::string();
      if (!IsValidTopicName(topic)) {
        return PermanentError(absl::StrCat("route: topic \"", base::Excerpt(prefix_),
                                           base::Excerpt(*chosen), "\" (from ", Source(),
                                           ") is not a valid Kafka topic name"));
      }
      r.SetTopic(std::move(topic));
    } else if (!default_topic_.empty()) {
      r.SetTopic(default_topic_);
    }
    out.Emit(std::move(r));
    return absl::OkStatus();
  }

  std::string name() const override { return "route"; }

 private:
  // A PermanentError only for a value the JSON scanner will not read (nested too deep).
  absl::StatusOr<std::optional<absl::string_view>> Choose(const Record& in) {
    if (json_field_.has_value()) {
      if (!in.has_value()) return std::nullopt;
      absl::StatusOr<std::optional<JsonField>> field = FindFieldOfValue(in.value(), *json_field_);
      if (!field.ok()) return PermanentError(absl::StrCat("route: ", field.status().message()));
      if (!field->has_value() || !(*field)->is_scalar()) return std::nullopt;
      const absl::string_view text = (*field)->Text(scratch_);
      if (text.empty()) return std::nullopt;
      return text;
    }
    const std::optional<absl::string_view> value = in.header(header_);
    if (!value.has_value() || value->empty()) return std::nullopt;
    return value;
  }

  std::string Source() const {
    return json_field_.has_value() ? absl::StrCat("json_field ", json_field_->dotted())
                                   : absl::StrCat("header ", header_);
  }

  std::optional<JsonPath> json_field_;
  std::string header_;
  std::string prefix_;
  std::string default_topic_;
  std::string scratch_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Transform>> BuildRoute(const v1::RouteConfig& config,
                                                      const std::string& where) {
  const bool by_field = !config.json_field().empty();
  const bool by_header = !config.header().empty();
  if (by_field == by_header) {
    return BuildError(where, "set exactly one of json_field and header (what chooses the topic)");
  }
  if (!std::all_of(config.topic_prefix().begin(), config.topic_prefix().end(), IsTopicChar)) {
    return BuildError(where, absl::StrCat("topic_prefix \"", absl::CEscape(config.topic_prefix()),
                                          "\" has characters Kafka topic names cannot have "
                                          "(allowed: a-z A-Z 0-9 . _ -)"));
  }
  if (!config.default_topic().empty() && !IsValidTopicName(config.default_topic())) {
    return BuildError(where, absl::StrCat("default_topic \"", absl::CEscape(config.default_topic()),
                                          "\" is not a valid Kafka topic name"));
  }
  std::optional<JsonPath> path;
  if (by_field) {
    absl::StatusOr<JsonPath> parsed = JsonPath::Parse(config.json_field());
    if (!parsed.ok()) {
      return BuildError(where, absl::StrCat("json_field: ", parsed.status().message()));
    }
    path = *std::move(parsed);
  }
  return std::make_unique<RouteTransform>(std::move(path), config.header(), config.topic_prefix(),
                                          config.default_topic());
}

}  // namespace onceflow::sidecar
