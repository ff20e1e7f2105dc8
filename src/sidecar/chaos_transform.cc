#include "sidecar/chaos_transform.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "onceflow/record.h"
#include "onceflow/transform.h"
#include "sidecar/build_error.h"

namespace onceflow::sidecar {
namespace {

constexpr int64_t kMaxTransientFailures = 99;

// splitmix64's finalizer: a well-mixed 64-bit value from any 64-bit input.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// FNV-1a: stable across builds and platforms (absl::Hash is salted per process).
uint64_t Fnv1a(absl::string_view s, uint64_t h) {
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

class ChaosTransform final : public Transform {
 public:
  ChaosTransform(double rate, int failures, uint64_t seed, std::string header)
      : rate_(rate), failures_(failures), seed_(seed), header_(std::move(header)) {}

  absl::Status Process(const Record& in, Emitter& out) override {
    const int32_t partition = in.partition().value();
    const int64_t offset = in.offset().value();
    if (!ChaosChooses(seed_, rate_, in.topic(), partition, offset)) {
      out.Emit(OutputRecord::Forward(in));
      return absl::OkStatus();
    }
    const auto key = std::make_tuple(std::string(in.topic()), partition, offset);
    int& failed = failed_[key];
    if (failed < failures_) {
      ++failed;
      return TransientError(
          absl::StrCat("chaos: injected transient failure ", failed, " of ", failures_));
    }
    failed_.erase(key);
    out.Emit(OutputRecord::Forward(in).RemoveHeader(header_).AddHeader(header_,
                                                                       absl::StrCat(failures_)));
    return absl::OkStatus();
  }

  std::string name() const override { return "chaos"; }

 private:
  const double rate_;
  const int failures_;
  const uint64_t seed_;
  const std::string header_;
  // Failed attempts so far of chosen records that have not passed yet. A record given up
  // (replayed after an abort, dead-lettered) stays; at most the chosen records of a replay.
  std::map<std::tuple<std::string, int32_t, int64_t>, int> failed_;
};

}  // namespace

bool ChaosChooses(uint64_t seed, double rate, absl::string_view topic, int32_t partition,
                  int64_t offset) {
  if (rate <= 0) return false;
  uint64_t h = Fnv1a(topic, 0xcbf29ce484222325ULL ^ Mix(seed));
  h = Mix(h ^ Mix(static_cast<uint64_t>(static_cast<uint32_t>(partition)) + 0x9e3779b97f4a7c15ULL));
  h = Mix(h ^ static_cast<uint64_t>(offset));
  // 53 random bits -> [0, 1).
  return static_cast<double>(h >> 11) * 0x1.0p-53 < rate;
}

absl::StatusOr<std::unique_ptr<Transform>> BuildChaos(const v1::ChaosConfig& config,
                                                      const std::string& where) {
  if (!(config.transient_rate() >= 0 && config.transient_rate() <= 1)) {
    return BuildError(
        where, absl::StrCat("transient_rate ", config.transient_rate(), " is not between 0 and 1"));
  }
  const int64_t failures = config.transient_failures() == 0 ? 1 : config.transient_failures();
  if (failures < 1 || failures > kMaxTransientFailures) {
    return BuildError(where, absl::StrCat("transient_failures ", config.transient_failures(),
                                          " is not between 1 and ", kMaxTransientFailures));
  }
  return std::make_unique<ChaosTransform>(
      config.transient_rate(), static_cast<int>(failures), config.seed(),
      config.header().empty() ? std::string(kDefaultChaosHeader) : config.header());
}

}  // namespace onceflow::sidecar
