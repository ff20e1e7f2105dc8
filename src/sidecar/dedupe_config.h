// The sidecar's `dedupe` settings (proto/onceflow/v1/pipeline_config.proto, DedupeConfig) as
// the deduper's options.
//
//   if (config.has_dedupe()) {
//     ONCEFLOW_ASSIGN_OR_RETURN(options.state.dedupe, BuildDedupeOptions(config.dedupe()));
//   }
#ifndef ONCEFLOW_SIDECAR_DEDUPE_CONFIG_H_
#define ONCEFLOW_SIDECAR_DEDUPE_CONFIG_H_

#include <chrono>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "onceflow/v1/pipeline_config.pb.h"
#include "state/dedupe_options.h"

namespace onceflow::sidecar {

// DedupeConfig -> state::DedupeOptions. key: "key" (default), "header", "hash", "json_hash",
// "json_field" (a kFunction extractor: the field's decoded string, or a number's or boolean's
// JSON text; a value that is not JSON, or a missing, null, object or array field, gives no key
// and the record passes as keyless), "proto_field" (descriptor_set + message + field). Fields
// that the chosen key does not use are refused, as likely mistakes. The descriptor pool behind
// a proto_field descriptor is kept for the life of the process (DedupeOptions holds a bare
// Descriptor*); loading the same file again reuses it. Errors are kInvalidArgument "dedupe: ..."
// (kNotFound for a descriptor set file that is not there).
absl::StatusOr<state::DedupeOptions> BuildDedupeOptions(const v1::DedupeConfig& config);

// A positive duration (sidecar/duration.h: "30s", "15m", "1h30m", "7d"), or "forever" (0). ""
// is the default, 24 h.
absl::StatusOr<std::chrono::milliseconds> ParseDedupeWindow(absl::string_view window);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_DEDUPE_CONFIG_H_
