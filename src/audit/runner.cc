#include "audit/runner.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "audit/broker_faults.h"
#include "audit/coordinator.h"
#include "audit/net_proxy.h"
#include "audit/workload.h"
#include "base/child_process.h"
#include "base/file.h"
#include "kafka/admin.h"
#include "kafka/consumer.h"
#include "kafka/producer.h"
#include "kafka/read_to_end.h"
#include "onceflow/status_macros.h"
#include "sidecar/progress.h"

namespace onceflow::audit {
namespace {

using ::onceflow::base::ChildProcess;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::atomic<bool> stop_requested{false};

// Restart delay after a child exits on its own, as a supervisor's backoff would add.
constexpr milliseconds kRestartBackoff{1000};
// How long a child gets to stop after SIGTERM at the end of the run (one commit plus leaving
// the group) before it is SIGKILLed.
constexpr milliseconds kStopGrace{30000};
// Quiet time after a fault ends before the next may start, so each fault's effect (a restarted
// instance rejoining, a resumed zombie trying to commit and being fenced) plays out on its own
// instead of being cut short by the next fault.
constexpr milliseconds kSettle{3000};
// What a broker restart takes, for sizing the run (scripts/kafka restart --hard: ~6-11 s).
constexpr double kBrokerRestartMs = 12000;
// What starting one node of a cluster takes until it answers and nothing is under-replicated
// (a JVM of 384 MB on a 2-core machine: 15 s idle, up to 60 s beside a compiler), and stopping
// one cleanly.
constexpr double kClusterNodeStartMs = 25000;
constexpr double kClusterNodeStopMs = 3000;
// How long the coordinator lookup of a kCoordinatorKill may take (metadata from the cluster).
constexpr milliseconds kCoordinatorLookup{15000};
// Poison records: the output topic takes batches of at most kOutputMaxMessageBytes
// (max.message.bytes), the children's producer makes batches of at most kChildBatchBytes
// (batch.size: a message larger than that goes alone in its batch), and a poison record is
// padded with kPoisonPadBytes, so it, and only it, is refused by the output topic. The input
// and dead-letter topics keep the broker's default (1 MB).
constexpr int kOutputMaxMessageBytes = 32768;
constexpr int kChildBatchBytes = 16384;
constexpr int64_t kPoisonPadBytes = 40000;
// The children's retries under --transform-fault-rate: the chaos stage fails a chosen record's
// first kChaosFailures attempts; kChildMaxAttempts leaves one more in reserve.
constexpr int kChaosFailures = 2;
constexpr int kChildMaxAttempts = 4;
constexpr int kChildBaseBackoffMs = 10;
constexpr int kChildMaxBackoffMs = 100;

// The broker a kCoordinatorKill hits: the leader of the internal topic's partition that holds
// the group's (`group`) or the transactional id's coordinator.
absl::StatusOr<int> FindCoordinator(kafka::Admin& admin, Coordinator which, const std::string& id) {
  const std::string topic =
      which == Coordinator::kTransaction ? kTransactionStateTopic : kConsumerOffsetsTopic;
  const auto deadline = Clock::now() + kCoordinatorLookup;
  absl::Status last;
  while (Clock::now() < deadline) {
    absl::StatusOr<std::vector<int32_t>> leaders = admin.PartitionLeaders(topic, milliseconds(5000));
    if (leaders.ok() && !leaders->empty()) {
      const int p = CoordinatorPartition(id, static_cast<int>(leaders->size()));
      if ((*leaders)[static_cast<size_t>(p)] >= 0) return (*leaders)[static_cast<size_t>(p)];
      last = absl::UnavailableError(absl::StrCat(topic, " partition ", p, " has no leader"));
    } else {
      last = leaders.ok() ? absl::NotFoundError(absl::StrCat(topic, " has no partitions"))
                          : leaders.status();
    }
    std::this_thread::sleep_for(milliseconds(500));  // metadata settles after a failover
  }
  return absl::UnavailableError(absl::StrCat("finding the ", CoordinatorName(which),
                                             " coordinator of ", id, ": ", last.message()));
}

// The audit's own clients: `client` (bootstrap.servers and the -X / --command-config
// properties), onceflow's settings for riding out faults, then `extra`.
kafka::Properties ClientProps(const kafka::Properties& client, const kafka::Properties& extra) {
  kafka::Properties base = kafka::Merge(
      {{"topic.metadata.refresh.interval.ms", "1000"},
       {"socket.nagle.disable", "true"},
       // The broker goes away for seconds during a hard restart: keep quiet
       // about it, reconnect soon.
       {"log.connection.close", "false"},
       {"reconnect.backoff.max.ms", "1000"},
       // Critical only: disconnects during faults are expected, and reported by the audit.
       {"log_level", "2"}},
      client);
  return kafka::Merge(std::move(base), extra);
}

// Reads every record of `topic` from the beginning until each partition's end, as `isolation`
// sees it. The end of a read_committed read is the last stable offset, so a partition counts as
// read only once that reaches the high watermark taken first: the read waits for open
// transactions to finish (or be aborted) rather than returning a prefix.
absl::StatusOr<std::vector<ReadBack>> ReadTopic(const kafka::Properties& client,
                                                const std::string& topic, int partitions,
                                                bool read_committed, milliseconds timeout) {
  (void)partitions;
  std::vector<ReadBack> out;
  kafka::ReadToEndOptions options;
  options.read_committed = read_committed;
  options.until_high_watermark = true;
  options.timeout = timeout;
  int64_t rereads = 0;
  options.rereads = &rereads;
  ONCEFLOW_RETURN_IF_ERROR(kafka::ReadToEnd(
      ClientProps(client, {{"group.id", absl::StrCat(topic, "-audit-reader")}}), topic,
      options, [&out](const kafka::ConsumedMessage& m) {
        const Record& rec = m.record();
        ReadBack r;
        r.partition = rec.partition().value();
        r.offset = rec.offset().value();
        if (rec.has_key()) r.key = std::string(rec.key());
        r.null_value = !rec.has_value();
        if (rec.has_value()) r.value = std::string(rec.value());
        for (const HeaderView& h : rec.headers()) r.headers.emplace_back(h.first, h.second);
        out.push_back(std::move(r));
      }));
  if (rereads > 0) {
    std::cerr << "onceflow audit: reading " << topic << ": the consumer delivered " << rereads
              << " record(s) again after a position reset; each offset was counted once\n";
  }
  return out;
}

// The read_committed consumer that watches the output while the run goes on.
class LiveReader {
 public:
  LiveReader(kafka::Properties client, std::string topic, int partitions, Clock::time_point start)
      : client_(std::move(client)),
        topic_(std::move(topic)),
        partitions_(partitions),
        start_(start) {}
  ~LiveReader() { Stop(); }

  absl::Status Start() {
    ONCEFLOW_ASSIGN_OR_RETURN(
        consumer_, kafka::Consumer::Create(
                       ClientProps(client_, {{"group.id", absl::StrCat(topic_, "-audit-live")},
                                             {"isolation.level", "read_committed"},
                                             {"auto.offset.reset", "earliest"}})));
    std::vector<TopicPartitionOffset> assignment;
    for (int p = 0; p < partitions_; ++p) {
      assignment.push_back({TopicPartition{topic_, Partition(p)}, Offset::Beginning()});
    }
    ONCEFLOW_RETURN_IF_ERROR(consumer_->Assign(assignment));
    thread_ = std::thread([this] { Loop(); });
    return absl::OkStatus();
  }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  int64_t count() const { return count_.load(); }
  // REQUIRES: Stop() was called.
  std::vector<ReadBack> TakeRecords() { return std::move(records_); }

 private:
  void Loop() {
    while (!stop_) {
      absl::StatusOr<std::optional<kafka::ConsumedMessage>> polled =
          consumer_->Poll(milliseconds(100));
      // Broker restarts: keep polling.
      if (!polled.ok() || !polled->has_value() || !(*polled)->is_record()) continue;
      const Record& rec = (*polled)->record();
      ReadBack r;
      r.partition = rec.partition().value();
      r.offset = rec.offset().value();
      if (rec.has_value()) r.value = std::string(rec.value());
      r.seen_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - start_).count();
      records_.push_back(std::move(r));
      ++count_;
    }
  }

  const kafka::Properties client_;
  const std::string topic_;
  const int partitions_;
  const Clock::time_point start_;
  std::unique_ptr<kafka::Consumer> consumer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> count_{0};
  std::vector<ReadBack> records_;  // owned by the thread until Stop()
};

// Sends the workload to the input topic at `rate` records per second, each planned record
// exactly once.
//
// The producer is idempotent (acks=all). librdkafka 2.0.2's idempotent producer can fail
// fatally on a broker failover although nothing is wrong with the records
// (OUT_OF_ORDER_SEQUENCE_NUMBER, "rewound sequence number": confluentinc/librdkafka#4438, fixed
// in 2.3.0). Then the generator recovers instead of ending the run: it drops the producer,
// reads the input back to its high watermark, marks the records it had sent whose bytes are
// there, and sends the rest again, in plan order, with a new producer. A record that the old
// producer had in flight and that became visible only after the read-back ends up twice in
// the input: the checker counts it (input_duplicates) and judges with it (checker.h).
class Generator {
 public:
  // Fatal errors recovered from before the generator gives up.
  static constexpr int kMaxRecoveries = 8;
  // librdkafka's RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER: what --inject-generator-fatal-at
  // raises, the error the bug above raises.
  static constexpr int kOutOfOrderSequence = 45;
  // How long a recovery waits for the failed producer's records in flight, and for the
  // read-back of the input (a failover in progress can hold both up).
  static constexpr milliseconds kRecoveryFlush{60000};
  static constexpr milliseconds kReadBackTimeout{300000};

  Generator(kafka::Properties client, std::string topic, const WorkloadPlan* plan, double rate,
            int64_t inject_fatal_at)
      : client_(std::move(client)),
        topic_(std::move(topic)),
        plan_(plan),
        rate_(rate),
        inject_fatal_at_(inject_fatal_at),
        acked_(plan->sends.size(), 0) {}
  ~Generator() { Stop(); }

  // Stops sending (what was sent is still flushed) and waits for the thread.
  void Stop() {
    stop_ = true;
    Join();
  }

  absl::Status Start() {
    ONCEFLOW_RETURN_IF_ERROR(NewProducer());
    thread_ = std::thread([this] { Loop(); });
    return absl::OkStatus();
  }

  bool done() const { return done_.load(); }
  int64_t sent() const { return sent_.load(); }
  int recoveries() const { return recoveries_.load(); }
  int64_t resent() const { return resent_.load(); }
  // What the generator has to say since the last call (its recoveries), for the faults log.
  std::vector<std::string> TakeNotes() {
    std::lock_guard<std::mutex> lock(notes_mu_);
    return std::exchange(notes_, {});
  }
  std::string error() {
    Join();
    return error_;
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  absl::Status NewProducer() {
    ONCEFLOW_ASSIGN_OR_RETURN(
        producer_, kafka::Producer::Create(
                       ClientProps(client_, {{"enable.idempotence", "true"},
                                             {"acks", "all"},
                                             {"linger.ms", "5"},
                                             // Rides out broker restarts without giving up.
                                             {"message.timeout.ms", "300000"}}),
                       [this](const kafka::DeliveryReport& report) {
                         const auto i = reinterpret_cast<uintptr_t>(report.opaque);
                         if (report.status.ok() && i > 0) acked_[i - 1] = 1;
                       }));
    return absl::OkStatus();
  }

  // Sends plan record `i` (its delivery report marks it acknowledged).
  absl::Status Send(size_t i) {
    const WorkloadValue& v = plan_->sends[i];
    const std::string value = EncodeValue(v);
    return producer_->Produce({.topic = topic_,
                               .key = v.key,
                               .value = value,
                               .opaque = reinterpret_cast<void*>(static_cast<uintptr_t>(i + 1))});
  }

  // After a fatal error: a new producer, and every record sent so far that is neither
  // acknowledged nor in the input sent again. On failure the run cannot go on.
  absl::Status Recover(absl::Status fatal) {
    while (true) {
      if (recoveries_ == kMaxRecoveries) {
        return absl::UnavailableError(absl::StrCat("gave up after ", kMaxRecoveries,
                                                   " fatal producer errors; the last: ",
                                                   fatal.ToString()));
      }
      ++recoveries_;
      // librdkafka fails what was still queued at once, but records already sent get their
      // real answers (an acks=all write waits for the ISR, which a dead follower holds up to
      // replica.lag.time.max.ms): wait for them, so an acknowledged record is not sent again.
      producer_->Flush(kRecoveryFlush).IgnoreError();  // what stays unanswered is read back
      producer_.reset();
      const size_t sent = static_cast<size_t>(sent_.load());
      absl::flat_hash_map<std::string, size_t> missing;
      for (size_t i = 0; i < sent; ++i) {
        if (acked_[i] == 0) missing.emplace(EncodeValue(plan_->sends[i]), i);
      }
      const size_t unacked = missing.size();
      ONCEFLOW_RETURN_IF_ERROR(kafka::ReadToEnd(
          ClientProps(client_, {{"group.id", absl::StrCat(topic_, "-audit-generator")}}), topic_,
          {.read_committed = false, .until_high_watermark = true, .timeout = kReadBackTimeout},
          [&missing](const kafka::ConsumedMessage& m) {
            if (!m.is_record() || !m.record().has_value()) return;
            missing.erase(std::string(m.record().value()));
          }));
      std::vector<size_t> again;
      again.reserve(missing.size());
      for (const auto& [value, i] : missing) again.push_back(i);
      std::sort(again.begin(), again.end());
      // In the input: done. The rest stays unacknowledged until a new delivery report.
      for (size_t i = 0; i < sent; ++i) {
        if (acked_[i] == 0 && !std::binary_search(again.begin(), again.end(), i)) acked_[i] = 1;
      }
      Note(absl::StrFormat(
          "generator: %s; recovering (%d of at most %d): %d of %d sent records were not "
          "acknowledged, %d of them are in the input, sending %d again with a new producer",
          fatal.ToString(), recoveries_.load(), kMaxRecoveries, unacked, sent,
          unacked - again.size(), again.size()));
      ONCEFLOW_RETURN_IF_ERROR(NewProducer());
      absl::Status st;
      for (size_t i : again) {
        st = Send(i);
        if (!st.ok()) break;
        ++resent_;
      }
      fatal = producer_->FatalError();
      if (fatal.ok()) return st;  // resent (or failed for another reason: the run stops)
      // Failed again while resending: the next round reads back what this one got written.
    }
  }

  void Note(std::string line) {
    std::lock_guard<std::mutex> lock(notes_mu_);
    notes_.push_back(std::move(line));
  }

  // A fatal error of the producer, if it has one: recovered from; false when that failed
  // (error_ says why).
  bool RecoverIfFatal(const absl::Status& status) {
    absl::Status fatal = producer_->FatalError();
    if (fatal.ok()) {
      if (status.ok()) return true;
      error_ = status.ToString();
      return false;
    }
    absl::Status recovered = Recover(fatal);
    if (!recovered.ok()) error_ = recovered.ToString();
    return recovered.ok();
  }

  void Loop() {
    const auto start = Clock::now();
    bool ok = true;
    for (size_t i = 0; i < plan_->sends.size() && !stop_ && ok; ++i) {
      const auto due = start + std::chrono::microseconds(
                                   static_cast<int64_t>(static_cast<double>(i) * 1e6 / rate_));
      while (!stop_ && ok) {
        // One reading of the clock: a negative timeout would make Poll wait forever.
        const auto left = std::chrono::duration_cast<milliseconds>(due - Clock::now());
        if (left <= milliseconds(0)) break;
        // Serves delivery reports while it waits for the next send time.
        producer_->Poll(std::min(milliseconds(5), left));
        ok = RecoverIfFatal(absl::OkStatus());
      }
      if (!ok || stop_) break;
      if (static_cast<int64_t>(i) == inject_fatal_at_) {
        producer_->InjectFatalError(kOutOfOrderSequence, "injected by --inject-generator-fatal-at")
            .IgnoreError();  // shows in the next call
      }
      absl::Status st = Send(i);
      if (!st.ok()) {
        // Not sent: a fatal error leaves it to the recovery's resend, which only covers
        // records counted as sent.
        ++sent_;
        ok = RecoverIfFatal(st);
        continue;
      }
      ++sent_;
    }
    // Every sent record acknowledged, across fatal errors.
    while (ok) {
      absl::Status st = producer_->Flush(milliseconds(300000));
      if (!producer_->FatalError().ok()) {
        ok = RecoverIfFatal(st);
        continue;
      }
      if (!st.ok()) {
        error_ = st.ToString();
        break;
      }
      const int64_t unacked = std::count(acked_.begin(), acked_.begin() + sent_.load(), 0);
      if (unacked > 0) {
        error_ = absl::StrCat(unacked, " of ", sent_.load(),
                              " records were not acknowledged (their delivery failed)");
      }
      break;
    }
    done_ = true;
  }

  const kafka::Properties client_;
  const std::string topic_;
  const WorkloadPlan* plan_;
  const double rate_;
  const int64_t inject_fatal_at_;
  // Per plan record: its delivery was acknowledged (or, after a recovery, it is in the input).
  // Written by delivery reports, served on the generator's thread.
  std::vector<uint8_t> acked_;
  std::unique_ptr<kafka::Producer> producer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  std::atomic<int64_t> sent_{0};
  std::atomic<int> recoveries_{0};
  std::atomic<int64_t> resent_{0};
  std::string error_;
  std::mutex notes_mu_;
  std::vector<std::string> notes_;
};

// Deletes the run's topics on every way out of RunOnce.
class TopicCleanup {
 public:
  TopicCleanup(kafka::Admin* admin, std::vector<std::string> topics)
      : admin_(admin), topics_(std::move(topics)) {}
  ~TopicCleanup() { (void)admin_->DeleteTopics(topics_, std::chrono::seconds(30)); }

 private:
  kafka::Admin* admin_;
  std::vector<std::string> topics_;
};

// A YAML double-quoted scalar whose text the child's loader reads back as `value` exactly ("$${"
// keeps a literal "${" from being substituted).
std::string YamlQuoted(absl::string_view value) {
  return absl::StrCat(
      "\"", absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\"", "\\\""}, {"${", "$${"}}), "\"");
}

// The `kafka:` map of the children's config: the audit's client properties except
// bootstrap.servers (a key of its own). A secret property (kafka::IsSecretProperty) is not
// written into the file: it becomes ${ONCEFLOW_AUDIT_SECRET_<n>}, set in this process's
// environment (which the children inherit) by ExportSecrets.
std::string KafkaYaml(const kafka::Properties& client) {
  std::string y;
  int secret = 0;
  for (const auto& [name, value] : client) {
    if (name == "bootstrap.servers") continue;
    absl::StrAppend(&y, "  ", name, ": ",
                    kafka::IsSecretProperty(name)
                        ? absl::StrCat("\"${ONCEFLOW_AUDIT_SECRET_", secret++, "}\"")
                        : YamlQuoted(value),
                    "\n");
  }
  return y.empty() ? "" : absl::StrCat("kafka:\n", y);
}

}  // namespace

void ExportSecrets(const kafka::Properties& client) {
  int secret = 0;
  for (const auto& [name, value] : client) {
    if (name == "bootstrap.servers" || !kafka::IsSecretProperty(name)) continue;
    ::setenv(absl::StrCat("ONCEFLOW_AUDIT_SECRET_", secret++).c_str(), value.c_str(), 1);
  }
}

namespace {

// The children's config. `bootstrap`: the brokers as the children reach them (through the
// network-fault proxy when there is one). `dlq`: the dead-letter topic, empty for none (errors:
// fail).
std::string ConfigYaml(const RunOptions& o, const std::string& bootstrap, const std::string& app,
                       const std::string& in, const std::string& out, const std::string& dlq,
                       int instance, bool dedupe) {
  std::string y = absl::StrCat("# Generated by onceflow audit.\n", "application_id: ", app, "\n",
                               "instance_id: i", instance, "\n", "bootstrap_servers: \"",
                               bootstrap, "\"\n", "inputs: [", in, "]\n", "output: ", out, "\n",
                               "mode: ", o.mode, "\n", "commit_interval_ms: ", o.commit_interval_ms,
                               "\n", "static_membership: true\n", "state:\n  dir: \"", o.run_dir,
                               "/state-i", instance, "\"\n", "metrics:\n  address: \"off\"\n",
                               "consumer:\n  session.timeout.ms: \"", o.session_timeout_ms, "\"\n");
  if (o.mode == "eos" || o.poison_rate > 0) y += "producer:\n";
  if (o.mode == "eos") {
    absl::StrAppend(&y, "  transaction.timeout.ms: \"", o.transaction_timeout_ms, "\"\n");
  }
  if (o.poison_rate > 0) absl::StrAppend(&y, "  batch.size: \"", kChildBatchBytes, "\"\n");
  if (dedupe) y += "dedupe:\n  key: json_field\n  field: id\n  window: forever\n";
  if (!dlq.empty()) {
    absl::StrAppend(&y, "errors:\n  policy: dlq\n  dead_letter_topic: ", dlq,
                    "\n  max_attempts: ", kChildMaxAttempts,
                    "\n  base_backoff_ms: ", kChildBaseBackoffMs,
                    "\n  max_backoff_ms: ", kChildMaxBackoffMs, "\n");
  }
  if (o.state_count || o.transform_fault_rate > 0) y += "transforms:\n";
  if (o.state_count) y += "  - count: {}\n";
  if (o.transform_fault_rate > 0) {
    absl::StrAppend(&y, "  - chaos: {transient_rate: ", o.transform_fault_rate,
                    ", transient_failures: ", kChaosFailures, ", seed: ", o.seed, "}\n");
  }
  absl::StrAppend(&y, KafkaYaml(o.client));
  return y;
}

void AppendLine(const std::string& path, const std::string& line) {
  std::ofstream f(path, std::ios::app);
  f << line << "\n";
}

// Whether the instance logging to `log_path` holds input partitions now, from its own log:
// the last of its "assigned N partition(s)", "revoked ..." and "lost ..." lines (docs/sidecar.md)
// and the start markers the audit writes. A pause is only a zombie test when the victim holds
// partitions (and so, while records flow, an open transaction).
bool HoldsPartitions(const std::string& log_path) {
  std::ifstream f(log_path, std::ios::ate);
  if (!f) return false;
  const std::streamoff size = f.tellg();
  const std::streamoff from = std::max<std::streamoff>(0, size - 65536);
  f.seekg(from);
  std::string tail(static_cast<size_t>(size - from), '\0');
  f.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  size_t best = std::string::npos;
  bool holds = false;
  for (const auto& [marker, meaning] :
       std::vector<std::pair<std::string, bool>>{{"onceflow: assigned ", true},
                                                 {"onceflow: revoked ", false},
                                                 {"onceflow: lost ", false},
                                                 {"==== onceflow audit: start", false}}) {
    const size_t at = tail.rfind(marker);
    if (at == std::string::npos || (best != std::string::npos && at < best)) continue;
    best = at;
    holds = meaning && tail.compare(at + marker.size(), 2, "0 ") != 0;
  }
  return holds;
}

// One supervised `onceflow run` instance.
struct Instance {
  int index = 0;
  std::string config;
  std::string log;
  ChildProcess child;
  std::optional<Clock::time_point> restart_at;  // set while waiting out the backoff
  bool paused = false;
  // Part of the group: supervised (restarted when it exits). The extra instance of --scales
  // is not until scaled out, and stops being at a scale-in.
  bool enabled = true;
  int starts = 0;
};

}  // namespace

void RequestStop() { stop_requested.store(true); }

absl::StatusOr<RunResult> RunOnce(const RunOptions& o) {
  const auto start = Clock::now();
  auto now_ms = [&] {
    return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
  };
  RunResult result;
  result.target = o.target.name;
  result.mode = o.mode;
  result.seed = o.seed;
  result.records = o.records;
  result.run_dir = o.run_dir;
  result.dedupe = o.upstream_dup_rate > 0;
  result.counts = o.state_count;
  result.dead_letter_topic = o.poison_rate > 0 || o.transform_fault_rate > 0;
  result.transform_fault_rate = o.transform_fault_rate;
  result.poison_rate = o.poison_rate;
  result.brokers = o.brokers;

  std::error_code ec;
  std::filesystem::create_directories(o.run_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("creating ", o.run_dir, ": ", ec.message()));
  const std::string faults_log = o.run_dir + "/faults.log";
  const kafka::Properties client =
      o.client.empty() ? kafka::Properties{{"bootstrap.servers", o.bootstrap}} : o.client;
  ExportSecrets(client);
  sidecar::Progress progress(absl::StrCat("audit ", o.mode), o.records, "records sent", o.progress);
  auto say = [&](const std::string& what) {
    const std::string line = absl::StrFormat("[%7.1fs] %s: %s", now_ms() / 1000.0, o.mode, what);
    AppendLine(faults_log, line);
    progress.Note(line);
  };

  // Topics. The application id is unique per run, so the group, the transactional ids and the
  // changelog start empty.
  const std::string app = absl::StrCat(
      "onceflow-audit-", o.mode, "-", o.seed, "-", ::getpid(), "-",
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count() %
          100000000);
  const std::string in = app + "-in";
  const std::string out = app + "-out";
  const std::string changelog = app + "-dedupe-changelog";
  const std::string count_changelog = app + "-count-changelog";
  const std::string dlq = result.dead_letter_topic ? app + "-dlq" : "";
  ONCEFLOW_ASSIGN_OR_RETURN(auto admin, kafka::Admin::Create(ClientProps(client, {})));
  ONCEFLOW_RETURN_IF_ERROR(admin->Ping(std::chrono::seconds(15)));
  std::vector<std::string> topics = {in, out, changelog, count_changelog};
  if (!dlq.empty()) topics.push_back(dlq);
  TopicCleanup cleanup(admin.get(), topics);
  // On a cluster: what production runs, three replicas and acks=all writes that need two.
  const bool cluster = o.brokers > 1;
  const int replicas = cluster ? 3 : 1;
  const kafka::Properties replicated =
      cluster ? kafka::Properties{{"min.insync.replicas", "2"}} : kafka::Properties{};
  ONCEFLOW_RETURN_IF_ERROR(
      admin->CreateTopic({in, o.partitions, replicas, replicated}, std::chrono::seconds(30)));
  kafka::Properties output_configs = replicated;
  if (o.poison_rate > 0) output_configs["max.message.bytes"] = absl::StrCat(kOutputMaxMessageBytes);
  ONCEFLOW_RETURN_IF_ERROR(
      admin->CreateTopic({out, o.partitions, replicas, output_configs}, std::chrono::seconds(30)));
  if (!dlq.empty()) {
    // The sidecar never creates a dead-letter topic.
    ONCEFLOW_RETURN_IF_ERROR(
        admin->CreateTopic({dlq, o.partitions, replicas, replicated}, std::chrono::seconds(30)));
  }
  if (cluster) {
    // Created here rather than by the children (the broker's defaults would give the same),
    // so the run states its replication; the children find them with the input's partitions.
    kafka::Properties compacted = replicated;
    compacted["cleanup.policy"] = "compact";
    for (const auto& [on, topic] : {std::pair<bool, std::string>{result.dedupe, changelog},
                                    std::pair<bool, std::string>{o.state_count, count_changelog}}) {
      if (!on) continue;
      ONCEFLOW_RETURN_IF_ERROR(
          admin->CreateTopic({topic, o.partitions, replicas, compacted}, std::chrono::seconds(30)));
    }
  }

  // Workload and schedule.
  const WorkloadPlan plan = MakeWorkload({.records = o.records,
                                          .keys = o.keys,
                                          .dup_rate = o.upstream_dup_rate,
                                          .poison_rate = o.poison_rate,
                                          .poison_bytes = kPoisonPadBytes,
                                          .seed = o.seed,
                                          .id_prefix = absl::StrCat("r", o.seed, "-")});
  const int pause_ms =
      o.pause_ms > 0 ? o.pause_ms : std::max(o.session_timeout_ms, o.transaction_timeout_ms) + 2000;
  double rate = o.rate;
  if (rate <= 0) {
    // What the faults take, settle gaps included; they fill the window (75 % of the run), and
    // 1.5x leaves room for restarts slower than planned, so faults land while records flow.
    const double settle = static_cast<double>(kSettle.count());
    const double node_cycle = kClusterNodeStopMs + kClusterNodeStartMs;
    const double fault_ms =
        o.kills * settle + o.pauses * (pause_ms + 2 * settle) +
        o.broker_restarts * ((cluster ? kClusterNodeStartMs : kBrokerRestartMs) + settle) +
        (o.broker_kills + o.coordinator_kills) *
            (static_cast<double>(o.broker_down_ms) + kClusterNodeStartMs + settle) +
        o.rolling_restarts * (o.brokers * node_cycle + settle) +
        o.broker_pauses * (static_cast<double>(o.broker_pause_ms) + settle) +
        o.scales * (static_cast<double>(o.session_timeout_ms) + settle) +
        o.net_delays * (static_cast<double>(o.net_delay_for_ms) + settle) +
        o.net_cuts * settle + o.isolations * (pause_ms + 2 * settle);
    const double duration_ms = std::max(20000.0, 1.5 * fault_ms);
    rate = static_cast<double>(plan.sends.size()) * 1000.0 / duration_ms;
  }
  result.rate = rate;
  const double duration_ms = static_cast<double>(plan.sends.size()) * 1000.0 / rate;
  progress.set_total(static_cast<int64_t>(plan.sends.size()));
  const std::vector<Fault> schedule = MakeFaultSchedule(
      {.kills = o.kills,
       .pauses = o.pauses,
       .broker_restarts = o.broker_restarts,
       .broker_kills = o.broker_kills,
       .rolling_restarts = o.rolling_restarts,
       .coordinator_kills = o.coordinator_kills,
       .broker_pauses = o.broker_pauses,
       .scales = o.scales,
       .net_delays = o.net_delays,
       .net_cuts = o.net_cuts,
       .isolations = o.isolations,
       .instances = o.instances,
       .brokers = o.brokers,
       .transactions = o.mode == "eos",
       .window_start_ms = std::max<int64_t>(3000, static_cast<int64_t>(0.1 * duration_ms)),
       .window_end_ms = std::max<int64_t>(4000, static_cast<int64_t>(0.85 * duration_ms))},
      o.seed);
  say(absl::StrFormat(
      "app %s, %d records (+%d upstream duplicates; %d poison + %d poison duplicates) at %.0f/s, "
      "%d faults, transform fault rate %g, dir %s",
      app, plan.originals, plan.duplicates, plan.poison, plan.poison_duplicates, rate,
      schedule.size(), o.transform_fault_rate, o.run_dir));

  // The network-fault proxy: one route per broker, its front port advertised by the broker's
  // PROXIED listener (scripts/kafka proxy-routes), so the children reach every broker through
  // it. The audit's own clients (generator, reader, admin) go straight to the brokers.
  std::unique_ptr<NetProxy> proxy;
  std::string child_bootstrap = o.bootstrap;
  if (o.net_delays + o.net_cuts + o.isolations > 0) {
    if (o.proxy_routes.empty()) {
      return absl::FailedPreconditionError("network faults need the cluster's proxy routes");
    }
    std::vector<NetProxy::Route> routes;
    std::vector<std::string> fronts;
    for (const auto& [front, back] : o.proxy_routes) {
      if (!LoopbackPortOpen(back)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "network faults: no broker listens on 127.0.0.1:", back,
            " (the PROXIED listener of scripts/kafka's cluster); a cluster started by an older "
            "scripts/kafka lacks it: restart it (scripts/kafka --cluster ",
            o.brokers, " stop)"));
      }
      routes.push_back({.listen_port = front, .target_port = back});
      fronts.push_back(absl::StrCat("127.0.0.1:", front));
    }
    ONCEFLOW_ASSIGN_OR_RETURN(proxy, NetProxy::Start(routes, InstanceOfClientId));
    child_bootstrap = absl::StrJoin(fronts, ",");
    say(absl::StrCat("network-fault proxy: the instances reach the brokers at ", child_bootstrap));
  }
  auto heal_all = [&] {
    if (proxy == nullptr) return;
    for (int i = 0; i <= o.instances; ++i) {
      proxy->SetIsolated(absl::StrCat("i", i), false);
      proxy->SetDelay(absl::StrCat("i", i), milliseconds(0));
    }
  };

  // Instances.
  // With --scales, one more: i<instances>, started at the first scale-out.
  const int slots = o.instances + (o.scales > 0 ? 1 : 0);
  std::vector<Instance> instances(static_cast<size_t>(slots));
  for (int i = 0; i < slots; ++i) {
    Instance& inst = instances[static_cast<size_t>(i)];
    inst.index = i;
    inst.enabled = i < o.instances;
    inst.config = absl::StrCat(o.run_dir, "/i", i, ".yaml");
    inst.log = absl::StrCat(o.run_dir, "/i", i, ".log");
    ONCEFLOW_RETURN_IF_ERROR(
        base::WriteFile(inst.config,
                        ConfigYaml(o, child_bootstrap, app, in, out, dlq, i, result.dedupe)));
  }
  // Another target's command line: the placeholders of target.h.
  std::vector<std::pair<std::string, std::string>> child_properties;
  for (const auto& [name, value] : client) child_properties.emplace_back(name, value);
  auto target_argv = [&](const Instance& inst) -> absl::StatusOr<std::vector<std::string>> {
    const std::map<std::string, std::string> values = {
        {"bootstrap", child_bootstrap},
        {"app", app},
        {"input", in},
        {"output", out},
        {"instance", absl::StrCat("i", inst.index)},
        {"state_dir", absl::StrCat(o.run_dir, "/state-i", inst.index)},
        {"mode", o.mode},
        {"guarantee", o.mode == "eos" ? "exactly_once_v2" : "at_least_once"},
        {"commit_interval_ms", absl::StrCat(o.commit_interval_ms)},
        {"session_timeout_ms", absl::StrCat(o.session_timeout_ms)},
        {"transaction_timeout_ms", absl::StrCat(o.transaction_timeout_ms)},
        {"dedupe_field", result.dedupe ? "id" : ""},
        {"config", inst.config},
        {"run_dir", o.run_dir}};
    return InstanceArgv(o.target, values, child_properties, o.state_count);
  };
  auto start_instance = [&](Instance& inst) -> absl::Status {
    AppendLine(
        inst.log,
        absl::StrFormat("==== onceflow audit: start %d at %d ms ====", ++inst.starts, now_ms()));
    std::vector<std::string> argv = {o.onceflow_exe, "run", "--config", inst.config};
    if (o.target.kind != TargetKind::kOnceflow) {
      ONCEFLOW_ASSIGN_OR_RETURN(argv, target_argv(inst));
    }
    ONCEFLOW_ASSIGN_OR_RETURN(inst.child,
                              ChildProcess::Start(argv, base::SpawnOptions::ToLog(inst.log)));
    inst.restart_at.reset();
    return absl::OkStatus();
  };
  for (Instance& inst : instances) {
    if (inst.enabled) ONCEFLOW_RETURN_IF_ERROR(start_instance(inst));
  }

  LiveReader live(client, out, o.partitions, start);
  ONCEFLOW_RETURN_IF_ERROR(live.Start());
  Generator generator(client, in, &plan, rate, o.inject_generator_fatal_at);
  ONCEFLOW_RETURN_IF_ERROR(generator.Start());

  // The committed offsets of the group, read without joining it.
  ONCEFLOW_ASSIGN_OR_RETURN(
      auto offsets_reader,
      kafka::Consumer::Create(
          ClientProps(client, {{"group.id", app}, {"isolation.level", "read_committed"}})));
  std::vector<TopicPartition> input_tps;
  for (int p = 0; p < o.partitions; ++p) input_tps.push_back({in, Partition(p)});
  auto committed_at_end = [&]() -> bool {
    absl::StatusOr<std::vector<TopicPartitionOffset>> committed =
        offsets_reader->Committed(input_tps, std::chrono::seconds(10));
    if (!committed.ok()) return false;
    for (const TopicPartitionOffset& c : *committed) {
      absl::StatusOr<std::pair<Offset, Offset>> marks =
          offsets_reader->Watermarks(c.tp, std::chrono::seconds(10));
      if (!marks.ok()) return false;
      if (marks->second.value() > 0 && c.offset != marks->second) return false;
    }
    return true;
  };

  // The supervision loop: restarts children that exit, runs the faults in order, and waits
  // for the group to commit the whole input.
  size_t next_fault = 0;
  std::optional<FaultEvent> active;  // a pause or a broker fault under way
  BrokerFaultRun broker_fault;
  const std::string brokers_log = o.run_dir + "/brokers.log";
  const BrokerFaultOptions broker_options{.script = o.kafka_script,
                                          .brokers = o.brokers,
                                          .down_ms = o.broker_down_ms,
                                          .pause_ms = o.broker_pause_ms};
  Clock::time_point active_until;
  Clock::time_point settled_at = start;  // the previous fault ended + kSettle
  std::optional<Clock::time_point> drain_deadline;
  Clock::time_point next_drain_check = start;
  Clock::time_point next_progress = start + std::chrono::seconds(2);
  absl::Status failure;
  while (true) {
    if (stop_requested.load()) {
      failure = absl::CancelledError("interrupted");
      break;
    }
    const auto now = Clock::now();
    for (Instance& inst : instances) {
      if (inst.paused || !inst.enabled) continue;
      if (std::optional<ChildProcess::Exit> exit = inst.child.Poll()) {
        ++result.instance_exits;
        ++result.exit_reasons[exit->ToString()];
        say(absl::StrFormat("i%d exited (%s) on its own; restarting in %d ms", inst.index,
                            exit->ToString(), kRestartBackoff.count()));
        inst.restart_at = now + kRestartBackoff;
      }
      if (!inst.child.running() && inst.restart_at.has_value() && now >= *inst.restart_at) {
        if (absl::Status st = start_instance(inst); !st.ok()) {
          failure = st;
          break;
        }
      }
    }
    if (!failure.ok()) break;

    // The fault under way, if any.
    if (active.has_value()) {
      bool finished = false;
      if (active->planned.kind == FaultKind::kScale) {
        // A scale-in: the extra instance was sent SIGTERM; it commits, leaves, exits.
        Instance& inst = instances.back();
        std::optional<ChildProcess::Exit> exit = inst.child.Poll();
        if (!exit.has_value() && now >= active_until) {
          inst.child.Signal(SIGKILL).IgnoreError();  // not reaped: running
          exit = inst.child.Wait(std::chrono::seconds(10)).value_or(ChildProcess::Exit{});
          say(absl::StrFormat("i%d did not stop within %d ms of SIGTERM; killed", inst.index,
                              kStopGrace.count()));
        }
        if (exit.has_value()) {
          say(absl::StrFormat("scale in: i%d left (%s) after %d ms", inst.index, exit->ToString(),
                              now_ms() - active->started_ms));
          finished = true;
        }
      } else if (active->planned.kind == FaultKind::kPause && now >= active_until) {
        Instance& inst = instances[static_cast<size_t>(active->planned.instance)];
        // A paused child is not polled, so not reaped: it is running and the signal lands.
        inst.child.Signal(SIGCONT).IgnoreError();
        inst.paused = false;
        say(absl::StrFormat("i%d resumed (SIGCONT) after %d ms", inst.index,
                            now_ms() - active->started_ms));
        finished = true;
      } else if ((active->planned.kind == FaultKind::kNetDelay ||
                  active->planned.kind == FaultKind::kIsolate) &&
                 now >= active_until) {
        const std::string tag = absl::StrCat("i", active->planned.instance);
        if (active->planned.kind == FaultKind::kIsolate) {
          proxy->SetIsolated(tag, false);
          say(absl::StrFormat("%s healed after %d ms (its held connections closed)", tag,
                              now_ms() - active->started_ms));
        } else {
          proxy->SetDelay(tag, milliseconds(0));
          say(absl::StrFormat("%s's delay lifted after %d ms", tag, now_ms() - active->started_ms));
        }
        finished = true;
      } else if (IsBrokerFault(active->planned.kind)) {
        absl::StatusOr<bool> done = broker_fault.Poll();
        if (!done.ok()) {
          failure = done.status();
          break;
        }
        if (*done) {
          say(absl::StrFormat("%s done after %d ms", FaultKindName(active->planned.kind),
                              now_ms() - active->started_ms));
          finished = true;
        }
      }
      if (finished) {
        // A resumed zombie gets twice the quiet time: it has to notice it lost its session,
        // try to commit and be fenced, and that is what the pause is there to test.
        settled_at = Clock::now() + (active->planned.kind == FaultKind::kPause ||
                                             active->planned.kind == FaultKind::kIsolate
                                         ? 2 * kSettle
                                         : kSettle);
        active->ended_ms = now_ms();
        result.faults.push_back(*active);
        active.reset();
      }
    } else if (next_fault < schedule.size() && now_ms() >= schedule[next_fault].at_ms &&
               now >= settled_at) {
      const Fault& f = schedule[next_fault];
      FaultEvent ev{.planned = f, .started_ms = now_ms()};
      if (IsBrokerFault(f.kind)) {
        ev.broker = f.broker;
        std::string target;
        if (f.kind == FaultKind::kCoordinatorKill) {
          // Only onceflow's transactional ids are known (`<app>-i<N>`); Kafka Streams names
          // its own (`<app>-<process uuid>-<thread>`), so another target's kill aims at the
          // group coordinator.
          Coordinator which = f.coordinator;
          if (which == Coordinator::kTransaction && o.target.kind != TargetKind::kOnceflow) {
            which = Coordinator::kGroup;
            ev.planned.coordinator = which;
          }
          const std::string id =
              which == Coordinator::kTransaction ? absl::StrCat(app, "-i", f.instance) : app;
          absl::StatusOr<int> coordinator = FindCoordinator(*admin, which, id);
          if (!coordinator.ok()) {
            failure = coordinator.status();
            break;
          }
          ev.broker = *coordinator;
          target = absl::StrCat(" (", CoordinatorName(which), " coordinator of ", id, ")");
        }
        const std::vector<BrokerStep> steps = PlanBrokerFault(f.kind, ev.broker, broker_options);
        broker_fault = BrokerFaultRun(steps, brokers_log);
        switch (f.kind) {
          case FaultKind::kBrokerRestart:
            ++result.broker_restarts;
            break;
          case FaultKind::kBrokerKill:
            ++result.broker_kills;
            break;
          case FaultKind::kRollingRestart:
            ++result.rolling_restarts;
            break;
          case FaultKind::kCoordinatorKill:
            ++result.coordinator_kills;
            break;
          case FaultKind::kBrokerPause:
            ++result.broker_pauses;
            break;
          case FaultKind::kKill:
          case FaultKind::kPause:
          case FaultKind::kScale:
          case FaultKind::kNetDelay:
          case FaultKind::kNetCut:
          case FaultKind::kIsolate:
            break;
        }
        ev.detail = absl::StrCat(DescribeSteps(steps), target);
        say(absl::StrCat("fault: ", FaultKindName(f.kind), ": ", ev.detail));
        active = ev;
        ++next_fault;
      } else if (f.kind == FaultKind::kScale) {
        Instance& extra = instances.back();
        if (!extra.enabled) {
          extra.enabled = true;
          if (absl::Status st = start_instance(extra); !st.ok()) {
            failure = st;
            break;
          }
          ++result.scale_outs;
          ev.detail = absl::StrCat("scale out: started i", extra.index, " (", o.instances + 1,
                                   " instances)");
          say(absl::StrCat("fault: ", ev.detail));
          ev.ended_ms = now_ms();
          settled_at = Clock::now() + kSettle;
          result.faults.push_back(ev);
        } else {
          // Out of supervision first: its exit is the fault's end, not a crash to restart.
          extra.enabled = false;
          ++result.scale_ins;
          if (extra.child.running()) {
            extra.child.Signal(SIGTERM).IgnoreError();  // running(): cannot fail
            ev.detail = absl::StrCat("scale in: SIGTERM i", extra.index, " (", o.instances,
                                     " instances)");
            say(absl::StrCat("fault: ", ev.detail));
            active_until = Clock::now() + kStopGrace;
            active = ev;
          } else {
            // Waiting out a restart backoff: it simply is not started again.
            ev.detail = absl::StrCat("scale in: i", extra.index, " not restarted");
            say(absl::StrCat("fault: ", ev.detail));
            ev.ended_ms = now_ms();
            settled_at = Clock::now() + kSettle;
            result.faults.push_back(ev);
          }
        }
        ++next_fault;
      } else {
        int victim = f.instance;
        // (Only onceflow's log says which partitions an instance holds; another target's
        // victim is the planned one.)
        if ((f.kind == FaultKind::kPause || f.kind == FaultKind::kIsolate) &&
            o.target.kind == TargetKind::kOnceflow &&
            !HoldsPartitions(instances[static_cast<size_t>(victim)].log)) {
          // Pause an instance that holds partitions, the planned one first; if none does yet
          // (everyone is rejoining), wait for one, at most 15 s past the planned time.
          for (int k = 1; k < o.instances; ++k) {
            const int other = (f.instance + k) % o.instances;
            if (instances[static_cast<size_t>(other)].child.running() &&
                HoldsPartitions(instances[static_cast<size_t>(other)].log)) {
              victim = other;
              break;
            }
          }
          if (victim == f.instance && now_ms() < f.at_ms + 15000) {
            std::this_thread::sleep_for(milliseconds(20));
            continue;
          }
        }
        Instance& inst = instances[static_cast<size_t>(victim)];
        ev.planned.instance = victim;
        // A victim waiting out its restart backoff is hit once it runs again.
        if (inst.child.running()) {
          const std::string tag = absl::StrCat("i", inst.index);
          if (f.kind == FaultKind::kNetCut) {
            const int cut = proxy->Cut(tag);
            ++result.net_cuts;
            ev.detail = absl::StrCat("cut i", inst.index, "'s ", cut, " connection(s)");
            say(absl::StrCat("fault: ", ev.detail));
            ev.ended_ms = now_ms();
            settled_at = Clock::now() + kSettle;
            result.faults.push_back(ev);
          } else if (f.kind == FaultKind::kNetDelay) {
            proxy->SetDelay(tag, milliseconds(o.net_delay_ms));
            ++result.net_delays;
            active_until = Clock::now() + milliseconds(o.net_delay_for_ms);
            ev.detail = absl::StrCat("i", inst.index, " +", o.net_delay_ms, " ms each way for ",
                                     o.net_delay_for_ms, " ms");
            say(absl::StrCat("fault: ", ev.detail));
            active = ev;
          } else if (f.kind == FaultKind::kIsolate) {
            proxy->SetIsolated(tag, true);
            ++result.isolations;
            active_until = Clock::now() + milliseconds(pause_ms);
            ev.detail = absl::StrCat("i", inst.index, " cut off from every broker for ", pause_ms,
                                     " ms",
                                     victim != f.instance
                                         ? absl::StrCat(" (i", f.instance, " held no partitions)")
                                         : "");
            say(absl::StrCat("fault: ", ev.detail));
            active = ev;
          } else if (f.kind == FaultKind::kKill) {
            const pid_t pid = inst.child.pid();
            inst.child.Signal(SIGKILL).IgnoreError();  // running(): cannot fail
            (void)inst.child.Wait(std::chrono::seconds(30));
            ++result.processor_kills;
            ev.detail = absl::StrCat("SIGKILL i", inst.index, " (pid ", pid, "), restarted");
            say(absl::StrCat("fault: ", ev.detail));
            if (absl::Status st = start_instance(inst); !st.ok()) {
              failure = st;
              break;
            }
            ev.ended_ms = now_ms();
            settled_at = Clock::now() + kSettle;
            result.faults.push_back(ev);
          } else {
            inst.child.Signal(SIGSTOP).IgnoreError();  // running(): cannot fail
            inst.paused = true;
            ++result.pauses;
            active_until = Clock::now() + milliseconds(pause_ms);
            ev.detail = absl::StrCat("SIGSTOP i", inst.index, " for ", pause_ms, " ms",
                                     victim != f.instance
                                         ? absl::StrCat(" (i", f.instance, " held no partitions)")
                                         : "");
            say(absl::StrCat("fault: ", ev.detail));
            active = ev;
          }
          ++next_fault;
        }
      }
    }

    const bool faults_done = next_fault == schedule.size() && !active.has_value();
    if (generator.done() && faults_done && now >= settled_at) {
      if (!drain_deadline.has_value()) {
        drain_deadline = now + milliseconds(o.drain_timeout_ms);
        say(
            absl::StrFormat("generator done (%d sent), faults done; waiting for the group to "
                            "commit the input's end",
                            generator.sent()));
      }
      if (now >= next_drain_check) {
        next_drain_check = now + milliseconds(500);
        if (committed_at_end()) {
          result.drained = true;
          say("drained: committed offsets at the input's end");
          break;
        }
      }
      if (now >= *drain_deadline) {
        say("drain timed out");
        break;
      }
    }
    // Progress goes to faults.log always (it shows whether records flowed around each fault),
    // and to the terminal when there is one.
    if (now >= next_progress) {
      next_progress = now + std::chrono::seconds(2);
      AppendLine(faults_log,
                 absl::StrFormat("[%7.1fs] %s: sent %d/%d, output seen %d", now_ms() / 1000.0,
                                 o.mode, generator.sent(), plan.sends.size(), live.count()));
    }
    for (const std::string& note : generator.TakeNotes()) say(note);
    progress.Update(generator.sent(), absl::StrFormat("output seen %d", live.count()));
    // Children, the generator and the broker script are watched by polling: no single call
    // waits on all of them.
    std::this_thread::sleep_for(milliseconds(20));
  }

  // Stop everything: SIGTERM (commit and leave), SIGKILL after the grace period. A network
  // fault cut short is lifted first, so the instances can reach the brokers to leave.
  heal_all();
  for (Instance& inst : instances) {
    if (!inst.child.running()) continue;       // waiting out its restart backoff
    inst.child.Signal(SIGCONT).IgnoreError();  // running(): cannot fail
    inst.child.Signal(SIGTERM).IgnoreError();
  }
  for (Instance& inst : instances) {
    if (!inst.child.running()) continue;
    absl::StatusOr<ChildProcess::Exit> exit = inst.child.Wait(kStopGrace);
    if (!exit.ok()) {
      inst.child.Signal(SIGKILL).IgnoreError();  // not reaped by the failed Wait: running
      (void)inst.child.Wait(std::chrono::seconds(10));
      say(absl::StrFormat("i%d did not stop within %d ms of SIGTERM; killed", inst.index,
                          kStopGrace.count()));
    } else if (exit->signaled || exit->code != 0) {
      say(absl::StrFormat("i%d stopped with %s", inst.index, exit->ToString()));
    }
  }
  if (active.has_value() && IsBrokerFault(active->planned.kind)) {
    // Cut short (an interrupt, a failure): bring every broker back before the read-back and
    // the topics' deletion, and for whatever runs next on the cluster.
    broker_fault = BrokerFaultRun();  // kills a scripts/kafka command still running
    std::vector<std::string> argv = {o.kafka_script, "start"};
    if (cluster) argv = {o.kafka_script, "--cluster", absl::StrCat(o.brokers), "start"};
    say(absl::StrCat("bringing the broker(s) back: ", absl::StrJoin(argv, " ")));
    absl::StatusOr<base::Completion> back = base::RunToCompletion(argv, std::chrono::minutes(3));
    if (!back.ok() || !back->exit.ok()) {
      say(absl::StrCat("could not bring the broker(s) back: ",
                       back.ok() ? back->exit.ToString() : back.status().ToString()));
    }
  }
  if (failure.ok()) {
    generator.Join();
  } else {
    generator.Stop();
  }
  live.Stop();
  for (const std::string& note : generator.TakeNotes()) say(note);
  result.generator_recoveries = generator.recoveries();
  result.generator_resent = generator.resent();
  if (!failure.ok()) return failure;
  if (const std::string err = generator.error(); !err.empty()) {
    return absl::UnavailableError(absl::StrCat("generator: ", err));
  }

  // Read back and check. A child killed at stop may leave a transaction open until the broker
  // aborts it; the read_committed reads wait for that.
  const milliseconds read_timeout(o.transaction_timeout_ms + 60000);
  CheckInput check_in;
  ONCEFLOW_ASSIGN_OR_RETURN(check_in.input,
                            ReadTopic(client, in, o.partitions, true, read_timeout));
  ONCEFLOW_ASSIGN_OR_RETURN(check_in.output,
                            ReadTopic(client, out, o.partitions, true, read_timeout));
  ONCEFLOW_ASSIGN_OR_RETURN(check_in.output_uncommitted,
                            ReadTopic(client, out, o.partitions, false, read_timeout));
  // A command's own job keeps its dedupe state where it likes: only onceflow's and the Streams
  // peer's store (`<app>-dedupe-changelog`, "k" + id keys) is read back.
  if (result.dedupe && o.target.kind != TargetKind::kCommand) {
    ONCEFLOW_ASSIGN_OR_RETURN(std::vector<ReadBack> entries,
                              ReadTopic(client, changelog, o.partitions, true, read_timeout));
    std::set<std::string> ids;
    // Dedupe's store keys are "k" + idempotency key (state/dedupe.h); the last record of a key
    // wins, and a tombstone removes it.
    for (const ReadBack& e : entries) {
      if (e.key.empty() || e.key[0] != 'k') continue;
      if (e.null_value) {
        ids.erase(e.key.substr(1));
      } else {
        ids.insert(e.key.substr(1));
      }
    }
    check_in.dedupe_ids = std::move(ids);
  }
  check_in.counts = o.state_count;
  check_in.dedupe = result.dedupe;
  if (o.state_count) {
    ONCEFLOW_ASSIGN_OR_RETURN(std::vector<ReadBack> entries,
                              ReadTopic(client, count_changelog, o.partitions, true, read_timeout));
    // The count store's changelog: record key -> count in decimal (sidecar/count_transform.h);
    // the last record of a key wins.
    std::map<std::string, int64_t> counts;
    for (const ReadBack& e : entries) {
      int64_t n = 0;
      if (e.null_value || !absl::SimpleAtoi(e.value, &n)) {
        counts.erase(e.key);
      } else {
        counts[e.key] = n;
      }
    }
    check_in.count_state = std::move(counts);
  }
  if (!dlq.empty()) {
    ONCEFLOW_ASSIGN_OR_RETURN(check_in.dead_letters,
                              ReadTopic(client, dlq, o.partitions, true, read_timeout));
    check_in.input_topic = in;
  }
  check_in.live = live.TakeRecords();
  for (const FaultEvent& f : result.faults) check_in.fault_ms.push_back(f.started_ms);
  result.committed_offsets_ok = committed_at_end();
  result.check = Check(check_in);
  for (size_t i = 0; i < result.faults.size() && i < result.check.stall_ms.size(); ++i) {
    result.faults[i].stall_ms = result.check.stall_ms[i];
  }

  const CheckResult& c = result.check;
  std::vector<std::string> broken;
  if (c.lost > 0) broken.push_back("lost");
  if (c.unexpected > 0) broken.push_back("unexpected");
  if (!result.committed_offsets_ok) broken.push_back("committed offsets");
  if (c.input_order_violations > 0) broken.push_back("input order (generator)");
  if (o.mode == "eos") {
    if (c.duplicates > 0) broken.push_back("duplicates");
    if (c.order_violations > 0) broken.push_back("order");
    if (c.aborted_reads > 0) broken.push_back("aborted reads");
    if (c.dedupe_state_missing > 0 || c.dedupe_state_extra > 0) broken.push_back("dedupe state");
    // At least once may apply a state update twice (a replay after a crash); never here.
    if (c.counts_high > 0 || c.count_state_ahead > 0) broken.push_back("doubled counts");
    if (c.dead_letter_duplicates > 0) broken.push_back("dead-letter duplicates");
  }
  // Either mode: a state update lost, a poison record neither dead-lettered nor refused, a
  // dead letter that should not be one (its record is then missing from the output).
  if (c.counts_low > 0 || c.count_state_behind > 0) broken.push_back("lost counts");
  if (c.counts_missing > 0) broken.push_back("counts missing");
  if (c.poison_lost > 0) broken.push_back("poison lost");
  if (c.poison_in_output > 0) broken.push_back("poison in output");
  if (c.dead_letters_unexpected > 0) broken.push_back("unexpected dead letters");
  result.ok = broken.empty();
  result.why = absl::StrJoin(broken, ", ");
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  // Local state is only a cache of the changelog; the logs and configs stay for diagnosis.
  for (int i = 0; i < o.instances; ++i) {
    std::filesystem::remove_all(absl::StrCat(o.run_dir, "/state-i", i), ec);
  }
  progress.Finish();
  say(absl::StrFormat("done in %.1f s: %s", result.seconds,
                      result.ok ? "ok" : absl::StrCat("BROKEN (", result.why, ")")));
  return result;
}

}  // namespace onceflow::audit
