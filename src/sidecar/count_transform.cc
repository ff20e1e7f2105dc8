#include "sidecar/count_transform.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "onceflow/record.h"
#include "onceflow/transform.h"
#include "runtime/dedupe_transform.h"
#include "sidecar/build_error.h"
#include "sidecar/topic_name.h"
#include "state/key_extractor.h"
#include "state/kv_store.h"

namespace onceflow::sidecar {
namespace {

// Dedupe's limit on an idempotency key (state/key_extractor.h), for the same reason.
constexpr size_t kMaxCountKeyBytes = state::kMaxDedupeKeyBytes;

class CountTransform final : public Transform {
 public:
  CountTransform(std::string store, std::string header)
      : store_name_(std::move(store)), header_(std::move(header)) {}

  absl::Status Init(TransformContext& context) override {
    absl::StatusOr<state::KeyValueStore*> store = context.Store(store_name_);
    if (!store.ok()) {
      return absl::Status(store.status().code(), absl::StrCat("count: store '", store_name_,
                                                              "': ", store.status().message()));
    }
    store_ = *store;
    return absl::OkStatus();
  }

  absl::Status Process(const Record& in, Emitter& out) override {
    if (store_ == nullptr) return absl::FailedPreconditionError("count: Init was not called");
    if (!in.has_key() || in.key().empty()) {
      return PermanentError("count: the record has no key to count it under");
    }
    if (in.key().size() > kMaxCountKeyBytes) {
      // A store entry and a changelog key as large as the record: refused like dedupe's keys.
      return PermanentError(absl::StrCat("count: the key is ", in.key().size(),
                                         " bytes, more than the ", kMaxCountKeyBytes,
                                         " a counted key may have"));
    }
    // A store error (RocksDB) is returned as it is: its class decides retry or policy.
    absl::StatusOr<std::optional<std::string>> current = store_->Get(in.key());
    if (!current.ok()) return current.status();
    int64_t count = 0;
    if (current->has_value() && !absl::SimpleAtoi(**current, &count)) {
      return PermanentError(absl::StrCat("count: the stored count of this key is not a number (",
                                         (*current)->size(), " bytes)"));
    }
    ++count;
    std::string text = absl::StrCat(count);
    if (absl::Status st = store_->Put(in.key(), text); !st.ok()) return st;
    out.Emit(OutputRecord::Forward(in).RemoveHeader(header_).AddHeader(header_, std::move(text)));
    return absl::OkStatus();
  }

  std::string name() const override { return "count"; }

 private:
  const std::string store_name_;
  const std::string header_;
  state::KeyValueStore* store_ = nullptr;
};

}  // namespace

std::string CountStoreName(const v1::CountConfig& config) {
  return config.store().empty() ? std::string(kDefaultCountStore) : config.store();
}

absl::StatusOr<std::unique_ptr<Transform>> BuildCount(const v1::CountConfig& config,
                                                      const std::string& where) {
  const std::string store = CountStoreName(config);
  if (!std::all_of(store.begin(), store.end(), IsTopicChar)) {
    return BuildError(where, absl::StrCat("store '", store,
                                          "' may hold only letters, digits, '.', '_' and '-' (it "
                                          "names the changelog topic)"));
  }
  if (store == runtime::kDedupeStore) {
    return BuildError(where, "store 'dedupe' is the deduper's; choose another name");
  }
  return std::make_unique<CountTransform>(
      store, config.header().empty() ? std::string(kDefaultCountHeader) : config.header());
}

}  // namespace onceflow::sidecar
