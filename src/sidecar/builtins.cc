#include "sidecar/builtins.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "base/file.h"
#include "base/retry.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/descriptor_database.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "onceflow/record.h"
#include "onceflow/status_macros.h"
#include "onceflow/transform.h"
#include "onceflow/typed_transform.h"
#include "sidecar/duration.h"
#include "sidecar/json_field.h"
#include "sidecar/plugin_loader.h"
#include "sidecar/regex.h"

namespace onceflow::sidecar {
namespace {

namespace pb = ::google::protobuf;

absl::Status BuildError(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

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

// ---------------------------------------------------------------------------------------------
// filter

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
    if (Matches(in) != c_.negate) out.Emit(OutputRecord::Forward(in));
    return absl::OkStatus();
  }

  std::string name() const override { return "filter"; }

 private:
  bool Matches(const Record& in) {
    if (c_.key_regex.has_value() && !c_.key_regex->FullMatch(in.key())) return false;
    if (!c_.header.empty()) {
      const std::optional<absl::string_view> value = in.header(c_.header);
      if (!value.has_value()) return false;
      if (c_.header_regex.has_value() && !c_.header_regex->FullMatch(*value)) return false;
    }
    if (c_.json_field.has_value()) {
      if (!in.has_value()) return false;
      const absl::StatusOr<std::optional<JsonField>> field =
          FindJsonField(in.value(), *c_.json_field);
      if (!field.ok() || !field->has_value()) return false;  // not JSON, or no such field
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

// ---------------------------------------------------------------------------------------------
// headers

class HeadersTransform final : public Transform {
 public:
  HeadersTransform(absl::flat_hash_map<std::string, std::string> rename,
                   absl::flat_hash_set<std::string> remove,
                   std::vector<std::pair<std::string, std::string>> set)
      : rename_(std::move(rename)), remove_(std::move(remove)), set_(std::move(set)) {
    for (const auto& [name, value] : set_) set_names_.insert(name);
  }

  absl::Status Process(const Record& in, Emitter& out) override {
    // OutputRecord takes header views only through Forward(Record): shape a Record with the
    // result (values are views into the input, names into the input or this transform) and
    // forward it. shape_ keeps its capacity across records.
    if (in.has_key()) {
      shape_.set_key(in.key());
    } else {
      shape_.clear_key();
    }
    if (in.has_value()) {
      shape_.set_value(in.value());
    } else {
      shape_.clear_value();
    }
    shape_.set_timestamp_ms(in.timestamp_ms());
    std::vector<HeaderView>& headers = shape_.mutable_headers();
    headers.clear();
    for (const HeaderView& h : in.headers()) {
      absl::string_view name = h.first;
      if (auto it = rename_.find(name); it != rename_.end()) name = it->second;
      if (remove_.contains(name) || set_names_.contains(name)) continue;
      headers.emplace_back(name, h.second);
    }
    for (const auto& [name, value] : set_) headers.emplace_back(name, value);
    out.Emit(OutputRecord::Forward(shape_));
    return absl::OkStatus();
  }

  std::string name() const override { return "headers"; }

 private:
  absl::flat_hash_map<std::string, std::string> rename_;
  absl::flat_hash_set<std::string> remove_;
  std::vector<std::pair<std::string, std::string>> set_;  // in name order
  absl::flat_hash_set<std::string> set_names_;
  Record shape_;
};

absl::StatusOr<std::unique_ptr<Transform>> BuildHeaders(const v1::HeadersConfig& config,
                                                        const std::string& where) {
  if (config.set().empty() && config.remove().empty() && config.rename().empty()) {
    return BuildError(where, "nothing to do: set, remove or rename at least one header");
  }
  absl::flat_hash_map<std::string, std::string> rename;
  for (const auto& [from, to] : config.rename()) {
    if (from.empty() || to.empty()) {
      return BuildError(where, "rename: header names must not be empty");
    }
    rename.emplace(from, to);
  }
  absl::flat_hash_set<std::string> remove;
  for (const std::string& name : config.remove()) {
    if (name.empty()) return BuildError(where, "remove: header names must not be empty");
    remove.insert(name);
  }
  // Protobuf maps have no order; headers are set in name order, the same on every run.
  std::vector<std::pair<std::string, std::string>> set(config.set().begin(), config.set().end());
  std::sort(set.begin(), set.end());
  for (const auto& [name, value] : set) {
    if (name.empty()) return BuildError(where, "set: header names must not be empty");
  }
  return std::make_unique<HeadersTransform>(std::move(rename), std::move(remove), std::move(set));
}

// ---------------------------------------------------------------------------------------------
// json_to_proto, proto_to_json

class ProtoCodecTransform final : public Transform {
 public:
  ProtoCodecTransform(MessageType type, Codec from, Codec to, std::string name)
      : type_(std::move(type)),
        message_(factory_.GetPrototype(type_.descriptor)->New()),
        resolver_(NewCachingTypeResolver(type_.pool.get())),
        from_(from),
        to_(to),
        name_(std::move(name)) {}

  absl::Status Process(const Record& in, Emitter& out) override {
    if (!in.has_value()) {  // a tombstone stays one
      out.Emit(OutputRecord::Forward(in));
      return absl::OkStatus();
    }
    message_->Clear();
    ONCEFLOW_RETURN_IF_ERROR(ParseAs(in.value(), from_, *message_, *resolver_));
    ONCEFLOW_ASSIGN_OR_RETURN(std::string bytes, SerializeAs(*message_, to_, *resolver_));
    out.Emit(OutputRecord::Forward(in).SetValue(std::move(bytes)));
    return absl::OkStatus();
  }

  std::string name() const override { return name_; }

 private:
  MessageType type_;                      // owns the descriptors
  pb::DynamicMessageFactory factory_;     // owns the prototype
  std::unique_ptr<pb::Message> message_;  // reused for every record
  // JSON type translations, done once per type rather than once per record.
  std::unique_ptr<google::protobuf::util::TypeResolver> resolver_;
  Codec from_;
  Codec to_;
  std::string name_;
};

absl::StatusOr<std::unique_ptr<Transform>> BuildProtoCodec(const v1::ProtoCodecConfig& config,
                                                           const std::string& where,
                                                           absl::string_view kind, Codec from,
                                                           Codec to) {
  const std::string here = absl::StrCat(where, ": ", kind);
  if (config.descriptor_set().empty()) return BuildError(here, "descriptor_set is required");
  if (config.message().empty()) return BuildError(here, "message is required");
  absl::StatusOr<MessageType> type = LoadMessageType(config.descriptor_set(), config.message());
  if (!type.ok()) {
    return absl::Status(type.status().code(), absl::StrCat(here, ": ", type.status().message()));
  }
  std::string name = absl::StrCat(kind, ":", config.message());
  return std::make_unique<ProtoCodecTransform>(*std::move(type), from, to, std::move(name));
}

// ---------------------------------------------------------------------------------------------
// route

class RouteTransform final : public Transform {
 public:
  RouteTransform(std::optional<JsonPath> json_field, std::string header, std::string prefix,
                 std::string default_topic)
      : json_field_(std::move(json_field)),
        header_(std::move(header)),
        prefix_(std::move(prefix)),
        default_topic_(std::move(default_topic)) {}

  absl::Status Process(const Record& in, Emitter& out) override {
    const std::optional<absl::string_view> chosen = Choose(in);
    OutputRecord r = OutputRecord::Forward(in);
    if (chosen.has_value()) {
      std::string topic = absl::StrCat(prefix_, *chosen);
      if (!IsValidTopicName(topic)) {
        return PermanentError(absl::StrCat("route: topic \"", absl::CEscape(topic), "\" (from ",
                                           Source(), ") is not a valid Kafka topic name"));
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
  std::optional<absl::string_view> Choose(const Record& in) {
    if (json_field_.has_value()) {
      if (!in.has_value()) return std::nullopt;
      const absl::StatusOr<std::optional<JsonField>> field =
          FindJsonField(in.value(), *json_field_);
      if (!field.ok() || !field->has_value() || !(*field)->is_scalar()) return std::nullopt;
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

bool IsTopicChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

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

// ---------------------------------------------------------------------------------------------
// The chain

class VectorEmitter final : public Emitter {
 public:
  explicit VectorEmitter(std::vector<OutputRecord>& records) : records_(records) {}
  void Emit(OutputRecord record) override { records_.push_back(std::move(record)); }

 private:
  std::vector<OutputRecord>& records_;
};

// A stage's outputs keep the destination an earlier stage chose (onceflow::Chain hands each
// stage a Record, which has no destination; without this, a `route` followed by `headers`
// would lose its topic). Wraps stage i + 1 of a onceflow::Chain: the chain gives it a Record
// built from one output of stage i, and `previous` (owned by the chain, shared with a Tap
// after stage i) says which one.
//
// The Tap records the destinations of stage i's outputs in emission order; the chain feeds
// them to stage i + 1 in that same order (it runs stage by stage over buffered outputs), so
// the k-th Process call of the next stage for one input sees the k-th destination.
struct Destinations {
  std::vector<std::pair<std::string, Partition>> list;
  size_t next = 0;
};

class Tap final : public Transform {
 public:
  Tap(std::unique_ptr<Transform> stage, std::shared_ptr<Destinations> destinations)
      : stage_(std::move(stage)), destinations_(std::move(destinations)) {}

  absl::Status Init(TransformContext& context) override { return stage_->Init(context); }

  absl::Status Process(const Record& in, Emitter& out) override {
    class Recorder final : public Emitter {
     public:
      Recorder(Emitter& out, Destinations& d) : out_(out), d_(d) {}
      void Emit(OutputRecord record) override {
        d_.list.emplace_back(record.topic(), record.partition());
        out_.Emit(std::move(record));
      }

     private:
      Emitter& out_;
      Destinations& d_;
    };
    Recorder recorder(out, *destinations_);
    return stage_->Process(in, recorder);
  }

  std::string name() const override { return stage_->name(); }

 private:
  std::unique_ptr<Transform> stage_;
  std::shared_ptr<Destinations> destinations_;
};

class Inherit final : public Transform {
 public:
  Inherit(std::unique_ptr<Transform> stage, std::shared_ptr<Destinations> previous)
      : stage_(std::move(stage)), previous_(std::move(previous)) {}

  absl::Status Init(TransformContext& context) override { return stage_->Init(context); }

  absl::Status Process(const Record& in, Emitter& out) override {
    class Filler final : public Emitter {
     public:
      Filler(Emitter& out, const std::string& topic, Partition partition)
          : out_(out), topic_(topic), partition_(partition) {}
      void Emit(OutputRecord record) override {
        if (record.topic().empty() && !topic_.empty()) record.SetTopic(topic_);
        if (record.partition() == Partition::Any()) record.SetPartition(partition_);
        out_.Emit(std::move(record));
      }

     private:
      Emitter& out_;
      const std::string& topic_;
      Partition partition_;
    };
    Destinations& d = *previous_;
    if (d.next >= d.list.size()) {
      return absl::InternalError("sidecar chain: a stage ran without a recorded destination");
    }
    const auto& [topic, partition] = d.list[d.next++];
    if (topic.empty() && partition == Partition::Any()) return stage_->Process(in, out);
    Filler filler(out, topic, partition);
    return stage_->Process(in, filler);
  }

  std::string name() const override { return stage_->name(); }

 private:
  std::unique_ptr<Transform> stage_;
  std::shared_ptr<Destinations> previous_;
};

// Clears the recorded destinations at the start of each input (an error may leave some).
class ResetDestinations final : public Transform {
 public:
  ResetDestinations(std::unique_ptr<Transform> chain,
                    std::vector<std::shared_ptr<Destinations>> all)
      : chain_(std::move(chain)), all_(std::move(all)) {}

  absl::Status Init(TransformContext& context) override { return chain_->Init(context); }

  absl::Status Process(const Record& in, Emitter& out) override {
    for (const std::shared_ptr<Destinations>& d : all_) {
      d->list.clear();
      d->next = 0;
    }
    return chain_->Process(in, out);
  }

  std::string name() const override { return chain_->name(); }

 private:
  std::unique_ptr<Transform> chain_;
  std::vector<std::shared_ptr<Destinations>> all_;
};

// ---------------------------------------------------------------------------------------------
// Descriptor sets

// Up to a few errors of building a pool's files, for the message.
class CollectErrors final : public pb::DescriptorPool::ErrorCollector {
 public:
  void AddError(const std::string& filename, const std::string& element_name,
                const pb::Message* descriptor, ErrorLocation location,
                const std::string& message) override {
    if (errors_.size() < 5)
      errors_.push_back(absl::StrCat(filename, ": ", element_name, ": ", message));
  }
  std::string Summary() const { return absl::StrJoin(errors_, "; "); }
  bool empty() const { return errors_.empty(); }

 private:
  std::vector<std::string> errors_;
};

// A pool with the database it reads its files from and its error collector (both must outlive
// it).
struct PoolHolder {
  pb::SimpleDescriptorDatabase database;
  CollectErrors errors;
  pb::DescriptorPool pool{&database, &errors};
};

// The bytes of a descriptor set; errors are base::ReadFile's, said to be about one.
absl::StatusOr<std::string> ReadDescriptorSet(const std::string& path) {
  absl::StatusOr<std::string> bytes = base::ReadFile(path);
  if (!bytes.ok()) return base::Annotate("descriptor set: ", bytes.status());
  return bytes;
}

void CollectMessageNames(const pb::Descriptor& d, std::vector<std::string>& out) {
  out.push_back(d.full_name());
  for (int i = 0; i < d.nested_type_count(); ++i) CollectMessageNames(*d.nested_type(i), out);
}

// Builds a pool from the bytes of a FileDescriptorSet and finds `message` in it.
absl::StatusOr<MessageType> BuildMessageType(const std::string& path, const std::string& bytes,
                                             const std::string& message) {
  pb::FileDescriptorSet set;
  if (!set.ParseFromString(bytes) || set.file_size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "descriptor set ", path,
        ": not a FileDescriptorSet with files (make it with protoc --descriptor_set_out=FILE "
        "--include_imports)"));
  }
  auto holder = std::make_shared<PoolHolder>();
  for (const pb::FileDescriptorProto& file : set.file()) {
    if (!holder->database.Add(file)) {
      return absl::InvalidArgumentError(
          absl::StrCat("descriptor set ", path, ": file ", file.name(), " is listed twice"));
    }
  }
  // Build every file now, so a broken set is reported here rather than half-used later.
  std::vector<std::string> names;
  for (const pb::FileDescriptorProto& file : set.file()) {
    const pb::FileDescriptor* built = holder->pool.FindFileByName(file.name());
    if (built == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "descriptor set ", path, ": file ", file.name(), " does not build (",
          holder->errors.empty() ? "a dependency is missing" : holder->errors.Summary(),
          "); was it made with --include_imports?"));
    }
    for (int i = 0; i < built->message_type_count(); ++i) {
      CollectMessageNames(*built->message_type(i), names);
    }
  }
  const pb::Descriptor* descriptor = holder->pool.FindMessageTypeByName(message);
  if (descriptor == nullptr) {
    std::sort(names.begin(), names.end());
    constexpr size_t kMaxListed = 20;
    const bool more = names.size() > kMaxListed;
    if (more) names.resize(kMaxListed);
    return absl::InvalidArgumentError(absl::StrCat(
        "descriptor set ", path, " has no message \"", message, "\" (it has: ",
        names.empty() ? "none" : absl::StrJoin(names, ", "), more ? ", ..." : "", ")"));
  }
  // The aliasing constructor: the pool lives as long as the holder.
  std::shared_ptr<const pb::DescriptorPool> pool(holder, &holder->pool);
  return MessageType{std::move(pool), descriptor};
}

// Descriptor pools that must live until exit (DedupeOptions holds a bare Descriptor*), by the
// contents of the set they were built from, so loading one file again reuses its pool.
class ProcessPools {
 public:
  static ProcessPools& Get() {
    static ProcessPools* const pools = new ProcessPools();  // never destroyed: used until exit
    return *pools;
  }

  absl::StatusOr<MessageType> Load(const std::string& path, const std::string& message) {
    ONCEFLOW_ASSIGN_OR_RETURN(std::string bytes, ReadDescriptorSet(path));
    absl::MutexLock lock(&mu_);
    auto it = pools_.find(bytes);
    if (it != pools_.end()) {
      const pb::Descriptor* descriptor = it->second->FindMessageTypeByName(message);
      if (descriptor != nullptr) return MessageType{it->second, descriptor};
    }
    ONCEFLOW_ASSIGN_OR_RETURN(MessageType type, BuildMessageType(path, bytes, message));
    pools_[std::move(bytes)] = type.pool;
    return type;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<const pb::DescriptorPool>> pools_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

// ---------------------------------------------------------------------------------------------

bool IsValidTopicName(absl::string_view topic) {
  if (topic.empty() || topic.size() > 249 || topic == "." || topic == "..") return false;
  return std::all_of(topic.begin(), topic.end(), IsTopicChar);
}

absl::StatusOr<MessageType> LoadMessageType(const std::string& descriptor_set_path,
                                            const std::string& message) {
  ONCEFLOW_ASSIGN_OR_RETURN(std::string bytes, ReadDescriptorSet(descriptor_set_path));
  return BuildMessageType(descriptor_set_path, bytes, message);
}

absl::StatusOr<std::unique_ptr<Transform>> BuildTransform(const v1::TransformConfig& config,
                                                          const std::string& where) {
  switch (config.kind_case()) {
    case v1::TransformConfig::kPassthrough:
      return Passthrough();
    case v1::TransformConfig::kFilter:
      return BuildFilter(config.filter(), absl::StrCat(where, ": filter"));
    case v1::TransformConfig::kHeaders:
      return BuildHeaders(config.headers(), absl::StrCat(where, ": headers"));
    case v1::TransformConfig::kJsonToProto:
      return BuildProtoCodec(config.json_to_proto(), where, "json_to_proto", Codec::kJson,
                             Codec::kBinary);
    case v1::TransformConfig::kProtoToJson:
      return BuildProtoCodec(config.proto_to_json(), where, "proto_to_json", Codec::kBinary,
                             Codec::kJson);
    case v1::TransformConfig::kRoute:
      return BuildRoute(config.route(), absl::StrCat(where, ": route"));
    case v1::TransformConfig::kPlugin: {
      const v1::PluginConfig& plugin = config.plugin();
      if (plugin.path().empty()) return BuildError(where, "plugin: path is required");
      const std::map<std::string, std::string> settings(plugin.config().begin(),
                                                        plugin.config().end());
      absl::StatusOr<std::unique_ptr<Transform>> loaded = LoadPlugin(plugin.path(), settings);
      if (!loaded.ok()) {
        return absl::Status(loaded.status().code(),
                            absl::StrCat(where, ": ", loaded.status().message()));
      }
      return loaded;
    }
    case v1::TransformConfig::KIND_NOT_SET:
      break;
  }
  return BuildError(where,
                    "no transform kind: set one of passthrough, filter, headers, json_to_proto, "
                    "proto_to_json, route, plugin");
}

absl::StatusOr<std::unique_ptr<Transform>> BuildChain(
    const google::protobuf::RepeatedPtrField<v1::TransformConfig>& configs) {
  std::vector<std::unique_ptr<Transform>> stages;
  stages.reserve(configs.size());
  for (int i = 0; i < configs.size(); ++i) {
    ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<Transform> stage,
                              BuildTransform(configs.Get(i), absl::StrCat("transforms[", i, "]")));
    stages.push_back(std::move(stage));
  }
  if (stages.empty()) return Passthrough();
  if (stages.size() == 1) return std::move(stages[0]);
  // Every stage but the last records its outputs' destinations; every stage but the first
  // applies the destination of the output it was given.
  std::vector<std::shared_ptr<Destinations>> all;
  std::vector<std::unique_ptr<Transform>> wrapped;
  std::shared_ptr<Destinations> previous;
  for (size_t i = 0; i < stages.size(); ++i) {
    std::unique_ptr<Transform> stage = std::move(stages[i]);
    if (previous != nullptr) stage = std::make_unique<Inherit>(std::move(stage), previous);
    previous = nullptr;
    if (i + 1 < stages.size()) {
      previous = std::make_shared<Destinations>();
      all.push_back(previous);
      stage = std::make_unique<Tap>(std::move(stage), previous);
    }
    wrapped.push_back(std::move(stage));
  }
  return std::make_unique<ResetDestinations>(Chain(std::move(wrapped)), std::move(all));
}

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
        [path = *std::move(path)](const state::RecordView& record) -> std::optional<std::string> {
      if (!record.value.has_value()) return std::nullopt;
      const absl::StatusOr<std::optional<JsonField>> field = FindJsonField(*record.value, path);
      if (!field.ok() || !field->has_value() || !(*field)->is_scalar()) return std::nullopt;
      std::string scratch;
      const absl::string_view text = (*field)->Text(scratch);
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
        ProcessPools::Get().Load(config.descriptor_set(), config.message());
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
