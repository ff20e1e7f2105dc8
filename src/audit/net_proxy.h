// NetProxy: the audit's network faults. A TCP proxy in front of each broker, through which the
// processors under audit reach the cluster, that can add latency to, cut, or isolate the
// connections of one processor instance while the others go on untouched.
//
//   auto proxy = NetProxy::Start({{.listen_port = 29392, .target_port = 29292}, ...},
//                                InstanceOfClientId);
//   (*proxy)->SetDelay("i1", std::chrono::milliseconds(300));  // i1's traffic, each way
//   (*proxy)->Cut("i0");                                       // i0's connections reset
//   (*proxy)->SetIsolated("i2", true);                         // i2 partitioned away ...
//   (*proxy)->SetIsolated("i2", false);                        // ... and healed
//
// Which instance a connection belongs to: the proxy reads the first Kafka request a client
// sends on it (every client's first request is ApiVersions; every request header carries the
// client's `client.id`) and asks the classifier for the client id's tag. A connection whose
// client id has no tag is forwarded and never faulted.
//
// The brokers must advertise the proxy's ports to the clients that come through it (otherwise
// the metadata sends them around it, to the brokers' own ports): scripts/kafka's cluster gives
// every broker a listener of its own for that (docs/guarantees.md, "Network faults").
//
// What each fault does on the wire:
// - delay: bytes read from either side are written to the other `delay` later (so a request's
//   round trip grows by twice the delay), in order.
// - cut: every connection of the tag is closed on both sides at once, mid-request or not, as a
//   reset connection; new connections are let through.
// - isolation: nothing is forwarded either way on the tag's connections, existing or new (they
//   are accepted, and what the client sends is held, as a partitioned network holds TCP
//   segments in retransmission); clients see their requests time out. At the heal, connections
//   still open are closed (a client whose requests timed out has given up on them anyway), and
//   new ones pass again. (A real partition also drops the SYN of a new connection, so a client's
//   connect would time out rather than succeed and then hang; either way no request gets
//   through.)
// Connections are per direction bounded: a side is not read while 8 MiB wait to be written.
//
// Thread-safety: the proxy runs on a thread of its own; every public method may be called from
// any thread.
#ifndef ONCEFLOW_AUDIT_NET_PROXY_H_
#define ONCEFLOW_AUDIT_NET_PROXY_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/unique_fd.h"

namespace onceflow::audit {

// The Kafka client id of the first request in `bytes` (a request as sent on the wire: size,
// api key, api version, correlation id, client id). nullopt while `bytes` is too short to
// hold it; "" for a null or empty client id, or bytes that are not a request header.
std::optional<std::string> KafkaClientIdOfFirstRequest(absl::string_view bytes);

// The audit's classifier: "i<N>" for a client id that has a "-i<N>" segment ending the id or
// followed by "-" (onceflow's clients are named `<application_id>-<instance_id>[-...]`), ""
// for any other.
std::string InstanceOfClientId(absl::string_view client_id);

// Whether something accepts TCP connections on 127.0.0.1:`port` (a connect within 2 s).
bool LoopbackPortOpen(int port);

class NetProxy {
 public:
  struct Route {
    int listen_port = 0;  // on 127.0.0.1; 0 for any free port (see listen_ports)
    int target_port = 0;  // on 127.0.0.1
  };
  using Classifier = std::function<std::string(absl::string_view client_id)>;

  struct Stats {
    int64_t accepted = 0;  // connections, all tags
    int64_t open = 0;
    int64_t cut = 0;     // closed by Cut or at a heal
    int64_t failed = 0;  // the target refused or dropped them
  };

  // Listens on every route's port (failing if one is taken) and starts forwarding.
  static absl::StatusOr<std::unique_ptr<NetProxy>> Start(const std::vector<Route>& routes,
                                                         Classifier classify);
  struct Token {
   private:
    friend class NetProxy;
    Token() = default;
  };
  explicit NetProxy(Token);  // for Start only
  ~NetProxy();
  NetProxy(const NetProxy&) = delete;
  NetProxy& operator=(const NetProxy&) = delete;

  // Bytes of `tag`'s connections read from now on wait `delay` before they are written on;
  // zero ends the delay.
  void SetDelay(const std::string& tag, std::chrono::milliseconds delay);
  // Closes every open connection of `tag`; returns how many there were.
  int Cut(const std::string& tag);
  // Isolates `tag` from the targets, or heals it (closing the connections it held).
  void SetIsolated(const std::string& tag, bool isolated);
  Stats stats() const;
  // The ports listened on, in the routes' order.
  const std::vector<int>& listen_ports() const { return ports_; }

 private:
  struct Rule {
    std::chrono::milliseconds delay{0};
    bool isolated = false;
  };
  struct Conn;

  void Loop();
  void Wake();
  // Runs `op` on the proxy's thread and waits for it.
  int OnLoop(std::function<int()> op);
  // Marks `tag`'s connections to be reset; on the loop.
  int CutNow(const std::string& tag);

  std::vector<base::UniqueFd> listeners_;
  std::vector<int> targets_;  // per listener
  std::vector<int> ports_;    // per listener
  Classifier classify_;
  base::UniqueFd wake_;  // eventfd
  std::atomic<bool> stop_{false};

  mutable std::mutex mu_;
  std::map<std::string, Rule> rules_;               // guarded by mu_
  std::vector<std::function<void()>> ops_;          // guarded by mu_
  Stats stats_;                                     // guarded by mu_
  std::vector<std::unique_ptr<Conn>> conns_;        // the loop's only
  std::thread thread_;
};

}  // namespace onceflow::audit

#endif  // ONCEFLOW_AUDIT_NET_PROXY_H_
