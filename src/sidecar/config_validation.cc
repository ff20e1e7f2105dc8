#include "sidecar/config_validation.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/map.h"
#include "kafka/config.h"
#include "kafka/guarded_properties.h"
#include "onceflow/status_macros.h"
#include "sidecar/config_errors.h"
#include "sidecar/count_transform.h"
#include "sidecar/duration.h"
#include "sidecar/listen_address.h"
#include "sidecar/regex.h"

namespace onceflow::sidecar::config_internal {
namespace {

namespace pb = ::google::protobuf;

// librdkafka's property names, for "did you mean" on an unknown one.
const std::vector<std::string>& LibrdkafkaPropertyNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> list;
    for (const kafka::PropertyInfo& p : kafka::KnownProperties()) list.push_back(p.name);
    return list;
  }();
  return names;
}

bool IsTopicChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

bool IsIdentifier(absl::string_view s) {
  return !s.empty() && !absl::ascii_isdigit(static_cast<unsigned char>(s[0])) &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
         });
}

struct Property {
  std::string name;
  std::string value;
  std::string path;
  int line;
};

class Validator {
 public:
  explicit Validator(const LoadedConfig& loaded) : l_(loaded), c_(loaded.config) {}

  absl::Status Run() {
    ONCEFLOW_RETURN_IF_ERROR(Identity());
    ONCEFLOW_RETURN_IF_ERROR(Topics());
    ONCEFLOW_RETURN_IF_ERROR(Commits());
    ONCEFLOW_RETURN_IF_ERROR(State());
    ONCEFLOW_RETURN_IF_ERROR(Dedupe());
    for (int i = 0; i < c_.transforms_size(); ++i) {
      ONCEFLOW_RETURN_IF_ERROR(Transform(c_.transforms(i), JoinIndex("transforms", i)));
    }
    ONCEFLOW_RETURN_IF_ERROR(Errors());
    ONCEFLOW_RETURN_IF_ERROR(MetricsAndLog());
    const std::string mode = c_.mode().empty() ? "eos" : c_.mode();
    ONCEFLOW_RETURN_IF_ERROR(KafkaProperties("kafka", c_.kafka(), mode));
    ONCEFLOW_RETURN_IF_ERROR(KafkaProperties("consumer", c_.consumer(), mode));
    ONCEFLOW_RETURN_IF_ERROR(ConsumerProtocol());
    return KafkaProperties("producer", c_.producer(), mode);
  }

 private:
  absl::Status Err(const std::string& path, absl::string_view why) const {
    return l_.Error(path, why);
  }
  // Whether a number was written in the file (0 written explicitly counts).
  bool Given(const std::string& path, int64_t value) const {
    return value != 0 || l_.lines.count(path) > 0;
  }
  std::string Shown(const std::string& path, absl::string_view value) const {
    return l_.IsSecret(path) ? kHiddenValue : absl::StrCat("'", value, "'");
  }
  // A number as shown in messages: unquoted, unless it came from a substitution.
  std::string ShownNumber(const std::string& path, int64_t value) const {
    return l_.IsSecret(path) ? kHiddenValue : absl::StrCat(value);
  }

  absl::Status Required(const std::string& path, absl::string_view value,
                        absl::string_view what) const {
    if (!value.empty()) return absl::OkStatus();
    return Err(path, absl::StrCat("required (", what, ")"));
  }

  // "" (the default) or one of `allowed`.
  // One of EnumValues().at(path), or empty (the default).
  absl::Status Enum(const std::string& path, const std::string& value) const {
    if (value.empty()) return absl::OkStatus();
    const std::vector<std::string>& names = EnumValues().at(path);
    if (std::find(names.begin(), names.end(), value) != names.end()) return absl::OkStatus();
    return Err(path,
               absl::StrCat("must be one of ", absl::StrJoin(names, ", "), "; got ",
                            Shown(path, value), l_.IsSecret(path) ? "" : DidYouMean(value, names)));
  }

  // Absent/0 = the default; else lo..hi.
  absl::Status Range(const std::string& path, int64_t value, int64_t lo,
                     std::optional<int64_t> hi = std::nullopt) const {
    if (!Given(path, value)) return absl::OkStatus();
    if (value >= lo && (!hi.has_value() || value <= *hi)) return absl::OkStatus();
    const std::string shown = ShownNumber(path, value);
    return Err(path, hi.has_value() ? absl::StrCat("must be ", lo, "..", *hi, ", got ", shown)
                                    : absl::StrCat("must be >= ", lo, ", got ", shown));
  }

  absl::Status TopicName(const std::string& path, const std::string& topic) const {
    if (topic.empty()) return Err(path, "empty topic name");
    if (topic.size() > 249 || topic == "." || topic == ".." ||
        !std::all_of(topic.begin(), topic.end(), IsTopicChar)) {
      return Err(path, absl::StrCat(Shown(path, topic),
                                    " is not a valid Kafka topic name (1 to 249 letters, digits, "
                                    "'.', '_' or '-'; not '.' or '..')"));
    }
    return absl::OkStatus();
  }

  // `topic` must not be one of the inputs: that would feed the processor its own output.
  absl::Status NotAnInput(const std::string& path, const std::string& topic) const {
    for (int i = 0; i < c_.inputs_size(); ++i) {
      if (c_.inputs(i) == topic) {
        return Err(path, absl::StrCat(Shown(path, topic), " is also an input (inputs[", i,
                                      "]): the processor would consume its own output"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Regex(const std::string& path, const std::string& pattern) const {
    if (pattern.empty()) return absl::OkStatus();
    absl::StatusOr<sidecar::Regex> compiled = sidecar::Regex::Compile(pattern);
    if (!compiled.ok()) {
      return Err(path, absl::StrCat(Shown(path, pattern),
                                    " is not a valid regex (RE2): ", compiled.status().message()));
    }
    return absl::OkStatus();
  }

  // "order_id", "order.id": non-empty names joined by dots.
  absl::Status FieldPath(const std::string& path, const std::string& field, bool proto) const {
    for (absl::string_view part : absl::StrSplit(field, '.')) {
      if (part.empty() || (proto && !IsIdentifier(part))) {
        return Err(path, absl::StrCat(Shown(path, field), " is not a ", proto ? "protobuf " : "",
                                      "field path (names joined by "
                                      "dots, e.g. order.id)"));
      }
    }
    return absl::OkStatus();
  }

  // "shop.v1.Order".
  absl::Status MessageName(const std::string& path, const std::string& name) const {
    ONCEFLOW_RETURN_IF_ERROR(Required(path, name, "the full message name, e.g. shop.v1.Order"));
    for (absl::string_view part : absl::StrSplit(name, '.')) {
      if (!IsIdentifier(part)) {
        return Err(path, absl::StrCat(Shown(path, name),
                                      " is not a full protobuf message name (e.g. shop.v1.Order)"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Identity() const {
    ONCEFLOW_RETURN_IF_ERROR(Required("application_id", c_.application_id(),
                                      "the consumer group id and transactional.id prefix"));
    if (!std::all_of(c_.application_id().begin(), c_.application_id().end(), IsTopicChar)) {
      return Err("application_id",
                 absl::StrCat(Shown("application_id", c_.application_id()),
                              " may hold only letters, digits, '.', '_' and '-' (it names the "
                              "state changelog topics)"));
    }
    return Required("bootstrap_servers", c_.bootstrap_servers(),
                    "librdkafka bootstrap.servers, e.g. 127.0.0.1:9092");
  }

  bool HasRoute() const {
    return std::any_of(c_.transforms().begin(), c_.transforms().end(),
                       [](const v1::TransformConfig& t) { return t.has_route(); });
  }

  absl::Status Topics() const {
    if (c_.inputs().empty()) return Err("inputs", "required (at least one topic to consume)");
    for (int i = 0; i < c_.inputs_size(); ++i) {
      const std::string path = JoinIndex("inputs", i);
      ONCEFLOW_RETURN_IF_ERROR(TopicName(path, c_.inputs(i)));
      for (int j = 0; j < i; ++j) {
        if (c_.inputs(j) == c_.inputs(i)) {
          return Err(path, absl::StrCat("listed twice (also inputs[", j, "])"));
        }
      }
    }
    if (c_.output().empty()) {
      if (HasRoute()) return absl::OkStatus();
      return Err("output",
                 "required (the topic records go to) unless a route transform "
                 "chooses each record's topic");
    }
    ONCEFLOW_RETURN_IF_ERROR(TopicName("output", c_.output()));
    return NotAnInput("output", c_.output());
  }

  absl::Status Commits() const {
    ONCEFLOW_RETURN_IF_ERROR(Enum("mode", c_.mode()));
    ONCEFLOW_RETURN_IF_ERROR(Range("commit_interval_ms", c_.commit_interval_ms(), 1, 600000));
    ONCEFLOW_RETURN_IF_ERROR(
        Range("max_records_per_transaction", c_.max_records_per_transaction(), 1));
    ONCEFLOW_RETURN_IF_ERROR(Enum("commit_policy", c_.commit_policy()));
    return Range("commit_every_records", c_.commit_every_records(), 1);
  }

  absl::Status State() const {
    if (l_.lines.count("state.dir") > 0 && c_.state().dir().empty()) {
      return Err("state.dir", "empty (leave it out for the default, onceflow-state)");
    }
    ONCEFLOW_RETURN_IF_ERROR(Range("state.block_cache_mb", c_.state().block_cache_mb(), 1));
    return Range("state.write_buffer_mb", c_.state().write_buffer_mb(), 1);
  }

  absl::Status Dedupe() const {
    if (!c_.has_dedupe()) return absl::OkStatus();
    const v1::DedupeConfig& d = c_.dedupe();
    ONCEFLOW_RETURN_IF_ERROR(Enum("dedupe.key", d.key()));
    const std::string key = d.key().empty() ? "key" : d.key();
    const auto only_with = [&](const std::string& path, const std::string& value, bool applies,
                               absl::string_view kinds) -> absl::Status {
      if (value.empty() || applies) return absl::OkStatus();
      return Err(path, absl::StrCat("applies only to key: ", kinds, " (key is ",
                                    Shown("dedupe.key", key), ")"));
    };
    const bool by_field = key == "json_field" || key == "proto_field";
    ONCEFLOW_RETURN_IF_ERROR(only_with("dedupe.header", d.header(), key == "header", "header"));
    ONCEFLOW_RETURN_IF_ERROR(
        only_with("dedupe.field", d.field(), by_field, "json_field or proto_field"));
    ONCEFLOW_RETURN_IF_ERROR(only_with("dedupe.descriptor_set", d.descriptor_set(),
                                       key == "proto_field", "proto_field"));
    ONCEFLOW_RETURN_IF_ERROR(
        only_with("dedupe.message", d.message(), key == "proto_field", "proto_field"));
    if (by_field) {
      ONCEFLOW_RETURN_IF_ERROR(
          Required("dedupe.field", d.field(),
                   absl::StrCat("with key: ", key, ", the dotted field path, e.g. order_id")));
      ONCEFLOW_RETURN_IF_ERROR(FieldPath("dedupe.field", d.field(), key == "proto_field"));
    }
    if (key == "proto_field") {
      ONCEFLOW_RETURN_IF_ERROR(Required("dedupe.descriptor_set", d.descriptor_set(),
                                        "with key: proto_field, a descriptor set file"));
      ONCEFLOW_RETURN_IF_ERROR(MessageName("dedupe.message", d.message()));
    }
    if (l_.lines.count("dedupe.header") > 0 && key == "header" && d.header().empty()) {
      return Err("dedupe.header", "empty (leave it out for the default, idempotency-key)");
    }
    return Window("dedupe.window", d.window());
  }

  // A duration (sidecar/duration.h) of at least 1 ms, or "forever": what ParseDedupeWindow
  // accepts at run.
  absl::Status Window(const std::string& path, const std::string& window) const {
    if (window.empty() || window == "forever") return absl::OkStatus();
    absl::StatusOr<std::chrono::milliseconds> parsed = ParseDuration(window);
    if (!parsed.ok() || parsed->count() == 0) {
      return Err(path,
                 absl::StrCat("must be a duration of at least 1 ms (e.g. 24h, 1h30m, 7d) "
                              "or forever; got ",
                              Shown(path, window),
                              parsed.ok() ? "" : absl::StrCat(": ", parsed.status().message())));
    }
    return absl::OkStatus();
  }

  absl::Status Transform(const v1::TransformConfig& t, const std::string& path) const {
    switch (t.kind_case()) {
      case v1::TransformConfig::kPassthrough:
        return absl::OkStatus();
      case v1::TransformConfig::kFilter:
        return Filter(t.filter(), JoinKey(path, "filter"));
      case v1::TransformConfig::kHeaders:
        return Headers(t.headers(), JoinKey(path, "headers"));
      case v1::TransformConfig::kJsonToProto:
        return Codec(t.json_to_proto(), JoinKey(path, "json_to_proto"));
      case v1::TransformConfig::kProtoToJson:
        return Codec(t.proto_to_json(), JoinKey(path, "proto_to_json"));
      case v1::TransformConfig::kRoute:
        return Route(t.route(), JoinKey(path, "route"));
      case v1::TransformConfig::kPlugin:
        return Required(JoinKey(path, "plugin.path"), t.plugin().path(),
                        "the plugin's shared library, e.g. ./libmy_plugin.so");
      case v1::TransformConfig::kCount:
        return Count(t.count(), JoinKey(path, "count"));
      case v1::TransformConfig::kChaos:
        return Chaos(t.chaos(), JoinKey(path, "chaos"));
      case v1::TransformConfig::KIND_NOT_SET:
        break;
    }
    return Err(path,
               "sets no kind: each transform sets exactly one of passthrough, filter, "
               "headers, json_to_proto, proto_to_json, route, plugin, count, chaos");
  }

  // The store names BuildCount accepts (one rule: sidecar/count_transform.h), each used by
  // one count stage only: two stages on one store would count every record twice.
  absl::Status Count(const v1::CountConfig& c, const std::string& path) const {
    const std::string store = CountStoreName(c);
    const std::string store_path = JoinKey(path, "store");
    if (!std::all_of(store.begin(), store.end(), IsTopicChar)) {
      return Err(store_path, absl::StrCat(Shown(store_path, store),
                                          " may hold only letters, digits, '.', '_' and '-' (it "
                                          "names the changelog topic)"));
    }
    if (store == "dedupe") {
      return Err(store_path, "'dedupe' is the deduper's store; choose another name");
    }
    for (int i = 0; i < c_.transforms_size(); ++i) {
      const std::string other = JoinKey(JoinIndex("transforms", i), "count");
      if (other == path) break;
      if (c_.transforms(i).has_count() && CountStoreName(c_.transforms(i).count()) == store) {
        return Err(store_path, absl::StrCat(Shown(store_path, store), " is also the store of ",
                                            other, " (each count stage needs its own store)"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Chaos(const v1::ChaosConfig& c, const std::string& path) const {
    if (!(c.transient_rate() >= 0 && c.transient_rate() <= 1)) {
      return Err(JoinKey(path, "transient_rate"),
                 absl::StrCat("must be 0..1, got ", c.transient_rate()));
    }
    const std::string failures_path = JoinKey(path, "transient_failures");
    ONCEFLOW_RETURN_IF_ERROR(Range(failures_path, c.transient_failures(), 1, 99));
    const int64_t failures = c.transient_failures() != 0 ? c.transient_failures() : 1;
    const int64_t attempts = c_.errors().max_attempts() != 0 ? c_.errors().max_attempts() : 5;
    if (failures >= attempts) {
      return Err(failures_path,
                 absl::StrCat(failures, " failure(s) need more than errors.max_attempts (",
                              attempts, c_.errors().max_attempts() != 0 ? "" : ", the default",
                              ") attempts, or every chosen record would be given up"));
    }
    return absl::OkStatus();
  }

  absl::Status Filter(const v1::FilterConfig& f, const std::string& path) const {
    if (f.key_regex().empty() && f.header().empty() && f.json_field().empty()) {
      return Err(path, "has no condition: give key_regex, header or json_field");
    }
    if (!f.header_regex().empty() && f.header().empty()) {
      return Err(JoinKey(path, "header_regex"), "needs header (the header it matches)");
    }
    if (f.json_field().empty()) {
      if (!f.equals().empty()) return Err(JoinKey(path, "equals"), "needs json_field");
      if (!f.matches().empty()) return Err(JoinKey(path, "matches"), "needs json_field");
    } else {
      ONCEFLOW_RETURN_IF_ERROR(FieldPath(JoinKey(path, "json_field"), f.json_field(), false));
    }
    ONCEFLOW_RETURN_IF_ERROR(Regex(JoinKey(path, "key_regex"), f.key_regex()));
    ONCEFLOW_RETURN_IF_ERROR(Regex(JoinKey(path, "header_regex"), f.header_regex()));
    return Regex(JoinKey(path, "matches"), f.matches());
  }

  absl::Status Headers(const v1::HeadersConfig& h, const std::string& path) const {
    if (h.set().empty() && h.remove().empty() && h.rename().empty()) {
      return Err(path, "does nothing: give set, remove or rename");
    }
    for (const auto& [name, value] : h.set()) {
      if (name.empty()) return Err(JoinKey(path, "set"), "empty header name");
    }
    for (int i = 0; i < h.remove_size(); ++i) {
      if (h.remove(i).empty()) {
        return Err(JoinIndex(JoinKey(path, "remove"), i), "empty header name");
      }
    }
    for (const auto& [from, to] : h.rename()) {
      if (from.empty()) return Err(JoinKey(path, "rename"), "empty header name");
      if (to.empty()) {
        return Err(JoinKey(JoinKey(path, "rename"), from), "empty new header name");
      }
    }
    return absl::OkStatus();
  }

  absl::Status Codec(const v1::ProtoCodecConfig& p, const std::string& path) const {
    ONCEFLOW_RETURN_IF_ERROR(
        Required(JoinKey(path, "descriptor_set"), p.descriptor_set(),
                 "a file written by protoc --descriptor_set_out --include_imports"));
    return MessageName(JoinKey(path, "message"), p.message());
  }

  absl::Status Route(const v1::RouteConfig& r, const std::string& path) const {
    if (r.json_field().empty() == r.header().empty()) {
      return Err(path, r.json_field().empty()
                           ? "needs json_field or header (where each record's topic comes from)"
                           : "sets both json_field and header: choose one");
    }
    if (!r.json_field().empty()) {
      ONCEFLOW_RETURN_IF_ERROR(FieldPath(JoinKey(path, "json_field"), r.json_field(), false));
    }
    const std::string prefix_path = JoinKey(path, "topic_prefix");
    if (!std::all_of(r.topic_prefix().begin(), r.topic_prefix().end(), IsTopicChar)) {
      return Err(prefix_path, absl::StrCat(Shown(prefix_path, r.topic_prefix()),
                                           " may hold only letters, digits, '.', '_' and '-'"));
    }
    if (r.default_topic().empty()) return absl::OkStatus();
    const std::string default_path = JoinKey(path, "default_topic");
    ONCEFLOW_RETURN_IF_ERROR(TopicName(default_path, r.default_topic()));
    return NotAnInput(default_path, r.default_topic());
  }

  absl::Status Errors() const {
    const v1::ErrorConfig& e = c_.errors();
    ONCEFLOW_RETURN_IF_ERROR(Enum("errors.policy", e.policy()));
    const std::string policy = e.policy().empty() ? "fail" : e.policy();
    if (policy == "dlq") {
      ONCEFLOW_RETURN_IF_ERROR(Required("errors.dead_letter_topic", e.dead_letter_topic(),
                                        "with policy: dlq, the topic failed records go to"));
    } else if (!e.dead_letter_topic().empty()) {
      return Err("errors.dead_letter_topic", absl::StrCat("applies only to policy: dlq (policy is ",
                                                          Shown("errors.policy", policy), ")"));
    }
    if (!e.dead_letter_topic().empty()) {
      ONCEFLOW_RETURN_IF_ERROR(TopicName("errors.dead_letter_topic", e.dead_letter_topic()));
      ONCEFLOW_RETURN_IF_ERROR(NotAnInput("errors.dead_letter_topic", e.dead_letter_topic()));
    }
    ONCEFLOW_RETURN_IF_ERROR(Enum("errors.header_style", e.header_style()));
    ONCEFLOW_RETURN_IF_ERROR(Range("errors.max_attempts", e.max_attempts(), 1, 100));
    ONCEFLOW_RETURN_IF_ERROR(Range("errors.base_backoff_ms", e.base_backoff_ms(), 1));
    ONCEFLOW_RETURN_IF_ERROR(Range("errors.max_backoff_ms", e.max_backoff_ms(), 1));
    const int64_t base = e.base_backoff_ms() != 0 ? e.base_backoff_ms() : 100;
    const int64_t max = e.max_backoff_ms() != 0 ? e.max_backoff_ms() : 5000;
    if (base > max) {
      const bool max_given = e.max_backoff_ms() != 0;
      return Err(
          max_given ? "errors.max_backoff_ms" : "errors.base_backoff_ms",
          absl::StrCat("base_backoff_ms (", ShownNumber("errors.base_backoff_ms", base),
                       ") exceeds max_backoff_ms (", ShownNumber("errors.max_backoff_ms", max),
                       max_given ? ")" : ", the default)"));
    }
    return absl::OkStatus();
  }

  absl::Status MetricsAndLog() const {
    const std::string& address = c_.metrics().address();
    if (!address.empty() && address != "off") {
      // The same parser `run` binds with: what passes here binds (or fails only as taken).
      if (absl::StatusOr<ListenAddress> parsed = ParseListenAddress(address); !parsed.ok()) {
        return Err("metrics.address",
                   l_.IsSecret("metrics.address")
                       ? absl::StrCat("must be host:port (an IPv4 address, [IPv6], localhost or "
                                      "*, and a port in 1..65535) or off; got ",
                                      kHiddenValue)
                       : absl::StrCat(parsed.status().message(), ", or off"));
      }
    }
    ONCEFLOW_RETURN_IF_ERROR(Enum("log.level", c_.log().level()));
    return Enum("log.format", c_.log().format());
  }

  // The guarantee rules (kafka/guarded_properties.h, as Processor::Create), then librdkafka's
  // own acceptance of each name and value. In file order, so the first error is the first line.
  absl::Status KafkaProperties(const std::string& field,
                               const pb::Map<std::string, std::string>& map,
                               const std::string& mode) const {
    std::vector<Property> props;
    for (const auto& [name, value] : map) {
      const std::string path = JoinKey(field, name);
      auto line = l_.lines.find(path);
      props.push_back({name, value, path, line == l_.lines.end() ? 0 : line->second});
    }
    std::sort(props.begin(), props.end(), [](const Property& a, const Property& b) {
      return std::tie(a.line, a.name) < std::tie(b.line, b.name);
    });
    for (const Property& p : props) ONCEFLOW_RETURN_IF_ERROR(Guarantee(p, mode));
    for (const Property& p : props) {
      absl::Status st = kafka::CheckProperty(p.name, p.value);
      if (st.ok()) continue;
      if (kafka::IsUnknownProperty(st)) {
        return Err(p.path, absl::StrCat("unknown librdkafka property '", p.name, "'",
                                        DidYouMean(p.name, LibrdkafkaPropertyNames())));
      }
      if (l_.IsSecret(p.path) || kafka::IsSecretProperty(p.name)) {
        // librdkafka's reason may quote or reformat the value ("value 1e+11 is outside ...").
        return Err(p.path, absl::StrCat("librdkafka refuses the value of ", p.name,
                                        l_.IsSecret(p.path)
                                            ? " (it comes from a substitution, so it is not shown)"
                                            : " (a secret, so it is not shown)"));
      }
      return Err(p.path, st.message());
    }
    return absl::OkStatus();
  }

  // The one table of properties that would break the guarantee (kafka/guarded_properties.h).
  absl::Status Guarantee(const Property& p, const std::string& mode) const {
    if (std::optional<std::string> why = kafka::GuaranteeConflict(p.name, p.value, mode == "eos")) {
      return Err(p.path, absl::StrCat("refused: ", *why));
    }
    return absl::OkStatus();
  }

  // What group.protocol: consumer (KIP-848) does not take, over kafka: and consumer: together
  // (the consumer's properties are both maps merged), as Processor::Create.
  absl::Status ConsumerProtocol() const {
    const kafka::Properties kafka_map(c_.kafka().begin(), c_.kafka().end());
    const kafka::Properties consumer_map(c_.consumer().begin(), c_.consumer().end());
    if (std::optional<kafka::GroupProtocolConflict> c =
            kafka::ConsumerProtocolConflict({&kafka_map, &consumer_map})) {
      return Err(JoinKey(c->map_index == 0 ? "kafka" : "consumer", c->name),
                 absl::StrCat("refused: ", c->reason));
    }
    return absl::OkStatus();
  }

  const LoadedConfig& l_;
  const v1::PipelineConfig& c_;
};

}  // namespace

absl::Status Validate(const LoadedConfig& loaded) { return Validator(loaded).Run(); }

}  // namespace onceflow::sidecar::config_internal

namespace onceflow::sidecar {

const std::map<std::string, std::vector<std::string>>& EnumValues() {
  static const std::map<std::string, std::vector<std::string>> values = {
      {"mode", {"eos", "alos", "exactly_once_v2", "at_least_once"}},
      {"commit_policy", {"interval", "record", "batch", "every_n"}},
      {"dedupe.key", {"key", "header", "hash", "json_hash", "json_field", "proto_field"}},
      {"errors.policy", {"fail", "skip", "dlq"}},
      {"errors.header_style", {"onceflow", "kafka_streams", "kafka_connect"}},
      {"log.level", {"debug", "info", "warn", "error"}},
      {"log.format", {"text", "json"}},
  };
  return values;
}

}  // namespace onceflow::sidecar
