// HttpServer: a minimal HTTP/1.1 server for /metrics, /healthz and /readyz. One thread, one
// request per connection (Connection: close), GET and HEAD only. Enough for Prometheus
// scrapes and Kubernetes probes; not a general web server.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(auto server, HttpServer::Start("127.0.0.1:9464", handler));
//   ... server->port() ...
//   server.reset();  // stops the thread, closes the socket
#ifndef ONCEFLOW_SIDECAR_HTTP_SERVER_H_
#define ONCEFLOW_SIDECAR_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace onceflow::sidecar {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  // Called on the server thread with the request path (query string stripped).
  using Handler = std::function<HttpResponse(const std::string& path)>;

  // Binds `address` ("host:port" as ParseListenAddress takes it, IPv4 or [IPv6]; port 0 = any
  // free port) and starts serving. kInvalidArgument for a malformed address, kUnavailable
  // when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& address,
                                                           Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }

  HttpServer(int fd, int port, Handler handler);

 private:
  void Serve();
  void HandleConnection(int fd);

  int fd_;
  int port_;
  Handler handler_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_HTTP_SERVER_H_
