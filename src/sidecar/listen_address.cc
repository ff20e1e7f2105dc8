#include "sidecar/listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace onceflow::sidecar {

std::string ListenAddress::ToString() const {
  return family == AF_INET6 ? absl::StrCat("[", host, "]:", port) : absl::StrCat(host, ":", port);
}

absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view address, bool allow_any_port) {
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", address, "' ", why,
        " (want host:port: an IPv4 address, [IPv6], localhost or *, e.g. 127.0.0.1:9464, "
        "0.0.0.0:9464, [::]:9464)"));
  };
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return bad("has no port");
  const absl::string_view port_text = address.substr(colon + 1);
  int port = -1;
  if (!absl::SimpleAtoi(port_text, &port) || port < (allow_any_port ? 0 : 1) || port > 65535 ||
      port_text.empty() || port_text[0] == '+' || port_text[0] == '-') {
    return bad(allow_any_port ? "has no port in 0..65535" : "has no port in 1..65535");
  }
  absl::string_view host = address.substr(0, colon);
  ListenAddress out;
  out.port = port;
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    out.family = AF_INET6;
    out.host = std::string(host.substr(1, host.size() - 2));
    in6_addr a6{};
    if (::inet_pton(AF_INET6, out.host.c_str(), &a6) != 1) return bad("has no valid IPv6 address");
    return out;
  }
  if (absl::StrContains(host, ":")) return bad("has an IPv6 address without [brackets]");
  out.family = AF_INET;
  out.host = std::string(host);
  if (out.host.empty() || out.host == "localhost") out.host = "127.0.0.1";
  if (out.host == "*") out.host = "0.0.0.0";
  in_addr a4{};
  if (::inet_pton(AF_INET, out.host.c_str(), &a4) != 1) {
    return bad("has a host that is not an IP address (host names are not resolved)");
  }
  return out;
}

}  // namespace onceflow::sidecar
