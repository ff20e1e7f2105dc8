#include "audit/net_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <future>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace onceflow::audit {
namespace {

using Clock = std::chrono::steady_clock;

// Reading stops on a side while this much waits to be written to the other.
constexpr size_t kMaxQueued = 8 << 20;
constexpr size_t kReadSize = 64 << 10;
// A client that sent this much without a parsable request header is not Kafka: left untagged.
constexpr size_t kMaxHead = 64 << 10;

int32_t BigEndian32(absl::string_view b, size_t at) {
  return static_cast<int32_t>((static_cast<uint32_t>(static_cast<uint8_t>(b[at])) << 24) |
                              (static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 16) |
                              (static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 8) |
                              static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3])));
}

int16_t BigEndian16(absl::string_view b, size_t at) {
  return static_cast<int16_t>((static_cast<uint16_t>(static_cast<uint8_t>(b[at])) << 8) |
                              static_cast<uint16_t>(static_cast<uint8_t>(b[at + 1])));
}

absl::Status Errno(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

sockaddr_in Loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

void NoDelay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// Closes with a reset rather than a FIN: what a cut connection looks like to both ends.
void Reset(base::UniqueFd& fd) {
  if (!fd.valid()) return;
  const linger l{.l_onoff = 1, .l_linger = 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  fd.reset();
}

}  // namespace

std::optional<std::string> KafkaClientIdOfFirstRequest(absl::string_view bytes) {
  // size (4), api key (2), api version (2), correlation id (4), client id: int16 length + bytes
  // (a nullable STRING in every request header version, flexible ones included).
  if (bytes.size() < 14) return std::nullopt;
  const int32_t size = BigEndian32(bytes, 0);
  const int16_t len = BigEndian16(bytes, 12);
  // (Kafka brokers refuse requests over socket.request.max.bytes, 100 MiB by default.)
  if (size < 10 || size > (100 << 20) || len <= 0 || len > size - 10) return std::string();
  if (bytes.size() < 14 + static_cast<size_t>(len)) return std::nullopt;
  return std::string(bytes.substr(14, static_cast<size_t>(len)));
}

bool LoopbackPortOpen(int port) {
  base::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return false;
  const sockaddr_in a = Loopback(port);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof(a)) == 0) return true;
  if (errno != EINPROGRESS) return false;
  pollfd p{fd.get(), POLLOUT, 0};
  if (::poll(&p, 1, 2000) != 1) return false;
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  return err == 0;
}

std::string InstanceOfClientId(absl::string_view id) {
  size_t from = id.size();
  while (from > 0) {
    const size_t at = id.rfind("-i", from - 1);
    if (at == absl::string_view::npos) break;
    size_t end = at + 2;
    while (end < id.size() && absl::ascii_isdigit(static_cast<unsigned char>(id[end]))) ++end;
    if (end > at + 2 && (end == id.size() || id[end] == '-')) {
      return std::string(id.substr(at + 1, end - at - 1));
    }
    from = at;
  }
  return "";
}

struct NetProxy::Conn {
  struct Chunk {
    Clock::time_point due;
    std::string bytes;
    size_t off = 0;
  };
  // One end: its socket and what waits to be written to it.
  struct Side {
    base::UniqueFd fd;
    std::deque<Chunk> out;
    size_t queued = 0;
    bool blocked = false;  // the last write would have blocked
  };
  Side client;
  Side server;
  bool connected = false;          // the connect to the target finished
  std::optional<std::string> tag;  // nullopt until the first request header is read
  std::string head;                // the client's first bytes, until tagged
  bool dead = false;
  bool reset = false;  // close with a reset (a cut), not a FIN
};

absl::StatusOr<std::unique_ptr<NetProxy>> NetProxy::Start(const std::vector<Route>& routes,
                                                          Classifier classify) {
  auto p = std::make_unique<NetProxy>(Token());
  p->classify_ = std::move(classify);
  p->wake_ = base::UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!p->wake_.valid()) return Errno("eventfd");
  for (const Route& r : routes) {
    base::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return Errno("socket");
    const int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    const sockaddr_in a = Loopback(r.listen_port);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0) {
      return Errno(absl::StrCat("the network-fault proxy listening on 127.0.0.1:", r.listen_port));
    }
    if (::listen(fd.get(), 128) != 0) return Errno("listen");
    sockaddr_in bound{};
    socklen_t len = sizeof(bound);
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len);
    p->ports_.push_back(ntohs(bound.sin_port));
    p->listeners_.push_back(std::move(fd));
    p->targets_.push_back(r.target_port);
  }
  p->thread_ = std::thread([raw = p.get()] { raw->Loop(); });
  return p;
}

NetProxy::NetProxy(Token) {}

NetProxy::~NetProxy() {
  stop_.store(true);
  Wake();
  if (thread_.joinable()) thread_.join();
}

void NetProxy::Wake() {
  const uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof(one));
}

int NetProxy::OnLoop(std::function<int()> op) {
  auto done = std::make_shared<std::promise<int>>();
  std::future<int> result = done->get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    ops_.push_back([op = std::move(op), done] { done->set_value(op()); });
  }
  Wake();
  if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) return 0;
  return result.get();
}

void NetProxy::SetDelay(const std::string& tag, std::chrono::milliseconds delay) {
  // On the loop, so that bytes read after this returns see it.
  OnLoop([this, tag, delay] {
    std::lock_guard<std::mutex> lock(mu_);
    rules_[tag].delay = delay;
    return 0;
  });
}

int NetProxy::Cut(const std::string& tag) {
  return OnLoop([this, tag] { return CutNow(tag); });
}

int NetProxy::CutNow(const std::string& tag) {
  int n = 0;
  for (const auto& c : conns_) {
    if (c->dead || c->tag != tag) continue;
    c->dead = true;
    c->reset = true;
    ++n;
  }
  std::lock_guard<std::mutex> lock(mu_);
  stats_.cut += n;
  return n;
}

void NetProxy::SetIsolated(const std::string& tag, bool isolated) {
  // One step on the loop: nothing held is forwarded between the heal and the cut.
  OnLoop([this, tag, isolated] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      rules_[tag].isolated = isolated;
    }
    return isolated ? 0 : CutNow(tag);  // at the heal the held connections go
  });
}

NetProxy::Stats NetProxy::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void NetProxy::Loop() {
  std::map<std::string, Rule> rules;
  auto rule = [&](const Conn& c) -> Rule {
    if (!c.tag.has_value()) return Rule{};
    auto it = rules.find(*c.tag);
    return it == rules.end() ? Rule{} : it->second;
  };
  // Whether `side` of `c` may be written to now (its front chunk is due and nothing holds it).
  auto may_write = [&](const Conn& c, const Conn::Side& side, Clock::time_point now) {
    if (side.out.empty() || side.out.front().due > now) return false;
    if (&side == &c.server && (!c.connected || !c.tag.has_value())) return false;
    return !rule(c).isolated;
  };
  auto flush = [&](Conn& c, Conn::Side& side, Clock::time_point now) {
    side.blocked = false;
    while (!c.dead && may_write(c, side, now)) {
      Conn::Chunk& ch = side.out.front();
      const ssize_t n =
          ::send(side.fd.get(), ch.bytes.data() + ch.off, ch.bytes.size() - ch.off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          side.blocked = true;
        } else if (errno != EINTR) {
          c.dead = true;
        }
        return;
      }
      ch.off += static_cast<size_t>(n);
      side.queued -= static_cast<size_t>(n);
      if (ch.off == ch.bytes.size()) side.out.pop_front();
    }
  };
  // Reads from `from` into `to`'s queue.
  auto pump = [&](Conn& c, Conn::Side& from, Conn::Side& to, Clock::time_point now) {
    std::string buf(kReadSize, '\0');
    const ssize_t n = ::recv(from.fd.get(), buf.data(), buf.size(), 0);
    if (n == 0) {
      c.dead = true;
      return;
    }
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) c.dead = true;
      return;
    }
    buf.resize(static_cast<size_t>(n));
    if (&from == &c.client && !c.tag.has_value()) {
      c.head += buf;
      std::optional<std::string> id = KafkaClientIdOfFirstRequest(c.head);
      if (id.has_value() || c.head.size() > kMaxHead) {
        c.tag = id.has_value() ? classify_(*id) : std::string();
        c.head.clear();
      }
    }
    to.queued += buf.size();
    to.out.push_back(Conn::Chunk{.due = now + rule(c).delay, .bytes = std::move(buf)});
  };

  std::vector<pollfd> fds;
  while (!stop_.load()) {
    std::vector<std::function<void()>> ops;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ops.swap(ops_);
    }
    for (auto& op : ops) op();  // changes of rules_, cuts
    {
      std::lock_guard<std::mutex> lock(mu_);
      rules = rules_;
    }

    auto now = Clock::now();
    for (auto& c : conns_) {
      flush(*c, c->server, now);
      flush(*c, c->client, now);
    }
    // Drop the dead.
    int64_t closed = 0;
    for (auto& c : conns_) {
      if (!c->dead) continue;
      ++closed;
      if (c->reset) {
        Reset(c->client.fd);
        Reset(c->server.fd);
      }
    }
    if (closed > 0) {
      conns_.erase(std::remove_if(conns_.begin(), conns_.end(),
                                  [](const std::unique_ptr<Conn>& c) { return c->dead; }),
                   conns_.end());
      std::lock_guard<std::mutex> lock(mu_);
      stats_.open -= closed;
    }

    // What to wait for, and until when: the earliest chunk that is not due yet.
    Clock::time_point wake_at = now + std::chrono::milliseconds(100);
    fds.clear();
    fds.push_back({wake_.get(), POLLIN, 0});
    for (const auto& l : listeners_) fds.push_back({l.get(), POLLIN, 0});
    for (const auto& c : conns_) {
      const bool held = rule(*c).isolated;
      for (const Conn::Side* side : {&c->server, &c->client}) {
        if (!held && !side->out.empty() && side->out.front().due > now) {
          wake_at = std::min(wake_at, side->out.front().due);
        }
      }
      const Conn::Side& other_of_client = c->server;
      short client_events = other_of_client.queued < kMaxQueued ? POLLIN : 0;
      if (c->client.blocked) client_events |= POLLOUT;
      short server_events = c->client.queued < kMaxQueued ? POLLIN : 0;
      if (!c->connected || c->server.blocked) server_events |= POLLOUT;
      fds.push_back({c->client.fd.get(), client_events, 0});
      fds.push_back({c->server.fd.get(), server_events, 0});
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(wake_at - now);
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(
                                                         1, wait.count() + 1)));
    if (ready < 0) continue;  // EINTR
    now = Clock::now();
    if (fds[0].revents & POLLIN) {
      uint64_t v;
      (void)!::read(wake_.get(), &v, sizeof(v));
    }
    // Existing connections first (their pollfds follow the listeners'), then new ones.
    size_t at = 1 + listeners_.size();
    for (auto& c : conns_) {
      const pollfd& cf = fds[at++];
      const pollfd& sf = fds[at++];
      if (!c->connected && (sf.revents & (POLLOUT | POLLERR | POLLHUP))) {
        int err = 0;
        socklen_t len = sizeof(err);
        ::getsockopt(c->server.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          c->dead = true;
          std::lock_guard<std::mutex> lock(mu_);
          ++stats_.failed;
          continue;
        }
        c->connected = true;
      }
      if (cf.revents & (POLLIN | POLLHUP | POLLERR)) pump(*c, c->client, c->server, now);
      if (!c->dead && c->connected && (sf.revents & (POLLIN | POLLHUP | POLLERR))) {
        pump(*c, c->server, c->client, now);
      }
    }
    for (size_t i = 0; i < listeners_.size(); ++i) {
      if (!(fds[1 + i].revents & POLLIN)) continue;
      while (true) {
        base::UniqueFd client(
            ::accept4(listeners_[i].get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!client.valid()) break;
        base::UniqueFd server(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!server.valid()) continue;
        NoDelay(client.get());
        NoDelay(server.get());
        const sockaddr_in a = Loopback(targets_[i]);
        const int rc = ::connect(server.get(), reinterpret_cast<const sockaddr*>(&a), sizeof(a));
        if (rc != 0 && errno != EINPROGRESS) {
          std::lock_guard<std::mutex> lock(mu_);
          ++stats_.accepted;
          ++stats_.failed;
          continue;  // the client's end closes: as a broker that is down
        }
        auto c = std::make_unique<Conn>();
        c->client.fd = std::move(client);
        c->server.fd = std::move(server);
        c->connected = rc == 0;
        conns_.push_back(std::move(c));
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.accepted;
        ++stats_.open;
      }
    }
  }
}

}  // namespace onceflow::audit
