// UniqueFd: owns a POSIX file descriptor and closes it when it goes out of scope, the RAII
// handle for every descriptor onceflow opens itself (files, pipes, pidfds).
//
//   base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
//   if (!fd.valid()) return ...errno...;
//   ::read(fd.get(), buf, sizeof(buf));
//
// Thread-safety: like an int; one owner at a time. Movable, not copyable.
#ifndef ONCEFLOW_BASE_UNIQUE_FD_H_
#define ONCEFLOW_BASE_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace onceflow::base {

class UniqueFd {
 public:
  UniqueFd() = default;
  // Takes ownership of `fd`; a negative value (a failed open) holds nothing.
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  bool valid() const { return fd_ >= 0; }
  int get() const { return fd_; }
  // Gives up ownership without closing.
  int release() { return std::exchange(fd_, -1); }
  // Closes the descriptor held (its close error is ignored: nothing useful can be done with
  // it for the descriptors onceflow holds) and takes `fd`.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace onceflow::base

#endif  // ONCEFLOW_BASE_UNIQUE_FD_H_
