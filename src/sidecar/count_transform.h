// The `count` built-in (proto/onceflow/v1/pipeline_config.proto, CountConfig): a running count
// of records per record key, kept in a state store, written into a header of each record. The
// store is per input partition, in RocksDB, backed by the compacted changelog
// "<application_id>-<store>-changelog"; the runtime keeps a count with the record's outputs
// (a failed attempt's count is dropped; under eos it commits with them). The count is stored
// as decimal text under the record key, so the changelog reads as key -> count.
//
//   transforms:
//     - count: {store: count, header: onceflow-count}
//
//   ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<Transform> count,
//                             BuildCount(config.count(), "transforms[0]: count"));
//   // ProcessorOptions::state.stores must list CountStoreName(config.count()).
//
// A record with a null or empty key, or a key over 64 KiB (dedupe's limit), fails permanently
// (the error policy applies). Key, value and other headers pass unchanged (views). The
// transform's name() is "count".
//
// Thread-safety: as every Transform, called from one thread at a time.
#ifndef ONCEFLOW_SIDECAR_COUNT_TRANSFORM_H_
#define ONCEFLOW_SIDECAR_COUNT_TRANSFORM_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "onceflow/transform.h"
#include "onceflow/v1/pipeline_config.pb.h"

namespace onceflow::sidecar {

inline constexpr char kDefaultCountStore[] = "count";
inline constexpr char kDefaultCountHeader[] = "onceflow-count";

// The store a count stage uses: `store`, or kDefaultCountStore when it is empty.
std::string CountStoreName(const v1::CountConfig& config);

// kInvalidArgument "<where>: ..." for a store name that cannot be part of a topic name
// ([a-zA-Z0-9._-]) or is "dedupe" (the deduper's store). An empty header means the default.
absl::StatusOr<std::unique_ptr<Transform>> BuildCount(const v1::CountConfig& config,
                                                      const std::string& where);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_COUNT_TRANSFORM_H_
