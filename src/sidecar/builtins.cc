#include "sidecar/builtins.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "onceflow/status_macros.h"
#include "onceflow/transform.h"
#include "onceflow/typed_transform.h"
#include "sidecar/build_error.h"
#include "sidecar/chaos_transform.h"
#include "sidecar/count_transform.h"
#include "sidecar/destination_chain.h"
#include "sidecar/filter_transform.h"
#include "sidecar/headers_transform.h"
#include "sidecar/plugin_loader.h"
#include "sidecar/proto_codec_transform.h"
#include "sidecar/route_transform.h"

namespace onceflow::sidecar {

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
    case v1::TransformConfig::kCount:
      return BuildCount(config.count(), absl::StrCat(where, ": count"));
    case v1::TransformConfig::kChaos:
      return BuildChaos(config.chaos(), absl::StrCat(where, ": chaos"));
    case v1::TransformConfig::KIND_NOT_SET:
      break;
  }
  return BuildError(where,
                    "no transform kind: set one of passthrough, filter, headers, json_to_proto, "
                    "proto_to_json, route, plugin, count, chaos");
}

std::vector<std::string> StoresOf(
    const google::protobuf::RepeatedPtrField<v1::TransformConfig>& configs) {
  std::vector<std::string> stores;
  for (const v1::TransformConfig& config : configs) {
    if (config.has_count()) stores.push_back(CountStoreName(config.count()));
  }
  return stores;
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
  return DestinationChain(std::move(stages));
}

}  // namespace onceflow::sidecar
