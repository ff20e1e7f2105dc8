// Whole-file helpers.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(std::string text, base::ReadFile(path));
#ifndef ONCEFLOW_BASE_FILE_H_
#define ONCEFLOW_BASE_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onceflow::base {

// The bytes of the file at `path`. kNotFound when it does not exist, kPermissionDenied when it
// cannot be read, kInvalidArgument for a directory; the message names the path and errno's
// text.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Writes `contents` to `path`, replacing it. The message of an error names the path.
absl::Status WriteFile(const std::string& path, absl::string_view contents);

}  // namespace onceflow::base

#endif  // ONCEFLOW_BASE_FILE_H_
