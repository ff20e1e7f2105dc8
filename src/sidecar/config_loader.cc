#include "sidecar/config_loader.h"

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "onceflow/status_macros.h"
#include "sidecar/config_mapper.h"
#include "sidecar/config_textproto.h"
#include "sidecar/config_validation.h"
#include "sidecar/config_yaml.h"

namespace onceflow::sidecar {
namespace {

// The config file's text. base::ReadFile's errors ("cannot read PATH: <reason>"), except that
// kInvalidArgument (a directory) becomes kFailedPrecondition: kInvalidArgument means "the
// config is wrong" (exit 2), and a file that cannot be read is not that (exit 1).
absl::StatusOr<std::string> ReadConfigFile(const std::string& path) {
  absl::StatusOr<std::string> text = base::ReadFile(path);
  if (text.status().code() == absl::StatusCode::kInvalidArgument) {
    return absl::FailedPreconditionError(text.status().message());
  }
  return text;
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::string LoadedConfig::Where(const std::string& key_path) const {
  std::string ancestor = key_path;
  int line = 0;
  while (!ancestor.empty()) {
    if (auto it = lines.find(ancestor); it != lines.end()) {
      line = it->second;
      break;
    }
    const size_t cut = ancestor.back() == ']' ? ancestor.rfind('[') : ancestor.rfind('.');
    ancestor.resize(cut == std::string::npos ? 0 : cut);
  }
  std::string where = path;
  if (line > 0) absl::StrAppend(&where, ":", line);
  if (!key_path.empty()) absl::StrAppend(&where, ": ", key_path);
  return where;
}

absl::Status LoadedConfig::Error(const std::string& key_path, absl::string_view why) const {
  return absl::InvalidArgumentError(absl::StrCat(Where(key_path), ": ", why));
}

absl::StatusOr<LoadedConfig> ParseConfig(absl::string_view text, const std::string& name,
                                         absl::string_view format, const EnvLookup& env) {
  LoadedConfig loaded;
  if (format == "textproto") {
    ONCEFLOW_ASSIGN_OR_RETURN(loaded, config_internal::ParseTextproto(text, name, env));
  } else if (format == "yaml" || format == "json") {
    ONCEFLOW_ASSIGN_OR_RETURN(config_internal::Node tree,
                              config_internal::ParseYaml(text, name, format));
    loaded.path = name;
    ONCEFLOW_RETURN_IF_ERROR(config_internal::MapTree(tree, env, loaded));
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": unknown config format '", format, "' (yaml, json or textproto)"));
  }
  // Kafka Streams' processing.guarantee spellings mean onceflow's modes; from here on only
  // eos and alos exist.
  if (loaded.config.mode() == "exactly_once_v2") loaded.config.set_mode("eos");
  if (loaded.config.mode() == "at_least_once") loaded.config.set_mode("alos");
  return loaded;
}

absl::StatusOr<LoadedConfig> LoadConfig(const std::string& path, const EnvLookup& env) {
  ONCEFLOW_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  const std::string extension =
      absl::AsciiStrToLower(std::filesystem::path(path).extension().string());
  absl::string_view format = "yaml";
  if (extension == ".json") format = "json";
  if (extension == ".textproto" || extension == ".txtpb" || extension == ".pbtxt") {
    format = "textproto";
  }
  return ParseConfig(text, path, format, env);
}

absl::Status ValidateConfig(const LoadedConfig& loaded) {
  return config_internal::Validate(loaded);
}

}  // namespace onceflow::sidecar
