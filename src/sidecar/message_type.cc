#include "sidecar/message_type.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/base/thread_annotations.h"
#include "base/file.h"
#include "base/retry.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/descriptor_database.h"
#include "onceflow/status_macros.h"

namespace onceflow::sidecar {
namespace {

namespace pb = ::google::protobuf;

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
    const std::lock_guard<std::mutex> lock(mu_);
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
  std::mutex mu_;  // not absl::Mutex: see docs/choices.md (ThreadSanitizer)
  std::map<std::string, std::shared_ptr<const pb::DescriptorPool>> pools_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<MessageType> LoadMessageType(const std::string& descriptor_set_path,
                                            const std::string& message) {
  ONCEFLOW_ASSIGN_OR_RETURN(std::string bytes, ReadDescriptorSet(descriptor_set_path));
  return BuildMessageType(descriptor_set_path, bytes, message);
}

absl::StatusOr<MessageType> LoadProcessLifetimeMessageType(const std::string& descriptor_set_path,
                                                           const std::string& message) {
  return ProcessPools::Get().Load(descriptor_set_path, message);
}

}  // namespace onceflow::sidecar
