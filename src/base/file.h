// Whole-file helpers.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(std::string text, base::ReadFile(path));
//   return absl::InternalError(absl::StrCat("gnuplot failed:\n", base::TailOfFile(log, 10)));
//
// Thread-safety: the functions are thread-safe; concurrent writers of one file are the
// caller's business.
#ifndef ONCEFLOW_BASE_FILE_H_
#define ONCEFLOW_BASE_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onceflow::base {

// The bytes of the file at `path`. kNotFound when it does not exist, kPermissionDenied when it
// cannot be read, kInvalidArgument for a directory; the message is "cannot read PATH: " and
// errno's text (the sidecar shows it to users as is: docs/sidecar.md, ${file:PATH}).
absl::StatusOr<std::string> ReadFile(const std::string& path);

// The bytes of the open descriptor `fd` from its current offset to the end of the file.
// `name` (a path, or what the descriptor is) is what error messages call it:
// "cannot read NAME: ...".
absl::StatusOr<std::string> ReadAll(int fd, const std::string& name);

// Writes `contents` to `path`, replacing it. The message of an error names the path.
absl::Status WriteFile(const std::string& path, absl::string_view contents);

// The last `max_lines` lines of the text file at `path`, each as "  | LINE\n", for quoting a
// child's log in an error message. Empty when the file is missing or unreadable: the message
// it goes into names the file and is the error that matters.
std::string TailOfFile(const std::string& path, int max_lines);

}  // namespace onceflow::base

#endif  // ONCEFLOW_BASE_FILE_H_
