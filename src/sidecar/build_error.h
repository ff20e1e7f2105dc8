// The error every built-in's builder returns for a configuration it refuses:
// kInvalidArgument "<where>: <what>", where `where` says which entry ("transforms[2]: filter").
#ifndef ONCEFLOW_SIDECAR_BUILD_ERROR_H_
#define ONCEFLOW_SIDECAR_BUILD_ERROR_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace onceflow::sidecar {

inline absl::Status BuildError(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_BUILD_ERROR_H_
