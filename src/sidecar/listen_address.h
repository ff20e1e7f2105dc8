// The metrics endpoint's address ("host:port"), parsed the same way by `onceflow validate` (the
// config's metrics.address), `onceflow run --metrics-address` and the HTTP server, so what one
// accepts the others accept.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(ListenAddress a, ParseListenAddress("[::]:9464"));
//   a.family == AF_INET6, a.host == "::", a.port == 9464
#ifndef ONCEFLOW_SIDECAR_LISTEN_ADDRESS_H_
#define ONCEFLOW_SIDECAR_LISTEN_ADDRESS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onceflow::sidecar {

struct ListenAddress {
  int family = 0;    // AF_INET or AF_INET6
  std::string host;  // numeric: "127.0.0.1", "0.0.0.0", "::1", "::"
  int port = 0;      // 0: any free port

  // "127.0.0.1:9464", "[::1]:9464".
  std::string ToString() const;
};

// Parses "host:port". The host is an IPv4 address, an IPv6 address in brackets ("[::1]",
// "[::]": all interfaces, IPv4 too), "localhost" (127.0.0.1), "*" (0.0.0.0) or empty
// (127.0.0.1); host names are refused (the server binds an address, it does not resolve). The
// port is 1..65535, or also 0 (any free port) with `allow_any_port`. kInvalidArgument with the
// reason, which shows `address`.
absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view address,
                                                 bool allow_any_port = false);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_LISTEN_ADDRESS_H_
