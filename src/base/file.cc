#include "base/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/unique_fd.h"

namespace onceflow::base {
namespace {

absl::Status FromErrno(int err, absl::string_view what, const std::string& path) {
  const std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case EISDIR:
      return absl::InvalidArgumentError(message);
    default:
      return absl::UnknownError(message);
  }
}

}  // namespace

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return FromErrno(errno, "cannot read", path);
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return FromErrno(EISDIR, "cannot read", path);
  }
  return ReadAll(fd.get(), path);
}

absl::StatusOr<std::string> ReadAll(int fd, const std::string& name) {
  std::string out;
  char buf[64 * 1024];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return FromErrno(errno, "cannot read", name);
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

absl::Status WriteFile(const std::string& path, absl::string_view contents) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return FromErrno(errno, "cannot create", path);
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd.get(), contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return FromErrno(errno, "cannot write", path);
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

std::string TailOfFile(const std::string& path, int max_lines) {
  const absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok() || max_lines <= 0) return "";
  absl::string_view rest = *text;
  if (absl::EndsWith(rest, "\n")) rest.remove_suffix(1);
  if (rest.empty()) return "";
  // Walk back from the end over `max_lines` line breaks.
  size_t begin = 0;
  size_t end = rest.size();
  for (int lines = 1;; ++lines) {
    const size_t newline = end == 0 ? absl::string_view::npos : rest.rfind('\n', end - 1);
    if (newline == absl::string_view::npos) break;  // fewer lines than that: all of them
    if (lines == max_lines) {
      begin = newline + 1;
      break;
    }
    end = newline;
  }
  std::string out;
  for (absl::string_view line : absl::StrSplit(rest.substr(begin), '\n')) {
    absl::StrAppend(&out, "  | ", line, "\n");
  }
  return out;
}

}  // namespace onceflow::base
