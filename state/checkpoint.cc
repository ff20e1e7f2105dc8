#include "state/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace onceflow::state {
namespace {

// Checkpoint files start with this magic and a version byte, then the serialized proto.
constexpr char kMagic[] = "OFCP1";
constexpr size_t kMagicLen = sizeof(kMagic) - 1;

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

absl::Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write", path);
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

std::string Dirname(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

absl::Status WriteCheckpoint(const std::string& path, const v1::Checkpoint& checkpoint) {
  std::string data(kMagic, kMagicLen);
  if (!checkpoint.AppendToString(&data)) {
    return absl::InternalError(absl::StrCat("serializing checkpoint for ", path));
  }
  const std::string tmp = absl::StrCat(path, ".tmp");
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) return Errno("open", tmp);
    if (absl::Status st = WriteAll(fd.get(), data, tmp); !st.ok()) return st;
    if (::fsync(fd.get()) != 0) return Errno("fsync", tmp);
    if (::close(fd.release()) != 0) return Errno("close", tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("rename to", path);
  const std::string dir = Dirname(path);
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() < 0) return Errno("open folder", dir);
  if (::fsync(dfd.get()) != 0) return Errno("fsync folder", dir);
  return absl::OkStatus();
}

absl::StatusOr<v1::Checkpoint> ReadCheckpoint(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no checkpoint at ", path));
    return Errno("open", path);
  }
  std::string data;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("read", path);
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  v1::Checkpoint checkpoint;
  if (data.size() < kMagicLen || data.compare(0, kMagicLen, kMagic) != 0 ||
      !checkpoint.ParseFromArray(data.data() + kMagicLen,
                                 static_cast<int>(data.size() - kMagicLen))) {
    return absl::DataLossError(absl::StrCat("checkpoint ", path,
                                            " is corrupt (bad magic or unparsable); rebuild "
                                            "the state from its changelog"));
  }
  return checkpoint;
}

}  // namespace onceflow::state
