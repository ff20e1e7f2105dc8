// The network-fault proxy on loopback sockets, against an echo server of the test's own: what
// it forwards, and what a delay, a cut and an isolation do to one client's connections and not
// to another's. (No broker: the proxy moves bytes; what the faults do to Kafka clients is the
// cluster audit's to show, tests/audit/audit_cluster_test.cc.)
#include "audit/net_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "base/unique_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onceflow::audit {
namespace {

using std::chrono::milliseconds;

// A Kafka request header as a client sends it first (ApiVersions v3: key 18), with `client_id`.
std::string RequestWithClientId(const std::string& client_id) {
  std::string body;
  auto put16 = [&](int v) {
    body.push_back(static_cast<char>((v >> 8) & 0xff));
    body.push_back(static_cast<char>(v & 0xff));
  };
  put16(18);  // api key
  put16(3);   // api version
  body.append("\0\0\0\x07", 4);  // correlation id 7
  put16(static_cast<int>(client_id.size()));
  body += client_id;
  body.append("\0", 1);  // tagged fields
  std::string out;
  const uint32_t n = static_cast<uint32_t>(body.size());
  for (int s : {24, 16, 8, 0}) out.push_back(static_cast<char>((n >> s) & 0xff));
  return out + body;
}

TEST(KafkaClientIdTest, ReadsTheClientIdOfTheFirstRequestHeader) {
  const std::string req = RequestWithClientId("app-i2");
  EXPECT_EQ(KafkaClientIdOfFirstRequest(req), "app-i2");
  EXPECT_EQ(KafkaClientIdOfFirstRequest(req.substr(0, 13)), std::nullopt);  // header cut short
  EXPECT_EQ(KafkaClientIdOfFirstRequest(req.substr(0, 17)), std::nullopt);  // id cut short
  std::string null_id = req.substr(0, 12) + std::string("\xff\xff", 2);
  EXPECT_EQ(KafkaClientIdOfFirstRequest(null_id), "");
  EXPECT_EQ(KafkaClientIdOfFirstRequest("GET / HTTP/1.1\r\n\r\n"), "");
}

TEST(InstanceOfClientIdTest, FindsTheInstanceSegment) {
  EXPECT_EQ(InstanceOfClientId("onceflow-audit-eos-1-4242-77-i2"), "i2");
  EXPECT_EQ(InstanceOfClientId("onceflow-audit-eos-1-4242-77-i10-restore"), "i10");
  EXPECT_EQ(InstanceOfClientId("audit-i3-StreamThread-1-consumer"), "i3");
  EXPECT_EQ(InstanceOfClientId("app-index"), "");
  EXPECT_EQ(InstanceOfClientId("app-i"), "");
  EXPECT_EQ(InstanceOfClientId("rdkafka"), "");
}

// Echoes every byte back, on every connection, until destroyed.
class EchoServer {
 public:
  EchoServer() {
    fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(::listen(fd_.get(), 16), 0);
    socklen_t len = sizeof(a);
    ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~EchoServer() {
    stop_.store(true);
    thread_.join();
  }
  int port() const { return port_; }
  int connections() const { return connections_.load(); }

 private:
  void Serve() {
    std::vector<base::UniqueFd> conns;
    while (!stop_.load()) {
      std::vector<pollfd> fds = {{fd_.get(), POLLIN, 0}};
      for (const auto& c : conns) fds.push_back({c.get(), POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        conns.emplace_back(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        ++connections_;
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buf[4096];
        const ssize_t n = ::recv(fds[i].fd, buf, sizeof(buf), 0);
        if (n <= 0) {
          conns[i - 1].reset();
          continue;
        }
        (void)!::send(fds[i].fd, buf, static_cast<size_t>(n), MSG_NOSIGNAL);
      }
      std::erase_if(conns, [](const base::UniqueFd& c) { return !c.valid(); });
    }
  }

  base::UniqueFd fd_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

base::UniqueFd Connect(int port) {
  base::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  return fd;
}

// Reads exactly `n` bytes within `deadline`; fewer if the connection closes or the time is up.
// `closed` tells which of the two ended it.
std::string ReadFor(int fd, size_t n, milliseconds deadline, bool* closed = nullptr) {
  std::string got;
  const auto end = std::chrono::steady_clock::now() + deadline;
  if (closed != nullptr) *closed = false;
  while (got.size() < n) {
    const auto left = std::chrono::duration_cast<milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[4096];
    const ssize_t r = ::recv(fd, buf, std::min(sizeof(buf), n - got.size()), 0);
    if (r <= 0) {
      if (closed != nullptr) *closed = true;
      break;
    }
    got.append(buf, static_cast<size_t>(r));
  }
  return got;
}

// Sends `bytes` and reads them back; "" if they did not come back within the deadline.
std::string RoundTrip(int fd, const std::string& bytes, milliseconds deadline = milliseconds(5000)) {
  EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
  return ReadFor(fd, bytes.size(), deadline);
}

class NetProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = NetProxy::Start({{.listen_port = 0, .target_port = echo_.port()}}, InstanceOfClientId);
    ASSERT_TRUE(p.ok()) << p.status();
    proxy_ = std::move(*p);
    port_ = proxy_->listen_ports().at(0);
  }

  // A connection tagged `instance` (its first request names client "app-<instance>").
  base::UniqueFd Client(const std::string& instance) {
    base::UniqueFd fd = Connect(port_);
    const std::string hello = RequestWithClientId("app-" + instance);
    EXPECT_EQ(RoundTrip(fd.get(), hello), hello);
    return fd;
  }

  EchoServer echo_;
  std::unique_ptr<NetProxy> proxy_;
  int port_ = 0;
};

TEST_F(NetProxyTest, ForwardsBothWaysInOrder) {
  base::UniqueFd c = Client("i1");
  std::string big;
  for (int i = 0; i < 300000; ++i) big.push_back(static_cast<char>('a' + i % 26));
  EXPECT_EQ(RoundTrip(c.get(), big), big);
  EXPECT_EQ(proxy_->stats().accepted, 1);
  EXPECT_EQ(proxy_->stats().open, 1);
}

TEST_F(NetProxyTest, ADelayHoldsOneInstancesBytesEachWay) {
  base::UniqueFd slow = Client("i1");
  base::UniqueFd other = Client("i2");
  proxy_->SetDelay("i1", milliseconds(500));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(RoundTrip(slow.get(), "ping"), "ping");
  const auto slow_ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(slow_ms, 1000);  // 500 each way
  // i2 is not held: its round trip comes back in less than i1's would.
  EXPECT_EQ(RoundTrip(other.get(), "pong", milliseconds(900)), "pong");
  proxy_->SetDelay("i1", milliseconds(0));
  EXPECT_EQ(RoundTrip(slow.get(), "again", milliseconds(900)), "again");
}

TEST_F(NetProxyTest, ACutResetsOneInstancesConnectionsAndLetsNewOnesThrough) {
  base::UniqueFd a = Client("i1");
  base::UniqueFd b = Client("i1");
  base::UniqueFd other = Client("i2");
  EXPECT_EQ(proxy_->Cut("i1"), 2);
  bool closed = false;
  EXPECT_EQ(ReadFor(a.get(), 1, milliseconds(5000), &closed), "");
  EXPECT_TRUE(closed);
  EXPECT_EQ(ReadFor(b.get(), 1, milliseconds(5000), &closed), "");
  EXPECT_TRUE(closed);
  EXPECT_EQ(RoundTrip(other.get(), "still"), "still");
  base::UniqueFd again = Client("i1");
  EXPECT_EQ(RoundTrip(again.get(), "back"), "back");
  EXPECT_EQ(proxy_->stats().cut, 2);
}

TEST_F(NetProxyTest, AnIsolatedInstanceGetsNothingThroughUntilTheHeal) {
  base::UniqueFd held = Client("i1");
  base::UniqueFd other = Client("i2");
  proxy_->SetIsolated("i1", true);
  const int before = echo_.connections();
  // Neither an open connection nor a new one gets a byte through (the new one is accepted:
  // the proxy cannot tell whose it is before its first request).
  ASSERT_EQ(::send(held.get(), "lost?", 5, MSG_NOSIGNAL), 5);
  base::UniqueFd fresh = Connect(port_);
  const std::string hello = RequestWithClientId("app-i1");
  ASSERT_EQ(::send(fresh.get(), hello.data(), hello.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(hello.size()));
  EXPECT_EQ(RoundTrip(other.get(), "free"), "free");  // i2 meanwhile: through
  EXPECT_EQ(ReadFor(held.get(), 5, milliseconds(500)), "");
  EXPECT_EQ(ReadFor(fresh.get(), hello.size(), milliseconds(100)), "");
  proxy_->SetIsolated("i1", false);
  // The heal closes what was held; a new connection passes again.
  bool closed = false;
  EXPECT_EQ(ReadFor(held.get(), 5, milliseconds(5000), &closed), "");
  EXPECT_TRUE(closed);
  EXPECT_EQ(ReadFor(fresh.get(), 1, milliseconds(5000), &closed), "");
  EXPECT_TRUE(closed);
  base::UniqueFd after = Client("i1");
  EXPECT_EQ(RoundTrip(after.get(), "healed"), "healed");
  EXPECT_EQ(echo_.connections(), before + 2);  // the fresh one reached the server, the held ones
}

TEST(NetProxyStartTest, FailsOnAPortInUse) {
  EchoServer echo;
  auto first = NetProxy::Start({{.listen_port = 0, .target_port = echo.port()}}, InstanceOfClientId);
  ASSERT_TRUE(first.ok());
  auto second = NetProxy::Start({{.listen_port = (*first)->listen_ports()[0], .target_port = 1}},
                                InstanceOfClientId);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), ::testing::HasSubstr("network-fault proxy"));
}

}  // namespace
}  // namespace onceflow::audit
