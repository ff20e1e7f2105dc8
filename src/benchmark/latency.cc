#include "benchmark/latency.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "kafka/consumer.h"
#include "kafka/producer.h"
#include "onceflow/status_macros.h"

namespace onceflow::benchmark {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Value layout: [0, 8) send time, microseconds since the epoch (little-endian int64, the
// system clock: producer and consumer share this host); [8] kind; [9, 13) input partition;
// the rest padding. The record's timestamp is the send time in ms too, but ms is too coarse.
constexpr char kProbe = 'P';
constexpr char kMeasured = 'M';
constexpr size_t kHeaderBytes = 13;

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The output side: reads every partition of the output under read_committed.
class OutputReader {
 public:
  OutputReader(int partitions, int64_t measured_expected)
      : probe_seen_(static_cast<size_t>(partitions), false), expected_(measured_expected) {
    latencies_us_.reserve(static_cast<size_t>(measured_expected));
  }

  absl::Status Run(const kafka::Properties& client, const std::string& topic, int output_partitions,
                   const std::string& group, const std::atomic<bool>& quit) {
    ONCEFLOW_ASSIGN_OR_RETURN(
        std::unique_ptr<kafka::Consumer> consumer,
        kafka::Consumer::Create(kafka::Merge(client, {{"group.id", group},
                                                      {"isolation.level", "read_committed"},
                                                      {"fetch.wait.max.ms", "10"},
                                                      {"auto.offset.reset", "earliest"}})));
    consumer->SkipHeaders();
    std::vector<TopicPartitionOffset> assignment;
    for (int p = 0; p < output_partitions; ++p) {
      assignment.push_back({{topic, Partition(p)}, Offset::Beginning()});
    }
    ONCEFLOW_RETURN_IF_ERROR(consumer->Assign(assignment));
    while (!quit.load() && measured_.load() < expected_) {
      ONCEFLOW_ASSIGN_OR_RETURN(std::optional<kafka::ConsumedMessage> msg,
                                consumer->Poll(milliseconds(50)));
      if (!msg.has_value() || !msg->is_record()) continue;
      const int64_t now = NowMicros();
      const absl::string_view value = msg->record().value();
      if (value.size() < kHeaderBytes) continue;
      const char* v = value.data();
      int64_t sent = 0;
      std::memcpy(&sent, v, sizeof(sent));
      if (v[8] == kMeasured) {
        latencies_us_.push_back(static_cast<double>(now - sent));
        ++measured_;
      } else if (v[8] == kProbe) {
        int32_t partition = 0;
        std::memcpy(&partition, v + 9, sizeof(partition));
        std::lock_guard<std::mutex> lock(mu_);
        if (partition >= 0 && static_cast<size_t>(partition) < probe_seen_.size()) {
          probe_seen_[static_cast<size_t>(partition)] = true;
        }
      }
    }
    return consumer->Close();
  }

  bool AllProbesSeen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return std::all_of(probe_seen_.begin(), probe_seen_.end(), [](bool b) { return b; });
  }
  int64_t measured() const { return measured_.load(); }
  // REQUIRES: Run() has returned.
  std::vector<double>& latencies_us() { return latencies_us_; }

 private:
  mutable std::mutex mu_;
  std::vector<bool> probe_seen_;
  const int64_t expected_;
  std::atomic<int64_t> measured_{0};
  std::vector<double> latencies_us_;
};

}  // namespace

double Percentile(const std::vector<double>& sorted, double q) {
  const size_t n = sorted.size();
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(n)));
  rank = std::clamp<size_t>(rank, 1, n);
  return sorted[rank - 1];
}

absl::StatusOr<LatencyResult> MeasureLatency(const LatencySpec& spec, System& system, RunSpec run) {
  const int64_t total = std::max<int64_t>(1, std::llround(spec.rate * spec.seconds));
  std::atomic<bool> stop_system{false};
  std::atomic<bool> quit_reader{false};
  run.stop = &stop_system;

  std::optional<absl::StatusOr<RunOutcome>> system_result;
  std::atomic<bool> system_done{false};
  std::thread system_thread([&] {
    system_result = system.Run(run);
    system_done = true;
  });
  OutputReader reader(spec.partitions, total);
  absl::Status reader_status;
  // The output has as many partitions as the input (the caller creates both).
  std::thread reader_thread([&] {
    reader_status = reader.Run(spec.client, spec.output_topic, spec.partitions,
                               absl::StrCat(run.app_id, "-reader"), quit_reader);
  });
  // The broker's share, measured beside: the same records read back from the input topic
  // (send -> readable by a consumer), with the reader's settings. A system cannot be faster
  // than this leg plus its output's own.
  OutputReader input_reader(spec.partitions, total);
  absl::Status input_reader_status;
  std::thread input_reader_thread([&] {
    input_reader_status = input_reader.Run(spec.client, spec.input_topic, spec.partitions,
                                           absl::StrCat(run.app_id, "-input-reader"), quit_reader);
  });
  auto finish = [&](absl::Status st) -> absl::Status {
    quit_reader = true;
    stop_system = true;
    reader_thread.join();
    input_reader_thread.join();
    system_thread.join();
    if (!st.ok()) return st;
    if (!reader_status.ok()) return reader_status;
    if (!input_reader_status.ok()) return input_reader_status;
    if (system_result.has_value() && !system_result->ok()) return system_result->status();
    return absl::OkStatus();
  };

  absl::StatusOr<std::unique_ptr<kafka::Producer>> producer = kafka::Producer::Create(kafka::Merge(
      spec.client,
      // linger.ms 5, as the systems' own producers: with 1 ms, at 10,000 records/s over 6
      // partitions the producer sent a request per millisecond of a few records each, the
      // broker's request queue grew, and the input leg alone took 186 ms at p50 (4.4 ms with
      // 5) -- the bench measured its own producer, not the systems.
      {{"linger.ms", "5"}, {"compression.type", "none"}, {"socket.nagle.disable", "true"}}));
  if (!producer.ok()) {
    (void)finish(absl::OkStatus());
    return producer.status();
  }
  std::string value(std::max<size_t>(static_cast<size_t>(spec.size), kHeaderBytes), 'x');
  auto send = [&](int64_t seq, char kind, int32_t partition) -> absl::Status {
    const int64_t now = NowMicros();
    std::memcpy(value.data(), &now, sizeof(now));
    value[8] = kind;
    std::memcpy(value.data() + 9, &partition, sizeof(partition));
    // Unique keys, so a dedupe system passes every record on.
    const std::string key = absl::StrCat(kind == kProbe ? "probe-" : "lat-", seq);
    return (*producer)->Produce({.topic = spec.input_topic,
                                 .partition = Partition(partition),
                                 .key = key,
                                 .value = value,
                                 .timestamp_ms = now / 1000});
  };

  // Probes: one per input partition every 200 ms until one from each is read back.
  const auto probe_deadline = SteadyClock::now() + std::chrono::seconds(120);
  for (int64_t round = 0; !reader.AllProbesSeen(); ++round) {
    if (SteadyClock::now() > probe_deadline || system_done.load()) {
      absl::Status st = absl::DeadlineExceededError(
          absl::StrCat(system.name(), ": latency run: no output within 120 s of starting"));
      if (system_done.load() && system_result.has_value() && !system_result->ok()) {
        st = system_result->status();
      }
      (void)finish(absl::OkStatus());
      return st;
    }
    for (int p = 0; p < spec.partitions; ++p) {
      if (absl::Status st = send(round * spec.partitions + p, kProbe, p); !st.ok()) {
        (void)finish(absl::OkStatus());
        return st;
      }
    }
    (*producer)->Poll(milliseconds(200));
  }

  // Paced: record i is due at start + i / rate; whatever is due is sent, then a short sleep.
  const auto start = SteadyClock::now();
  for (int64_t i = 0; i < total;) {
    const double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
    const int64_t due = std::min<int64_t>(total, static_cast<int64_t>(elapsed * spec.rate) + 1);
    for (; i < due; ++i) {
      if (absl::Status st = send(i, kMeasured, static_cast<int32_t>(i % spec.partitions));
          !st.ok()) {
        (void)finish(absl::OkStatus());
        return st;
      }
    }
    (*producer)->Poll(milliseconds(0));
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  const double send_seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  if (absl::Status st = (*producer)->Flush(std::chrono::seconds(60)); !st.ok()) {
    (void)finish(absl::OkStatus());
    return st;
  }
  // Records the broker could not take in at the rate wait in the client's queue: the flush
  // after the last send takes them in.
  const double acked_seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();

  const auto read_deadline = SteadyClock::now() + std::chrono::seconds(60);
  while ((reader.measured() < total || input_reader.measured() < total) &&
         SteadyClock::now() < read_deadline && !system_done.load()) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  const int64_t measured = reader.measured();
  ONCEFLOW_RETURN_IF_ERROR(finish(absl::OkStatus()));
  if (measured < total) {
    return absl::DeadlineExceededError(absl::StrCat(system.name(), ": latency run: read back ",
                                                    measured, " of ", total,
                                                    " records within 60 s of the last send"));
  }
  std::vector<double>& lat = reader.latencies_us();
  std::sort(lat.begin(), lat.end());
  LatencyResult r;
  r.samples = static_cast<int64_t>(lat.size());
  r.target_rate = spec.rate;
  // The last record is due at (total - 1) / rate: that is the paced span.
  const double paced_seconds = static_cast<double>(total - 1) / spec.rate;
  r.rate = static_cast<double>(total) / std::max(acked_seconds, 1e-9);
  // Kept: the sends kept pace, and the last acknowledgement came within 5 % of the span (and
  // a round trip's 200 ms) after the last send, so no queue built up in the client.
  r.rate_kept = send_seconds <= paced_seconds / kRateKept &&
                acked_seconds - send_seconds <= (1 - kRateKept) * paced_seconds + 0.2;
  r.p50_ms = Percentile(lat, 0.50) / 1000;
  r.p99_ms = Percentile(lat, 0.99) / 1000;
  r.p999_ms = Percentile(lat, 0.999) / 1000;
  r.max_ms = lat.back() / 1000;
  std::vector<double>& in = input_reader.latencies_us();
  if (!in.empty()) {
    std::sort(in.begin(), in.end());
    r.input_p50_ms = Percentile(in, 0.50) / 1000;
    r.input_p99_ms = Percentile(in, 0.99) / 1000;
  }
  if (system_result.has_value() && system_result->ok()) {
    const RunOutcome& o = **system_result;
    r.commit_p99_ms = o.commit_p99_ms;
    if (o.transactions >= 0 && o.seconds > 0) {
      r.commits_per_sec = static_cast<double>(o.transactions) / o.seconds;
    }
  }
  return r;
}

}  // namespace onceflow::benchmark
