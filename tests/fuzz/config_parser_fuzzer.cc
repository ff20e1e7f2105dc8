// Fuzz target: the pipeline config parser (YAML via libyaml, JSON, protobuf text format) and the
// semantic validation behind `onceflow validate` / `onceflow run`.
//
// Input: the first byte picks the format, the rest is the file's text. Properties beyond "no
// crash, no leak, no UB":
//   - every error is kInvalidArgument and starts with the file's name (the "FILE:LINE: KEY:
//     WHY" contract users rely on to find the mistake);
//   - a value that came from a ${...} substitution never appears in any error message (the
//     environment lookup answers every name with a sentinel secret).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "sidecar/config_loader.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

constexpr char kSecret[] = "s3cr3t-sentinel-value";

// `text_has_secret`: the input itself spells the sentinel (libFuzzer learns strings from the
// comparisons it watches), so seeing it in a message proves nothing.
void CheckError(const absl::Status& status, const std::string& name, bool text_has_secret) {
  if (status.ok()) return;
  FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument, "code %d: %s",
             static_cast<int>(status.code()), std::string(status.message()).c_str());
  FUZZ_CHECK(absl::StartsWith(status.message(), name), "error does not name the file: %s",
             std::string(status.message()).c_str());
  FUZZ_CHECK(text_has_secret || !absl::StrContains(status.message(), kSecret),
             "error shows a secret: %s", std::string(status.message()).c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr const char* kFormats[] = {"yaml", "json", "textproto"};
  const std::string format = kFormats[data[0] % 3];
  const std::string name = "fuzz." + format;
  const absl::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const onceflow::sidecar::EnvLookup env = [](const std::string&) -> std::optional<std::string> {
    return std::string(kSecret);
  };
  const bool text_has_secret = absl::StrContains(text, kSecret);
  absl::StatusOr<onceflow::sidecar::LoadedConfig> loaded =
      onceflow::sidecar::ParseConfig(text, name, format, env);
  if (!loaded.ok()) {
    CheckError(loaded.status(), name, text_has_secret);
    return 0;
  }
  CheckError(onceflow::sidecar::ValidateConfig(*loaded), name, text_has_secret);
  return 0;
}
