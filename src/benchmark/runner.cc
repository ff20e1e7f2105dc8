#include "benchmark/runner.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <random>
#include <tuple>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "benchmark/calibration.h"
#include "benchmark/latency.h"
#include "kafka/read_to_end.h"
#include "kafka/consumer.h"
#include "kafka/producer.h"
#include "onceflow/status_macros.h"
#include "sidecar/access.h"

namespace onceflow::benchmark {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::atomic<bool> g_interrupted{false};

constexpr seconds kAdminTimeout{60};

bool IsStreams(const std::string& system) { return absl::StartsWith(system, "kafka-streams-"); }

absl::Status CheckInterrupted() {
  if (g_interrupted.load()) return absl::CancelledError("interrupted");
  return absl::OkStatus();
}

}  // namespace

void Runner::Interrupt() { g_interrupted = true; }

void Runner::SettleDisk() const {
  // The broker's writes of the runs before (the output, changelogs, the preload) sit in the
  // page cache until the kernel writes them back, in bursts of a few hundred MB that took the
  // disk and the broker's appends from under a later run: raw's 8 runs in a row spread over
  // 107,000-192,000 records/s, with bursts of 170-440 MB written during them. Written back
  // before each run, they no longer land inside one (when the broker is on this machine).
  if (options_.sync_before_runs) ::sync();
}

Runner::~Runner() {
  if (admin_ != nullptr) DeleteTopics(live_topics_);
  if (!env_.work_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(env_.work_dir, ec);
  }
}

void Runner::Progress(const std::string& line) const {
  if (progress_ != nullptr) progress_->Note(absl::StrCat("onceflow bench: ", line));
}

void Runner::RunDone(const std::string& what) {
  ++runs_done_;
  if (progress_ != nullptr) progress_->Update(runs_done_, what);
}

int64_t Runner::PlannedRuns() const {
  const int64_t blocks = static_cast<int64_t>(options_.sizes.size() * options_.partitions.size());
  const int64_t configs = static_cast<int64_t>(
      options_.threads.size() * options_.commit_intervals_ms.size() * options_.linger_ms.size());
  const int64_t latency_runs =
      !options_.latency ? 0 : std::max<int64_t>(1, static_cast<int64_t>(options_.rates.size()));
  const int64_t per_system = 1 + options_.repeat + latency_runs;
  return blocks * (configs * static_cast<int64_t>(options_.systems.size()) * per_system +
                   (options_.calibrate ? 1 : 0));
}

std::string Runner::NewTopicName(absl::string_view what) {
  return absl::StrCat("onceflow-bench-", run_id_, "-", what, "-", ++counter_);
}

std::string Runner::NewAppId(absl::string_view system) {
  return absl::StrCat("onceflow-bench-", run_id_, "-", system, "-", ++counter_);
}

absl::Status Runner::CreateTopic(const std::string& name, int partitions) {
  ONCEFLOW_RETURN_IF_ERROR(admin_->CreateTopic({name, partitions}, kAdminTimeout));
  live_topics_.push_back(name);
  return absl::OkStatus();
}

void Runner::DeleteTopics(std::vector<std::string> names) {
  if (names.empty()) return;
  if (absl::Status st = admin_->DeleteTopics(names, kAdminTimeout); !st.ok()) {
    std::cerr << "onceflow bench: warning: deleting topics " << absl::StrJoin(names, ", ") << ": "
              << st << "\n";
  }
  for (const std::string& n : names) {
    live_topics_.erase(std::remove(live_topics_.begin(), live_topics_.end(), n),
                       live_topics_.end());
  }
}

absl::Status Runner::Run() {
  char tmpl[] = "/tmp/onceflow-bench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("cannot create a temp directory");
  env_ = Environment{options_.bootstrap, options_.repo, tmpl, options_.client};
  if (env_.client.empty()) env_.client = {{"bootstrap.servers", options_.bootstrap}};
  run_id_ = absl::StrCat(getpid() % 100000, "-",
                         std::chrono::system_clock::now().time_since_epoch().count() % 1000000);
  progress_ = std::make_unique<sidecar::Progress>("onceflow bench", PlannedRuns(), "runs",
                                                  options_.progress);
  ONCEFLOW_ASSIGN_OR_RETURN(admin_, kafka::Admin::Create(env_.client));
  if (absl::Status st = admin_->Ping(seconds(10)); !st.ok()) {
    if (sidecar::IsAccessDenied(st)) {
      return sidecar::ExplainAccess(st, env_.client, {"Cluster", "", {"Describe"}});
    }
    return absl::UnavailableError(
        absl::StrCat("no Kafka broker answers at ", env_.bootstrap, " (", st.message(),
                     "); start one with scripts/kafka start, or pass --bootstrap"));
  }
  for (int size : options_.sizes) {
    for (int partitions : options_.partitions) {
      ONCEFLOW_RETURN_IF_ERROR(RunSizeAndPartitions(size, partitions));
    }
  }
  progress_->Finish();
  return absl::OkStatus();
}

absl::Status Runner::Preload(const std::string& topic, const BlockConfig& block) {
  ONCEFLOW_ASSIGN_OR_RETURN(
      std::unique_ptr<kafka::Producer> producer,
      kafka::Producer::Create(kafka::Merge(env_.client, {{"linger.ms", "20"},
                                                         {"batch.size", "1000000"},
                                                         {"compression.type", "none"},
                                                         {"enable.idempotence", "true"}})));
  const std::string value(static_cast<size_t>(block.size), 'x');
  // Every key new (a dedupe system passes every record on, and pays for a new key each time),
  // but a --dup-share of the records, which repeat the key of an earlier record of their
  // partition (uniformly among the earlier ones): those a dedupe system drops.
  std::mt19937_64 random(20261126);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  std::vector<int64_t> key_of(static_cast<size_t>(block.records));  // record -> its key's number
  for (int64_t i = 0; i < block.records; ++i) {
    key_of[i] = i;
    if (i >= block.partitions && coin(random) < options_.dup_share) {
      const int64_t earlier = i / block.partitions;  // records of i's partition before it
      key_of[i] = key_of[i - block.partitions * (1 + static_cast<int64_t>(random() % earlier))];
    }
    const std::string key = absl::StrCat("k", key_of[i]);
    ONCEFLOW_RETURN_IF_ERROR(
        producer->Produce({.topic = topic,
                           .partition = Partition(static_cast<int32_t>(i % block.partitions)),
                           .key = key,
                           .value = value}));
  }
  ONCEFLOW_RETURN_IF_ERROR(producer->Flush(std::chrono::minutes(5)));
  if (producer->delivery_failures() > 0) {
    return absl::UnavailableError(
        absl::StrCat("preload: ", producer->delivery_failures(), " records not delivered"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Runner::CountOutput(const std::string& topic, int partitions) {
  (void)partitions;
  int64_t count = 0;
  kafka::ReadToEndOptions options;
  options.timeout = std::chrono::minutes(5);
  ONCEFLOW_RETURN_IF_ERROR(kafka::ReadToEnd(env_.client, topic, options,
                                            [&count](const kafka::ConsumedMessage&) { ++count; }));
  return count;
}

absl::StatusOr<std::pair<int, int64_t>> Runner::DescribeInput(const std::string& topic) {
  ONCEFLOW_ASSIGN_OR_RETURN(int partitions, admin_->PartitionCount(topic, kAdminTimeout));
  ONCEFLOW_ASSIGN_OR_RETURN(
      std::unique_ptr<kafka::Consumer> consumer,
      kafka::Consumer::Create(kafka::Merge(
          env_.client, {{"group.id", absl::StrCat("onceflow-bench-", run_id_, "-describe")},
                        {"isolation.level", "read_committed"}})));
  int64_t records = 0;
  for (int p = 0; p < partitions; ++p) {
    ONCEFLOW_ASSIGN_OR_RETURN(auto marks,
                              consumer->Watermarks({topic, Partition(p)}, kAdminTimeout));
    records += marks.second.value() - marks.first.value();
  }
  (void)consumer->Close();
  return std::make_pair(partitions, records);
}

absl::Status Runner::RunSizeAndPartitions(int size, int partitions) {
  BlockConfig base;
  base.records = options_.records;
  base.size = size;
  base.partitions = partitions;
  std::string input;
  if (!options_.input_topic.empty()) {
    input = options_.input_topic;
    ONCEFLOW_ASSIGN_OR_RETURN(auto described, DescribeInput(input));
    std::tie(base.partitions, base.records) = described;
    if (base.records <= 0) {
      return absl::FailedPreconditionError(absl::StrCat("--input-topic ", input, " is empty"));
    }
    Progress(absl::StrCat("running on the existing topic ", input, ": ", base.records,
                          " records over ", base.partitions, " partition(s)"));
  } else {
    input = NewTopicName(absl::StrCat("in-", size, "b-", partitions, "p"));
    ONCEFLOW_RETURN_IF_ERROR(CreateTopic(input, partitions));
    Progress(absl::StrCat("preloading ", base.records, " records of ", size, " B over ",
                          partitions, " partition(s) into ", input));
    ONCEFLOW_RETURN_IF_ERROR(Preload(input, base));
  }
  partitions = base.partitions;

  if (options_.calibrate) {
    BlockConfig c = base;
    c.threads = options_.threads.front();
    c.commit_interval_ms = options_.commit_intervals_ms.front();
    c.linger_ms = options_.linger_ms.front();
    CalibrationSpec spec;
    spec.repo = env_.repo;
    spec.work_dir = env_.work_dir;
    spec.bootstrap = env_.bootstrap;
    spec.config = c;
    spec.input_topic = input;
    spec.producer_topic = NewTopicName("calib");
    spec.txn_topic = NewTopicName("calib-txn");
    spec.txn_id = NewAppId("calib-txn");
    ONCEFLOW_RETURN_IF_ERROR(CreateTopic(spec.producer_topic, partitions));
    ONCEFLOW_RETURN_IF_ERROR(CreateTopic(spec.txn_topic, partitions));
    Progress("calibrating the broker with Kafka's ProducerPerformance and ConsumerPerformance");
    absl::StatusOr<std::vector<ResultRow>> calib = Calibrate(spec);
    DeleteTopics({spec.producer_topic, spec.txn_topic});
    ONCEFLOW_RETURN_IF_ERROR(calib.status());
    RunDone("calibration");
    for (ResultRow& r : *calib) {
      Progress(absl::StrFormat("%s: %.0f rec/s", r.system, r.records_per_sec()));
    }
    // Shown in every block of this size and partition count, measured once.
    for (int threads : options_.threads) {
      for (int ci : options_.commit_intervals_ms) {
        for (int linger : options_.linger_ms) {
          for (ResultRow r : *calib) {
            r.config.threads = threads;
            r.config.commit_interval_ms = ci;
            r.config.linger_ms = linger;
            rows_.push_back(std::move(r));
          }
        }
      }
    }
  }

  for (int threads : options_.threads) {
    for (int ci : options_.commit_intervals_ms) {
      for (int linger : options_.linger_ms) {
        BlockConfig block = base;
        block.threads = threads;
        block.commit_interval_ms = ci;
        block.linger_ms = linger;
        ONCEFLOW_RETURN_IF_ERROR(RunBlock(block, input));
      }
    }
  }
  if (options_.input_topic.empty()) DeleteTopics({input});
  return absl::OkStatus();
}

absl::StatusOr<RunFigures> Runner::ThroughputRun(System& system, const BlockConfig& block,
                                                 const std::string& input) {
  ONCEFLOW_RETURN_IF_ERROR(CheckInterrupted());
  const std::string output = NewTopicName("out");
  ONCEFLOW_RETURN_IF_ERROR(CreateTopic(output, block.partitions));
  RunSpec spec;
  spec.input_topic = input;
  spec.output_topic = output;
  spec.partitions = block.partitions;
  spec.input_records = block.records;
  spec.threads = block.threads;
  spec.commit_interval_ms = block.commit_interval_ms;
  spec.linger_ms = block.linger_ms;
  spec.app_id = NewAppId(system.name());
  SettleDisk();
  absl::StatusOr<RunOutcome> outcome = system.Run(spec);
  RunFigures f;
  absl::Status st = outcome.status();
  if (st.ok()) {
    f.records = outcome->records;
    f.seconds = outcome->seconds;
    f.cpu_seconds = outcome->cpu_seconds;
    f.transactions = outcome->transactions;
    f.commit_p99_ms = outcome->commit_p99_ms;
    f.commit_share = outcome->commit_share;
    if (options_.verify) {
      absl::StatusOr<int64_t> n = CountOutput(output, block.partitions);
      if (n.ok()) f.output_records = *n;
      st = n.status();
    }
  }
  std::vector<std::string> topics = {output};
  if (outcome.ok()) {
    topics.insert(topics.end(), outcome->internal_topics.begin(), outcome->internal_topics.end());
  }
  DeleteTopics(topics);
  ONCEFLOW_RETURN_IF_ERROR(st);
  if (f.records != block.records || f.seconds <= 0) {
    std::cerr << "onceflow bench: warning: " << system.name() << " processed " << f.records
              << " of " << block.records << " input records\n";
  }
  return f;
}

absl::StatusOr<LatencyResult> Runner::LatencyRun(System& system, const BlockConfig& block,
                                                 double rate) {
  ONCEFLOW_RETURN_IF_ERROR(CheckInterrupted());
  const std::string input = NewTopicName("lat-in");
  const std::string output = NewTopicName("lat-out");
  ONCEFLOW_RETURN_IF_ERROR(CreateTopic(input, block.partitions));
  ONCEFLOW_RETURN_IF_ERROR(CreateTopic(output, block.partitions));
  LatencySpec ls;
  ls.client = env_.client;
  ls.input_topic = input;
  ls.output_topic = output;
  ls.partitions = block.partitions;
  ls.size = block.size;
  ls.rate = rate;
  ls.seconds = options_.latency_seconds;
  RunSpec spec;
  spec.input_topic = input;
  spec.output_topic = output;
  spec.partitions = block.partitions;
  spec.threads = block.threads;
  spec.commit_interval_ms = block.commit_interval_ms;
  spec.linger_ms = block.linger_ms;
  spec.app_id = NewAppId(absl::StrCat(system.name(), "-lat"));
  SettleDisk();
  absl::StatusOr<LatencyResult> r = MeasureLatency(ls, system, spec);
  // Internal topics follow the systems' naming (see RunOutcome::internal_topics).
  DeleteTopics({input, output, absl::StrCat(spec.app_id, "-dedupe-changelog"),
                absl::StrCat(spec.app_id, "-dedupe-seen-changelog")});
  return r;
}

absl::Status Runner::RunBlock(const BlockConfig& block, const std::string& input) {
  Progress(absl::StrCat("== ", block.Describe()));
  struct Entry {
    std::unique_ptr<System> system;
    ResultRow row;
    bool reused = false;  // a Kafka Streams row copied from the first linger block
  };
  std::vector<Entry> entries;
  for (const std::string& name : options_.systems) {
    Entry e;
    e.row.system = name;
    e.row.config = block;
    if (IsStreams(name)) {
      e.row.note = "linger.ms=100 (forced by Kafka Streams)";
      if (block.linger_ms != options_.linger_ms.front()) {
        for (const ResultRow& cached : streams_cache_) {
          BlockConfig c = cached.config;
          c.linger_ms = block.linger_ms;
          if (cached.system == name && c == block) {
            e.row = cached;
            e.row.config = block;
            e.reused = true;
          }
        }
      }
    }
    if (!e.reused) {
      ONCEFLOW_ASSIGN_OR_RETURN(e.system, MakeSystem(name, env_));
    }
    entries.push_back(std::move(e));
  }

  // Warm-up: one full run per system, discarded (broker page cache, connections, allocator;
  // a Streams run is a fresh JVM each time, so for it only the broker side warms up).
  for (Entry& e : entries) {
    if (e.reused) continue;
    Progress(absl::StrCat(e.row.system, ": warm-up run"));
    ONCEFLOW_RETURN_IF_ERROR(ThroughputRun(*e.system, block, input).status());
    RunDone(absl::StrCat(e.row.system, " warm-up"));
  }
  // Measured runs, the order of systems rotated each repetition so none is always first.
  for (int rep = 0; rep < options_.repeat; ++rep) {
    for (size_t k = 0; k < entries.size(); ++k) {
      Entry& e = entries[(k + static_cast<size_t>(rep)) % entries.size()];
      if (e.reused) continue;
      ONCEFLOW_ASSIGN_OR_RETURN(RunFigures f, ThroughputRun(*e.system, block, input));
      e.row.runs.push_back(f);
      RunDone(absl::StrCat(e.row.system, " run ", rep + 1));
      Progress(absl::StrFormat("%s: run %d/%d: %.0f rec/s (%.2f s, CPU %.2f s)", e.row.system,
                               rep + 1, options_.repeat, f.records_per_sec(), f.seconds,
                               f.cpu_seconds));
    }
  }
  if (options_.latency) {
    std::vector<double> rates = options_.rates;
    std::sort(rates.begin(), rates.end());
    // Each rate in turn, every system at it, so a system's runs do not all share one state of
    // the broker.
    for (size_t k = 0; k < std::max<size_t>(1, rates.size()); ++k) {
      for (Entry& e : entries) {
        if (e.reused) continue;
        const bool fraction = rates.empty();
        const double rate =
            fraction ? std::max(1.0, options_.rate_fraction * e.row.records_per_sec()) : rates[k];
        Progress(absl::StrFormat("%s: latency run at %.0f rec/s for %.0f s", e.row.system, rate,
                                 options_.latency_seconds));
        ONCEFLOW_ASSIGN_OR_RETURN(LatencyResult lat, LatencyRun(*e.system, block, rate));
        Progress(absl::StrFormat("%s: at %.0f rec/s%s: p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms",
                                 e.row.system, lat.rate,
                                 lat.rate_kept ? "" : " (the producer could not keep the rate)",
                                 lat.p50_ms, lat.p99_ms, lat.p999_ms));
        e.row.fraction_mode = fraction;
        e.row.latencies.push_back(lat);
        RunDone(absl::StrCat(e.row.system, " latency"));
      }
    }
  }
  for (Entry& e : entries) {
    if (IsStreams(e.row.system) && !e.reused) streams_cache_.push_back(e.row);
    if (e.reused) e.row.note += "; measured in the first linger.ms block, shown again here";
    rows_.push_back(std::move(e.row));
  }
  return absl::OkStatus();
}

}  // namespace onceflow::benchmark
