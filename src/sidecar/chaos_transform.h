// The `chaos` built-in (proto/onceflow/v1/pipeline_config.proto, ChaosConfig), for tests and
// audits only: fails the first attempts of chosen records with a transient error, so the
// runtime's retries, their backoff and the all-or-nothing of an attempt (the state writes of
// the stages before it are dropped with it) are exercised on purpose. `onceflow audit
// --transform-fault-rate` puts it after the audit's `count` stage.
//
//   transforms:
//     - count: {}
//     - chaos: {transient_rate: 0.02, transient_failures: 2, seed: 7}
//
// A record is chosen when a hash of (seed, topic, partition, offset) falls below
// transient_rate, so the same records are chosen on every run and every replay. A chosen
// record's first transient_failures attempts in this process fail with kUnavailable
// ("chaos: injected transient failure N of M"); the next attempt forwards it with the header
// `header` set to M. The count of failed attempts lives in memory, per record, until the record
// passes (a restarted process fails a replayed record again). Unchosen records pass unchanged
// (views). The transform's name() is "chaos".
//
// Thread-safety: as every Transform, called from one thread at a time.
#ifndef ONCEFLOW_SIDECAR_CHAOS_TRANSFORM_H_
#define ONCEFLOW_SIDECAR_CHAOS_TRANSFORM_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "onceflow/transform.h"
#include "onceflow/v1/pipeline_config.pb.h"

namespace onceflow::sidecar {

inline constexpr char kDefaultChaosHeader[] = "onceflow-chaos-failures";

// Whether the record at (topic, partition, offset) is chosen under `seed` and `rate` (0..1).
// Exposed so the audit and tests can predict the choice.
bool ChaosChooses(uint64_t seed, double rate, absl::string_view topic, int32_t partition,
                  int64_t offset);

// kInvalidArgument "<where>: ..." for a rate outside 0..1 or transient_failures outside 1..99
// (0 means the default, 1).
absl::StatusOr<std::unique_ptr<Transform>> BuildChaos(const v1::ChaosConfig& config,
                                                      const std::string& where);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_CHAOS_TRANSFORM_H_
