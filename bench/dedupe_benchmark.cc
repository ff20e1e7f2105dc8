// Dedupe throughput and memory at scale: Deduper::Check + PartitionStore::CommitPending in
// transactions of 1000 records, against a store pre-filled with N keys.
//
//   build/release/bench/onceflow_dedupe_bench                         # 1 M and 10 M keys
//   build/release/bench/onceflow_dedupe_bench --dedupe_keys=100000    # a quick run
//   build/release/bench/onceflow_dedupe_bench --dedupe_dir=/data/tmp  # where the stores go
//   build/release/bench/onceflow_dedupe_bench --dedupe_new=50,100     # share of new keys, %
//
// Each key count gets a fresh store in a temporary folder, filled once through the deduper
// itself (transactions of 10 000 records), so the layout is the production one: "k" + key ->
// DedupeEntry, one entry per key. The measured loop then checks a mix of never-seen keys
// (--dedupe_new percent, default 50) and keys drawn uniformly from the filled ones, commits
// (keys and checkpoint in one RocksDB write, in the background, as the runtime does), and
// repeats. No changelog sink: only local state is
// measured. StateMemoryOptions are the defaults (64 MiB block cache holding 32 MiB of write
// buffers), so resident memory must not grow with the key count: the keys live on disk.
//
// Counters: items_per_second = checks/s; fill_s / fill_checks_per_s = the pre-fill;
// rss_after_fill_MiB, rss_MiB (after the run), rss_peak_MiB (VmHWM), heap_MiB (malloc'd and
// in use after the run: RSS minus this is allocator slack); cache_MiB (block cache
// usage, memtables included); commit_ms = time in CommitPending per transaction (waiting for
// the previous transaction's background write, starting this one's); passed / duplicates =
// the mix actually seen;
// cpu_ns_per_check = the checking thread's CPU time per check, commits included (the
// background write's thread not).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "state/dedupe.h"
#include "state/partition_store.h"

namespace onceflow::state {
namespace {

constexpr int kBatch = 1000;        // records per transaction in the measured loop
constexpr int kFillBatch = 10'000;  // records per transaction while filling
constexpr int64_t kStartMs = 1'700'000'000'000;

std::vector<int64_t> g_key_counts = {1'000'000, 10'000'000};
std::vector<int64_t> g_new_percents = {50};
std::string g_parent_dir = "/tmp";

// VmRSS / VmHWM of this process in MiB, from /proc/self/status.
double ProcStatusMiB(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) {
      int64_t kib = 0;
      for (const char c : line.substr(std::strlen(field))) {
        if (c >= '0' && c <= '9') kib = kib * 10 + (c - '0');
      }
      return static_cast<double>(kib) / 1024.0;
    }
  }
  return -1;
}

// Bytes malloc has handed out and not taken back, in MiB. RSS minus this is memory the
// allocator keeps (freed chunks, per-thread arenas) rather than memory anyone uses.
double HeapInUseMiB() {
  const struct mallinfo2 info = ::mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd) / (1 << 20);
}

// CPU time of the calling thread, in seconds.
double ThreadCpuSeconds() {
  struct timespec ts;
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

class FixedClock : public base::Clock {
 public:
  int64_t NowMs() override { return now_ms; }
  SteadyTime SteadyNow() override { return SteadyTime(std::chrono::milliseconds(now_ms)); }
  void SleepFor(std::chrono::milliseconds) override {}
  int64_t now_ms = kStartMs;
};

// Fixed-width ids, as upstream systems usually make them.
std::string KeyOf(int64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "order-%012lld", static_cast<long long>(i));
  return buf;
}

// xorshift64*: cheap and good enough to pick uniformly among the filled keys.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545F4914F6CDD1DULL;
  }

 private:
  uint64_t s_;
};

void CheckOk(const absl::Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, std::string(status.message()).c_str());
    std::exit(1);
  }
}

// One filled store, kept across the benchmark's repeated calls for the same key count.
struct Filled {
  int64_t keys = 0;
  std::string dir;
  FixedClock clock;
  std::unique_ptr<StateEnv> env;
  std::unique_ptr<PartitionStore> store;
  std::unique_ptr<Deduper> dedupe;
  int64_t next_new_key = 0;  // ids >= keys were never seen
  int64_t next_offset = 0;
  double fill_seconds = 0;
  double rss_after_fill_mib = 0;
  Rng rng{0x9E3779B97F4A7C15ULL};

  ~Filled() {
    dedupe.reset();
    if (store != nullptr) (void)store->Close();  // a benchmark's temp store: nothing to keep
    store.reset();
    env.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

std::unique_ptr<Filled> Fill(int64_t keys) {
  auto filled = std::make_unique<Filled>();
  filled->keys = keys;
  std::string tmpl = g_parent_dir + "/onceflow-dedupe-bench-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  filled->dir = tmpl;

  absl::StatusOr<std::unique_ptr<StateEnv>> env = StateEnv::Create({});
  CheckOk(env.status(), "StateEnv::Create");
  filled->env = *std::move(env);
  absl::StatusOr<std::unique_ptr<PartitionStore>> store = PartitionStore::Open(
      {.path = filled->dir + "/0", .env = filled->env.get()}, /*changelog=*/nullptr);
  CheckOk(store.status(), "PartitionStore::Open");
  filled->store = *std::move(store);
  DedupeOptions options;  // record key, 24 h window
  absl::StatusOr<std::unique_ptr<Deduper>> dedupe = Deduper::Create(options, filled->clock);
  CheckOk(dedupe.status(), "Deduper::Create");
  filled->dedupe = *std::move(dedupe);

  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < keys; ++i) {
    const std::string key = KeyOf(i);
    RecordView record;
    record.key = key;
    record.offset = filled->next_offset++;
    CheckOk(filled->dedupe->Check(record, *filled->store).status(), "fill Check");
    if ((i + 1) % kFillBatch == 0 || i + 1 == keys) {
      CheckOk(filled->store->CommitPending(filled->next_offset), "fill CommitPending");
      filled->clock.now_ms += 1000;
    }
  }
  filled->fill_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  filled->next_new_key = keys;
  filled->rss_after_fill_mib = ProcStatusMiB("VmRSS:");
  std::fprintf(stderr,
               "filled %lld keys in %.1f s (%.0f checks/s); RSS %.0f MiB, cache %.0f MiB, "
               "~%llu RocksDB keys\n",
               static_cast<long long>(keys), filled->fill_seconds,
               static_cast<double>(keys) / filled->fill_seconds, filled->rss_after_fill_mib,
               static_cast<double>(filled->env->cache_usage()) / (1 << 20),
               static_cast<unsigned long long>(filled->store->ApproximateKeys()));
  return filled;
}

std::unique_ptr<Filled> g_filled;

void BM_DedupeCheckCommit(benchmark::State& state) {
  const int64_t keys = state.range(0);
  const int64_t new_percent = state.range(1);
  if (g_filled == nullptr || g_filled->keys != keys) {
    g_filled.reset();  // free the previous key count's store and its disk first
    g_filled = Fill(keys);
  }
  Filled& f = *g_filled;
  const int64_t passed_before = f.dedupe->counters().passed;
  const int64_t duplicates_before = f.dedupe->counters().duplicates;
  std::string key;
  double commit_seconds = 0;  // inside CommitPending
  const double cpu_start = ThreadCpuSeconds();
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      // Never-seen ids and uniformly drawn filled ids, spread evenly: new_percent of each
      // hundred checks are new (50: alternately).
      const bool is_new = (i * new_percent) / 100 != ((i + 1) * new_percent) / 100;
      const int64_t id =
          is_new ? f.next_new_key++ : static_cast<int64_t>(f.rng.Next() % f.keys);
      key = KeyOf(id);
      RecordView record;
      record.key = key;
      record.offset = f.next_offset++;
      absl::StatusOr<Deduper::Verdict> verdict = f.dedupe->Check(record, *f.store);
      if (!verdict.ok()) {
        state.SkipWithError(std::string(verdict.status().message()).c_str());
        return;
      }
      benchmark::DoNotOptimize(*verdict);
    }
    const auto commit_start = std::chrono::steady_clock::now();
    const absl::Status committed = f.store->CommitPending(f.next_offset);
    commit_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - commit_start).count();
    if (!committed.ok()) {
      state.SkipWithError(std::string(committed.message()).c_str());
      return;
    }
    f.clock.now_ms += 1;
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["cpu_ns_per_check"] =
      1e9 * (ThreadCpuSeconds() - cpu_start) /
      static_cast<double>(std::max<int64_t>(state.iterations(), 1) * kBatch);
  state.counters["commit_ms"] =
      1000 * commit_seconds / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
  state.counters["fill_s"] = f.fill_seconds;
  state.counters["fill_checks_per_s"] = static_cast<double>(f.keys) / f.fill_seconds;
  state.counters["rss_after_fill_MiB"] = f.rss_after_fill_mib;
  state.counters["rss_MiB"] = ProcStatusMiB("VmRSS:");
  state.counters["rss_peak_MiB"] = ProcStatusMiB("VmHWM:");
  state.counters["heap_MiB"] = HeapInUseMiB();
  state.counters["cache_MiB"] = static_cast<double>(f.env->cache_usage()) / (1 << 20);
  state.counters["passed"] = static_cast<double>(f.dedupe->counters().passed - passed_before);
  state.counters["duplicates"] =
      static_cast<double>(f.dedupe->counters().duplicates - duplicates_before);
}

// Takes --dedupe_keys=N[,N...] and --dedupe_dir=DIR out of argv; false on a bad value.
bool ParseOwnFlags(int* argc, char** argv) {
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg.rfind("--dedupe_keys=", 0) == 0) {
      g_key_counts.clear();
      for (absl::string_view n : absl::StrSplit(arg.substr(14), ',')) {
        int64_t count = 0;
        if (!absl::SimpleAtoi(n, &count) || count <= 0) {
          std::fprintf(stderr, "bad --dedupe_keys value: %s\n", argv[i]);
          return false;
        }
        g_key_counts.push_back(count);
      }
    } else if (arg.rfind("--dedupe_new=", 0) == 0) {
      g_new_percents.clear();
      for (absl::string_view n : absl::StrSplit(arg.substr(13), ',')) {
        int64_t percent = 0;
        if (!absl::SimpleAtoi(n, &percent) || percent < 0 || percent > 100) {
          std::fprintf(stderr, "bad --dedupe_new value (0-100): %s\n", argv[i]);
          return false;
        }
        g_new_percents.push_back(percent);
      }
    } else if (arg.rfind("--dedupe_dir=", 0) == 0) {
      g_parent_dir = std::string(arg.substr(13));
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  return true;
}

}  // namespace
}  // namespace onceflow::state

int main(int argc, char** argv) {
  namespace state = onceflow::state;
  if (!state::ParseOwnFlags(&argc, argv)) return 2;
  for (const int64_t keys : state::g_key_counts) {
    for (const int64_t percent : state::g_new_percents) {
      benchmark::RegisterBenchmark("BM_DedupeCheckCommit", state::BM_DedupeCheckCommit)
          ->ArgNames({"keys", "new_percent"})
          ->Args({keys, percent})
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->MinTime(10.0);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  state::g_filled.reset();
  return 0;
}
