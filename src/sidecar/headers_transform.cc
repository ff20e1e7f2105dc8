#include "sidecar/headers_transform.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "onceflow/record.h"
#include "onceflow/transform.h"
#include "sidecar/build_error.h"

namespace onceflow::sidecar {
namespace {

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

}  // namespace

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

}  // namespace onceflow::sidecar
