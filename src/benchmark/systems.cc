#include "benchmark/systems.h"

#include <librdkafka/rdkafka.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "base/child_process.h"
#include "base/file.h"
#include "base/retry.h"
#include "kafka/consumer.h"
#include "kafka/producer.h"
#include "onceflow/processor.h"
#include "onceflow/status_macros.h"
#include "onceflow/transform.h"

namespace onceflow::benchmark {
namespace {

// Adds `h`'s counts to `into` (same bounds: every Processor uses the same buckets).
void Merge(const LatencyHistogram& h, LatencyHistogram& into) {
  if (into.counts.empty()) {
    into = h;
    return;
  }
  for (size_t i = 0; i < into.counts.size() && i < h.counts.size(); ++i)
    into.counts[i] += h.counts[i];
  into.sum_ms += h.sum_ms;
  into.count += h.count;
}

// The upper bound of the bucket holding quantile `q`; NaN for an empty histogram, +Inf when it
// falls in the overflow bucket.
double BucketPercentile(const LatencyHistogram& h, double q) {
  if (h.count <= 0) return std::numeric_limits<double>::quiet_NaN();
  const auto rank = static_cast<int64_t>(std::ceil(q * static_cast<double>(h.count)));
  int64_t seen = 0;
  for (size_t i = 0; i < h.counts.size(); ++i) {
    seen += h.counts[i];
    if (seen >= rank) {
      return i < h.bounds_ms.size() ? h.bounds_ms[i] : std::numeric_limits<double>::infinity();
    }
  }
  return std::numeric_limits<double>::infinity();
}

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr char kPeerDir[] = "bench/peers/kafka-streams";
constexpr char kPeerPom[] = "bench/peers/kafka-streams/pom.xml";

// The peer's builds, one per Kafka Streams line: the pom pins each version (its kafka.version
// property, and the kafka-3.9 profile's), this table says where each jar lands.
struct StreamsPeerBuild {
  const char* line;           // in the system name: kafka-streams-<line>-eos; "" = default
  const char* jar;            // relative to the repository
  const char* maven_profile;  // mvn -P ...; "" = none
};
constexpr StreamsPeerBuild kStreamsPeerBuilds[] = {
    {"", "bench/peers/kafka-streams/target/kafka-streams-peer.jar", ""},
    {"3.9", "bench/peers/kafka-streams/target/kafka-3.9/kafka-streams-peer.jar", "kafka-3.9"},
};

bool FileExists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

// Whether `jar` is older than the pom or any source file of the peer (a checkout moved to
// another Kafka Streams version, or an edited peer): then it is built again.
bool JarIsStale(const std::string& repo, const std::string& jar) {
  std::error_code ec;
  const auto built = std::filesystem::last_write_time(jar, ec);
  if (ec) return true;
  const std::filesystem::path peer = std::filesystem::path(repo) / kPeerDir;
  if (std::filesystem::last_write_time(peer / "pom.xml", ec) > built && !ec) return true;
  for (auto it = std::filesystem::recursive_directory_iterator(peer / "src", ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && it->last_write_time(ec) > built) return true;
  }
  return false;
}

// The moment the first record of a run is processed, by whichever thread sees it first, and
// the process CPU at that moment. Written once; read after every thread is joined.
class StartMark {
 public:
  void Mark() {
    if (started_.exchange(true, std::memory_order_acq_rel)) return;
    std::lock_guard<std::mutex> lock(mu_);
    time_ = SteadyClock::now();
    wall_ms_ = std::chrono::duration_cast<milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    cpu_ = ProcessCpuSeconds();
  }
  bool started() const { return started_.load(); }
  SteadyClock::time_point time() const {
    std::lock_guard<std::mutex> lock(mu_);
    return time_;
  }
  double cpu() const {
    std::lock_guard<std::mutex> lock(mu_);
    return cpu_;
  }
  // The wall clock at the mark, ms since the epoch.
  int64_t wall_ms() const {
    std::lock_guard<std::mutex> lock(mu_);
    return wall_ms_;
  }

 private:
  std::atomic<bool> started_{false};
  mutable std::mutex mu_;
  SteadyClock::time_point time_;
  int64_t wall_ms_ = 0;
  double cpu_ = 0;
};

// ------------------------------------------------------------------------------------- raw

// The ceiling: per thread, one consumer statically assigned a disjoint share of the input's
// partitions and one plain producer; every record is produced as it arrives, nothing is
// committed, and the loop ends when each of its partitions has reached the end offset it had
// at the start. Time ends at the last delivery report (Flush).
class RawSystem : public System {
 public:
  explicit RawSystem(Environment env) : env_(std::move(env)) {}
  std::string name() const override { return "raw"; }

  absl::StatusOr<RunOutcome> Run(const RunSpec& spec) override {
    const int threads = std::max(1, std::min(spec.threads, spec.partitions));
    StartMark start;
    std::vector<absl::Status> statuses(threads);
    std::vector<int64_t> counts(threads, 0);
    std::vector<SteadyClock::time_point> ends(threads);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back(
          [&, t] { statuses[t] = Loop(spec, t, threads, start, counts[t], ends[t]); });
    }
    for (std::thread& w : workers) w.join();
    const double cpu_end = ProcessCpuSeconds();
    for (const absl::Status& st : statuses) ONCEFLOW_RETURN_IF_ERROR(st);
    RunOutcome out;
    for (int64_t c : counts) out.records += c;
    if (!start.started()) return out;
    const SteadyClock::time_point end = *std::max_element(ends.begin(), ends.end());
    out.seconds = std::chrono::duration<double>(end - start.time()).count();
    out.cpu_seconds = cpu_end - start.cpu();
    return out;
  }

 private:
  absl::Status Loop(const RunSpec& spec, int thread, int threads, StartMark& start, int64_t& count,
                    SteadyClock::time_point& end) {
    ONCEFLOW_ASSIGN_OR_RETURN(
        std::unique_ptr<kafka::Consumer> consumer,
        kafka::Consumer::Create(
            kafka::Merge(env_.client, {{"group.id", absl::StrCat(spec.app_id, "-", thread)},
                                       {"auto.offset.reset", "earliest"}})));
    kafka::Properties producer_props = kafka::Merge(env_.client, {{"compression.type", "none"}});
    if (spec.linger_ms >= 0) producer_props["linger.ms"] = absl::StrCat(spec.linger_ms);
    ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<kafka::Producer> producer,
                              kafka::Producer::Create(producer_props));
    std::vector<TopicPartitionOffset> assignment;
    // Next offset to reach per assigned partition (throughput runs): its end at the start.
    std::vector<int64_t> target;
    std::vector<int64_t> position;
    for (int p = thread; p < spec.partitions; p += threads) {
      TopicPartition tp{spec.input_topic, Partition(p)};
      assignment.push_back({tp, Offset::Beginning()});
      if (spec.stop == nullptr) {
        ONCEFLOW_ASSIGN_OR_RETURN(auto marks, consumer->Watermarks(tp, std::chrono::seconds(30)));
        target.push_back(marks.second.value());
        position.push_back(marks.first.value());
      }
    }
    ONCEFLOW_RETURN_IF_ERROR(consumer->Assign(assignment));
    auto done = [&] {
      if (spec.stop != nullptr) return spec.stop->load();
      for (size_t i = 0; i < target.size(); ++i) {
        if (position[i] < target[i]) return false;
      }
      return true;
    };
    const int first_partition = thread;
    while (!done()) {
      absl::StatusOr<std::optional<kafka::ConsumedMessage>> polled =
          consumer->Poll(milliseconds(100));
      if (!polled.ok()) return base::Annotate("raw: consume: ", polled.status());
      if (!polled->has_value()) {
        producer->Poll(milliseconds(0));
        continue;
      }
      if (!(*polled)->is_record()) continue;
      const Record& in = (*polled)->record();
      start.Mark();
      kafka::OutMessage out;
      out.topic = spec.output_topic;
      out.key = in.key();
      out.value = in.value();
      out.null_key = !in.has_key();
      out.null_value = !in.has_value();
      out.timestamp_ms = std::max<int64_t>(0, in.timestamp_ms());
      ONCEFLOW_RETURN_IF_ERROR(producer->Produce(out));
      ++count;
      if ((count & 255) == 0) producer->Poll(milliseconds(0));
      if (!target.empty()) {
        const size_t i =
            static_cast<size_t>((in.partition().value() - first_partition) / threads);
        position[i] = std::max(position[i], in.offset().value() + 1);
      }
    }
    ONCEFLOW_RETURN_IF_ERROR(producer->Flush(std::chrono::minutes(5)));
    end = SteadyClock::now();
    if (producer->delivery_failures() > 0) {
      return absl::UnavailableError(
          absl::StrCat("raw: ", producer->delivery_failures(), " records were not delivered"));
    }
    return consumer->Close();
  }

  Environment env_;
};

// -------------------------------------------------------------------------------- onceflow

// A passthrough that marks the run's start at the first record any thread processes.
class MarkingPassthrough : public Transform {
 public:
  explicit MarkingPassthrough(StartMark& start) : start_(start) {}
  absl::Status Process(const Record& in, Emitter& out) override {
    if (!seen_) {
      seen_ = true;
      start_.Mark();
    }
    out.Emit(OutputRecord::Forward(in));
    return absl::OkStatus();
  }
  std::string name() const override { return "passthrough"; }

 private:
  StartMark& start_;
  bool seen_ = false;
};

// T in-process Processors (one per thread) in one consumer group, each with its own
// transactional producer under eos. Throughput runs use stop_when_caught_up, so a run ends
// when the last Processor has committed the end of its partitions.
class OnceflowSystem : public System {
 public:
  OnceflowSystem(Environment env, std::string name, Mode mode, bool dedupe)
      : env_(std::move(env)), name_(std::move(name)), mode_(mode), dedupe_(dedupe) {}
  std::string name() const override { return name_; }

  absl::StatusOr<RunOutcome> Run(const RunSpec& spec) override {
    StartMark start;
    std::vector<std::unique_ptr<Processor>> processors;
    for (int t = 0; t < spec.threads; ++t) {
      ProcessorOptions o;
      o.bootstrap_servers = env_.bootstrap;
      o.kafka_properties = env_.client;
      o.kafka_properties.erase("bootstrap.servers");
      o.application_id = spec.app_id;
      o.instance_id = absl::StrCat("t", t);
      o.input_topics = {spec.input_topic};
      o.output_topic = spec.output_topic;
      o.mode = mode_;
      o.commit_interval = milliseconds(spec.commit_interval_ms);
      o.stop_when_caught_up = spec.stop == nullptr;
      // Dynamic membership, as Kafka Streams' default: a Processor that has caught up and
      // leaves hands its partitions over at once instead of after session.timeout.ms.
      o.static_membership = false;
      o.producer_properties["compression.type"] = "none";
      if (spec.linger_ms >= 0) o.producer_properties["linger.ms"] = absl::StrCat(spec.linger_ms);
      o.state.dir = absl::StrCat(env_.work_dir, "/state");
      if (dedupe_) o.state.dedupe = state::DedupeOptions{};  // by record key, 24 h window
      ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<Processor> p,
                                Processor::Create(o, std::make_unique<MarkingPassthrough>(start)));
      processors.push_back(std::move(p));
    }
    std::vector<absl::Status> statuses(processors.size());
    std::atomic<int> running{static_cast<int>(processors.size())};
    std::atomic<bool> failed{false};
    std::vector<std::thread> threads;
    for (size_t t = 0; t < processors.size(); ++t) {
      threads.emplace_back([&, t] {
        statuses[t] = processors[t]->Run();
        if (!statuses[t].ok()) failed = true;
        --running;
      });
    }
    bool stop_sent = false;
    while (running.load() > 0) {
      if (!stop_sent && (failed.load() || (spec.stop != nullptr && spec.stop->load()))) {
        for (auto& p : processors) p->Stop();
        stop_sent = true;
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
    for (std::thread& t : threads) t.join();
    const auto end = SteadyClock::now();
    const double cpu_end = ProcessCpuSeconds();
    for (size_t t = 0; t < statuses.size(); ++t) {
      if (!statuses[t].ok()) {
        return absl::Status(statuses[t].code(),
                            absl::StrCat(name_, " thread ", t, ": ", statuses[t].message()));
      }
    }
    RunOutcome out;
    out.transactions = 0;
    LatencyHistogram commits;
    int64_t last_commit_ms = 0;
    for (auto& p : processors) {
      const ProcessorStats s = p->stats();
      last_commit_ms = std::max(last_commit_ms, s.last_commit_ms);
      out.records += s.records_in;
      out.transactions +=
          mode_ == Mode::kExactlyOnce ? s.transactions_committed : s.offset_commits;
      Merge(p->metrics().commit_latency, commits);
    }
    out.commit_p99_ms = BucketPercentile(commits, 0.99);
    if (dedupe_) out.internal_topics.push_back(absl::StrCat(spec.app_id, "-dedupe-changelog"));
    if (!start.started()) return out;
    out.seconds = std::chrono::duration<double>(end - start.time()).count();
    // A throughput run ends at its last commit, as the Kafka Streams peer's ends when its
    // committed offsets reach the end: leaving the group and closing the clients are not part
    // of processing (they took 0.1-0.3 s of a 3 s run).
    if (spec.stop == nullptr && last_commit_ms > start.wall_ms()) {
      out.seconds = static_cast<double>(last_commit_ms - start.wall_ms()) / 1000;
    }
    if (out.seconds > 0 && commits.count > 0) {
      out.commit_share = commits.sum_ms / (out.seconds * 1000 * static_cast<double>(spec.threads));
    }
    // CPU to the end of the run, close included (a slight overestimate).
    out.cpu_seconds = cpu_end - start.cpu();
    return out;
  }

 private:
  Environment env_;
  std::string name_;
  Mode mode_;
  bool dedupe_;
};

// ---------------------------------------------------------------------------- kafka streams

// The number after "key": in the peer's one-line JSON; NaN when absent.
double JsonNumber(const std::string& json, absl::string_view key) {
  const std::string needle = absl::StrCat("\"", key, "\":");
  const size_t at = json.find(needle);
  if (at == std::string::npos) return std::numeric_limits<double>::quiet_NaN();
  return std::strtod(json.c_str() + at + needle.size(), nullptr);
}

// The Java peer as a child process with a fixed heap; it measures itself (first record
// processed -> offsets committed up to the input's end) and prints one JSON line.
class StreamsSystem : public System {
 public:
  StreamsSystem(Environment env, std::string jar, std::string name, bool eos, bool dedupe)
      : env_(std::move(env)),
        jar_(std::move(jar)),
        name_(std::move(name)),
        eos_(eos),
        dedupe_(dedupe) {}
  std::string name() const override { return name_; }

  absl::StatusOr<RunOutcome> Run(const RunSpec& spec) override {
    const bool latency = spec.stop != nullptr;
    // A latency run has no natural end: the peer waits for more than will ever come and is
    // stopped (SIGTERM) once the bench has read every output it needs.
    const int64_t expected = latency ? std::numeric_limits<int64_t>::max() / 2 : spec.input_records;
    std::vector<std::string> argv = {"java",
                                     "-Xms512m",
                                     "-Xmx512m",
                                     "-jar",
                                     jar_,
                                     "--bootstrap",
                                     env_.bootstrap,
                                     "--application-id",
                                     spec.app_id,
                                     "--input",
                                     spec.input_topic,
                                     "--output",
                                     spec.output_topic,
                                     "--guarantee",
                                     eos_ ? "exactly_once_v2" : "at_least_once",
                                     "--commit-interval-ms",
                                     absl::StrCat(spec.commit_interval_ms),
                                     "--threads",
                                     absl::StrCat(spec.threads),
                                     "--state-dir",
                                     absl::StrCat(env_.work_dir, "/streams-", spec.app_id),
                                     "--expected",
                                     absl::StrCat(expected),
                                     "--timeout-sec",
                                     "900"};
    if (dedupe_) argv.push_back("--dedupe");
    const std::string stdout_path = absl::StrCat(env_.work_dir, "/", spec.app_id, ".out");
    const std::string stderr_path = absl::StrCat(env_.work_dir, "/", spec.app_id, ".err");
    ONCEFLOW_ASSIGN_OR_RETURN(
        base::Completion r,
        base::RunToCompletion(argv, std::chrono::seconds(960),
                              {.spawn = {.stdout_path = stdout_path, .stderr_path = stderr_path},
                               .stop = spec.stop,
                               .stop_grace = milliseconds(0)}));
    RunOutcome out;
    if (dedupe_) out.internal_topics.push_back(absl::StrCat(spec.app_id, "-dedupe-seen-changelog"));
    if (latency && r.stopped) return out;
    if (!r.exit.ok() || r.timed_out) {
      return absl::InternalError(absl::StrCat(name_, ": the Kafka Streams peer failed (",
                                              r.exit.ToString(), r.timed_out ? ", timed out" : "",
                                              "); its stderr (", stderr_path, ") ends with:\n",
                                              base::TailOfFile(stderr_path, 15)));
    }
    const double records = JsonNumber(r.output, "records");
    const double seconds = JsonNumber(r.output, "seconds");
    if (!(records >= 0) || !(seconds > 0)) {
      return absl::InternalError(
          absl::StrCat(name_, ": unexpected output from the peer: ", r.output));
    }
    out.records = static_cast<int64_t>(records);
    out.seconds = seconds;
    out.cpu_seconds = JsonNumber(r.output, "cpu_seconds");
    if (!(out.cpu_seconds >= 0)) out.cpu_seconds = -1;
    return out;
  }

 private:
  Environment env_;
  std::string jar_;
  std::string name_;
  bool eos_;
  bool dedupe_;
};

}  // namespace

const std::vector<std::string>& KnownSystems() {
  static const std::vector<std::string> kSystems = {"raw",
                                                    "onceflow-alos",
                                                    "onceflow-eos",
                                                    "onceflow-eos-dedupe",
                                                    "kafka-streams-eos",
                                                    "kafka-streams-alos",
                                                    "kafka-streams-eos-dedupe",
                                                    "kafka-streams-3.9-eos",
                                                    "kafka-streams-3.9-alos",
                                                    "kafka-streams-3.9-eos-dedupe"};
  return kSystems;
}

double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

absl::StatusOr<std::string> EnsureStreamsPeerJar(const std::string& repo,
                                                 absl::string_view kafka_line) {
  const StreamsPeerBuild* build = nullptr;
  for (const StreamsPeerBuild& b : kStreamsPeerBuilds) {
    if (kafka_line == b.line) build = &b;
  }
  if (build == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("the Kafka Streams peer has no build for Kafka ", kafka_line));
  }
  const std::string jar = absl::StrCat(repo, "/", build->jar);
  if (!base::FindInPath("java").has_value()) {
    return absl::FailedPreconditionError(
        "the Kafka Streams systems need java (17) in PATH; install it or leave kafka-streams-* "
        "out of --systems");
  }
  const bool exists = FileExists(jar);
  if (exists && !JarIsStale(repo, jar)) return jar;
  const std::string pom = absl::StrCat(repo, "/", kPeerPom);
  if (!FileExists(pom)) {
    if (exists) return jar;  // a jar without its sources: nothing to compare it with
    return absl::FailedPreconditionError(absl::StrCat("the Kafka Streams peer is not at ", pom,
                                                      "; pass --repo with the onceflow checkout"));
  }
  std::vector<std::string> mvn = {"mvn", "-q", "-f", pom};
  if (*build->maven_profile != '\0') {
    mvn.push_back("-P");
    mvn.push_back(build->maven_profile);
  }
  mvn.push_back("package");
  if (!base::FindInPath("mvn").has_value()) {
    if (exists) {
      std::cerr << "onceflow bench: warning: " << jar << " is older than the peer's pom or "
                << "sources and mvn is not in PATH to rebuild it; using it as it is\n";
      return jar;
    }
    return absl::FailedPreconditionError(
        absl::StrCat(jar, " is missing and mvn is not in PATH to build it: install Maven, or ",
                     "build it elsewhere with `", absl::StrJoin(mvn, " "), "`"));
  }
  std::cerr << "onceflow bench: " << (exists ? "rebuilding" : "building")
            << " the Kafka Streams peer (" << absl::StrJoin(mvn, " ") << ")"
            << (exists ? ": its pom or sources are newer than the jar" : "")
            << "; may take a few minutes\n";
  const std::string log = absl::StrCat(repo, "/", kPeerDir, "/target-build.log");
  ONCEFLOW_ASSIGN_OR_RETURN(
      base::Completion r,
      base::RunToCompletion(mvn, std::chrono::minutes(30),
                            {.spawn = {.stdout_path = log, .stderr_path = log}}));
  if (!r.exit.ok() || !FileExists(jar)) {
    return absl::FailedPreconditionError(absl::StrCat("building the Kafka Streams peer failed (",
                                                      r.exit.ToString(), "; ", log, "):\n",
                                                      base::TailOfFile(log, 20)));
  }
  std::remove(log.c_str());
  return jar;
}

absl::StatusOr<std::unique_ptr<System>> MakeSystem(const std::string& name,
                                                   const Environment& env) {
  if (name == "raw") return std::make_unique<RawSystem>(env);
  if (name == "onceflow-alos") {
    return std::make_unique<OnceflowSystem>(env, name, Mode::kAtLeastOnce, false);
  }
  if (name == "onceflow-eos") {
    return std::make_unique<OnceflowSystem>(env, name, Mode::kExactlyOnce, false);
  }
  if (name == "onceflow-eos-dedupe") {
    return std::make_unique<OnceflowSystem>(env, name, Mode::kExactlyOnce, true);
  }
  // kafka-streams-[<line>-]{eos,alos,eos-dedupe}
  if (absl::string_view rest = name; absl::ConsumePrefix(&rest, "kafka-streams-")) {
    std::string line;
    for (const StreamsPeerBuild& b : kStreamsPeerBuilds) {
      if (*b.line != '\0' && absl::ConsumePrefix(&rest, absl::StrCat(b.line, "-"))) line = b.line;
    }
    const bool eos = rest == "eos" || rest == "eos-dedupe";
    const bool dedupe = rest == "eos-dedupe";
    if (!eos && rest != "alos") {
      return absl::InvalidArgumentError(absl::StrCat("unknown system '", name, "'"));
    }
    ONCEFLOW_ASSIGN_OR_RETURN(std::string jar, EnsureStreamsPeerJar(env.repo, line));
    return std::make_unique<StreamsSystem>(env, jar, name, eos, dedupe);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown system '", name, "'"));
}

}  // namespace onceflow::benchmark
