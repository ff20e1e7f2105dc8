// Durations as people write them in config files: "250ms", "5s", "2m", "1h", "7d", and
// combinations from the largest unit down, "1h30m", "2m30s500ms". Every *_ms key of the config
// takes one (as well as a plain number of milliseconds), and so does dedupe.window.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(std::chrono::milliseconds d, ParseDuration("1m30s"));  // 90000 ms
#ifndef ONCEFLOW_SIDECAR_DURATION_H_
#define ONCEFLOW_SIDECAR_DURATION_H_

#include <chrono>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onceflow::sidecar {

// Parses `<n><unit>...` with units d, h, m, s and ms, each at most once and in that order, n a
// whole number (no sign, no fraction, no spaces). 0 is allowed ("0s"). kInvalidArgument, with
// the reason but without the text, when it does not parse or exceeds int64 milliseconds.
absl::StatusOr<std::chrono::milliseconds> ParseDuration(absl::string_view text);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_DURATION_H_
