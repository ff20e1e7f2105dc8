#include "sidecar/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sidecar/listen_address.h"

namespace onceflow::sidecar {
namespace {

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

void WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the client went away; nothing to do
    done += static_cast<size_t>(n);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& address,
                                                              Handler handler) {
  absl::StatusOr<ListenAddress> parsed = ParseListenAddress(address, /*allow_any_port=*/true);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("metrics address ", parsed.status().message()));
  }
  sockaddr_storage storage{};
  socklen_t size = 0;
  if (parsed->family == AF_INET6) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&storage);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<uint16_t>(parsed->port));
    ::inet_pton(AF_INET6, parsed->host.c_str(), &a6->sin6_addr);
    size = sizeof(sockaddr_in6);
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&storage);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(static_cast<uint16_t>(parsed->port));
    ::inet_pton(AF_INET, parsed->host.c_str(), &a4->sin_addr);
    size = sizeof(sockaddr_in);
  }
  const int fd = ::socket(parsed->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&storage), size) != 0 || ::listen(fd, 16) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("metrics address ", address, ": ", err));
  }
  socklen_t len = sizeof(storage);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &len);
  const int port = parsed->family == AF_INET6
                       ? ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port)
                       : ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  return std::make_unique<HttpServer>(fd, port, std::move(handler));
}

HttpServer::HttpServer(int fd, int port, Handler handler)
    : fd_(fd), port_(port), handler_(std::move(handler)), thread_([this] { Serve(); }) {}

HttpServer::~HttpServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
}

void HttpServer::Serve() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;  // wake up to notice stop_
    const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    HandleConnection(client);
    ::close(client);
  }
}

void HttpServer::HandleConnection(int fd) {
  // Read the request head (up to 8 KiB, 2 s).
  std::string request;
  char buf[2048];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 8192) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) <= 0) return;
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return;
    request.append(buf, static_cast<size_t>(n));
  }
  const std::string line = request.substr(0, request.find("\r\n"));
  std::vector<std::string> parts = absl::StrSplit(line, ' ');
  HttpResponse response;
  const bool head = !parts.empty() && parts[0] == "HEAD";
  if (parts.size() < 2 || (parts[0] != "GET" && !head)) {
    response = {405, "text/plain; charset=utf-8", "only GET and HEAD\n"};
  } else {
    std::string path = parts[1].substr(0, parts[1].find('?'));
    response = handler_(path);
  }
  WriteAll(fd, absl::StrCat("HTTP/1.1 ", response.status, " ", Reason(response.status),
                            "\r\nContent-Type: ", response.content_type,
                            "\r\nContent-Length: ", response.body.size(),
                            "\r\nConnection: close\r\n\r\n", head ? "" : response.body));
}

}  // namespace onceflow::sidecar
