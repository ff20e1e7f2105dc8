// onceflow_engine_bench: end-to-end throughput of the engine, exactly-once against
// at-least-once, on the same preloaded input in the same run.
//
//   onceflow_engine_bench --records 200000 --size 1024 --partitions 6 --repeat 3
//
// Preloads one input topic (keyed records of --size bytes, round-robin over partitions), then
// for each repetition and mode drains it with a passthrough Processor into a fresh output
// topic, under its own consumer group. Time runs from the first record the transform sees to
// Run() returning (caught up, last transaction or offsets committed), so group joins and
// topic creation are not counted. CPU is this process's user+system time over the same span.
// Reports each run and the median per mode, and the eos/alos ratio of the medians.
// (`onceflow bench` grows out of this: Kafka Streams peers, latency, sweeps.)
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "kafka/admin.h"
#include "kafka/producer.h"
#include "onceflow/processor.h"
#include "onceflow/transform.h"

namespace onceflow {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::string bootstrap = "127.0.0.1:19092";
  int64_t records = 200000;
  int size = 1024;
  int partitions = 6;
  int repeat = 3;
  int commit_interval_ms = 100;
  std::vector<std::string> modes = {"alos", "eos"};
};

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Passthrough that notes when the first record arrives.
class TimedPassthrough : public Transform {
 public:
  absl::Status Process(const Record& in, Emitter& out) override {
    if (!started_) {
      started_ = true;
      first_ = Clock::now();
      cpu_at_first_ = CpuSeconds();
    }
    out.Emit(OutputRecord::Forward(in));
    return absl::OkStatus();
  }
  std::string name() const override { return "passthrough"; }
  bool started_ = false;
  Clock::time_point first_;
  double cpu_at_first_ = 0;
};

struct Result {
  std::string mode;
  double seconds = 0;
  double cpu_seconds = 0;
  int64_t records = 0;
  int64_t transactions = 0;
};

int Fail(const absl::Status& st) {
  std::cerr << "onceflow_engine_bench: " << st << "\n";
  return 1;
}

int Main(const Flags& f) {
  auto admin = kafka::Admin::Create({{"bootstrap.servers", f.bootstrap}});
  if (!admin.ok()) return Fail(admin.status());
  const std::string run_id =
      absl::StrCat(std::chrono::system_clock::now().time_since_epoch().count() % 1000000007);
  const std::string input = absl::StrCat("bench-in-", run_id);
  if (auto st = (*admin)->CreateTopic({input, f.partitions}, std::chrono::seconds(30)); !st.ok()) {
    return Fail(st);
  }
  std::vector<std::string> topics = {input};

  {  // Preload.
    auto producer = kafka::Producer::Create({{"bootstrap.servers", f.bootstrap},
                                             {"linger.ms", "20"},
                                             {"batch.size", "1000000"},
                                             {"enable.idempotence", "true"}});
    if (!producer.ok()) return Fail(producer.status());
    const std::string value(static_cast<size_t>(f.size), 'x');
    for (int64_t i = 0; i < f.records; ++i) {
      const std::string key = absl::StrCat("key-", i % 10000);
      auto st = (*producer)->Produce(
          {input, Partition(static_cast<int32_t>(i % f.partitions)), key, value});
      if (!st.ok()) return Fail(st);
    }
    if (auto st = (*producer)->Flush(std::chrono::minutes(5)); !st.ok()) return Fail(st);
    std::cerr << "preloaded " << f.records << " records of " << f.size << " B over " << f.partitions
              << " partitions into " << input << "\n";
  }

  std::vector<Result> results;
  for (int rep = 0; rep < f.repeat; ++rep) {
    std::vector<std::string> order = f.modes;
    if (rep % 2 == 1) std::reverse(order.begin(), order.end());  // no mode always goes first
    for (const std::string& mode : order) {
      const std::string output = absl::StrCat("bench-out-", mode, "-", rep, "-", run_id);
      if (auto st = (*admin)->CreateTopic({output, f.partitions}, std::chrono::seconds(30));
          !st.ok()) {
        return Fail(st);
      }
      topics.push_back(output);
      ProcessorOptions o;
      o.bootstrap_servers = f.bootstrap;
      o.application_id = absl::StrCat("bench-", mode, "-", rep, "-", run_id);
      o.instance_id = "bench";
      o.input_topics = {input};
      o.output_topic = output;
      o.mode = mode == "eos" ? Mode::kExactlyOnce : Mode::kAtLeastOnce;
      o.commit_interval = std::chrono::milliseconds(f.commit_interval_ms);
      o.stop_when_caught_up = true;
      auto transform = std::make_unique<TimedPassthrough>();
      TimedPassthrough* timed = transform.get();
      auto processor = Processor::Create(o, std::move(transform));
      if (!processor.ok()) return Fail(processor.status());
      if (auto st = (*processor)->Run(); !st.ok()) return Fail(st);
      const auto end = Clock::now();
      Result r;
      r.mode = mode;
      r.seconds = std::chrono::duration<double>(end - timed->first_).count();
      r.cpu_seconds = CpuSeconds() - timed->cpu_at_first_;
      r.records = (*processor)->stats().records_in;
      r.transactions = (*processor)->stats().transactions_committed;
      results.push_back(r);
      std::printf("run %d %-5s %9lld records %7.2f s %10.0f rec/s %7.1f MB/s  cpu %5.2f s/M rec\n",
                  rep + 1, mode.c_str(), static_cast<long long>(r.records), r.seconds,
                  static_cast<double>(r.records) / r.seconds,
                  static_cast<double>(r.records) * f.size / r.seconds / 1e6,
                  r.cpu_seconds / (static_cast<double>(r.records) / 1e6));
      std::fflush(stdout);
    }
  }

  std::map<std::string, double> median_rate;
  for (const std::string& mode : f.modes) {
    std::vector<double> rates;
    for (const Result& r : results) {
      if (r.mode == mode) rates.push_back(static_cast<double>(r.records) / r.seconds);
    }
    std::sort(rates.begin(), rates.end());
    median_rate[mode] = rates[rates.size() / 2];
    std::printf("median %-5s %10.0f rec/s  (min %.0f, max %.0f, n=%zu)\n", mode.c_str(),
                median_rate[mode], rates.front(), rates.back(), rates.size());
  }
  if (median_rate.count("eos") && median_rate.count("alos")) {
    std::printf("eos/alos = %.3f\n", median_rate["eos"] / median_rate["alos"]);
  }
  if (auto st = (*admin)->DeleteTopics(topics, std::chrono::seconds(60)); !st.ok()) {
    std::cerr << "cleanup: " << st << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace onceflow

int main(int argc, char** argv) {
  onceflow::Flags f;
  if (const char* env = std::getenv("ONCEFLOW_BOOTSTRAP"); env != nullptr && *env)
    f.bootstrap = env;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const std::string value = i + 1 < argc ? argv[i + 1] : "";
    bool ok = true;
    if (flag == "--bootstrap") {
      f.bootstrap = value;
    } else if (flag == "--records") {
      ok = absl::SimpleAtoi(value, &f.records);
    } else if (flag == "--size") {
      ok = absl::SimpleAtoi(value, &f.size);
    } else if (flag == "--partitions") {
      ok = absl::SimpleAtoi(value, &f.partitions);
    } else if (flag == "--repeat") {
      ok = absl::SimpleAtoi(value, &f.repeat);
    } else if (flag == "--commit-interval-ms") {
      ok = absl::SimpleAtoi(value, &f.commit_interval_ms);
    } else if (flag == "--modes") {
      f.modes = absl::StrSplit(value, ',');
    } else {
      std::cerr << "usage: onceflow_engine_bench [--bootstrap B] [--records N] [--size BYTES] "
                   "[--partitions P] [--repeat R] [--commit-interval-ms MS] [--modes eos,alos]\n";
      return 2;
    }
    if (!ok) {
      std::cerr << "bad value for " << flag << ": " << value << "\n";
      return 2;
    }
    ++i;
  }
  return onceflow::Main(f);
}
