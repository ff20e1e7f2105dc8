#include "runtime/state_manager.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "kafka/admin.h"
#include "kafka/consumer.h"
#include "kafka/error.h"
#include "onceflow/status_macros.h"
#include "runtime/dedupe_transform.h"
#include "runtime/log.h"
#include "runtime/fault_injection.h"
#include "base/clock.h"
#include "base/retry.h"

namespace onceflow::runtime {
namespace {

using SteadyClock = std::chrono::steady_clock;

// How long a restore may take before the processor gives up with an error. A changelog
// partition held by an open transaction of another instance (LSO stuck) unblocks at the
// latest when the broker aborts that transaction (transaction.timeout.ms).
constexpr std::chrono::minutes kRestoreTimeout{15};
// How long one RestoreStep waits for the input's stable committed offsets before it lets the
// loop go on (it asks again at the next step).
constexpr std::chrono::milliseconds kStableOffsetsWait{500};

}  // namespace

// A KeyValueStore that forwards to the current partition's store.
class StateManager::RoutingStore : public state::KeyValueStore {
 public:
  RoutingStore(StateManager& manager, std::string name)
      : manager_(manager), name_(std::move(name)) {}

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) override {
    ONCEFLOW_ASSIGN_OR_RETURN(state::PartitionStore * s, manager_.Current(name_));
    return s->Get(key);
  }
  absl::Status Put(absl::string_view key, absl::string_view value) override {
    ONCEFLOW_ASSIGN_OR_RETURN(state::PartitionStore * s, manager_.Current(name_));
    return s->Put(key, value);
  }
  absl::Status Delete(absl::string_view key) override {
    ONCEFLOW_ASSIGN_OR_RETURN(state::PartitionStore * s, manager_.Current(name_));
    return s->Delete(key);
  }
  absl::Status Scan(absl::string_view begin, absl::string_view end, const ScanFn& fn) override {
    ONCEFLOW_ASSIGN_OR_RETURN(state::PartitionStore * s, manager_.Current(name_));
    return s->Scan(begin, end, fn);
  }

 private:
  StateManager& manager_;
  std::string name_;
};

// The changelog sink of one (store, partition).
class StateManager::Sink : public state::ChangelogSink {
 public:
  Sink(StateManager& manager, Progress& progress, std::string topic, int32_t partition)
      : manager_(manager), progress_(progress), topic_(std::move(topic)), partition_(partition) {}
  absl::Status Append(absl::string_view key, std::optional<absl::string_view> value) override {
    ++progress_.produced_since_commit;
    return manager_.produce_(topic_, partition_, key, value);
  }

 private:
  StateManager& manager_;
  Progress& progress_;
  std::string topic_;
  int32_t partition_;
};

std::vector<std::string> StateManager::ChangelogTopics(const ProcessorOptions& options) {
  std::vector<std::string> topics;
  for (const std::string& name : options.state.stores) {
    topics.push_back(ChangelogTopic(options.application_id, name));
  }
  if (options.state.dedupe.has_value()) {
    topics.push_back(ChangelogTopic(options.application_id, kDedupeStore));
  }
  return topics;
}

StateManager::StateManager(const ProcessorOptions& options, ProduceFn produce)
    : options_(options), produce_(std::move(produce)) {
  store_names_ = options_.state.stores;
  if (options_.state.dedupe.has_value()) store_names_.push_back(kDedupeStore);
  for (const std::string& name : store_names_) {
    Named& n = stores_[name];
    n.changelog_topic = ChangelogTopic(options_.application_id, name);
    n.routing = std::make_unique<RoutingStore>(*this, name);
  }
}

StateManager::~StateManager() { CloseAll(); }

std::string StateManager::ChangelogTopic(const std::string& application_id,
                                         const std::string& store) {
  return absl::StrCat(application_id, "-", store, "-changelog");
}

void StateManager::SetCompactionPolicy(const std::string& name,
                                       std::shared_ptr<state::CompactionPolicy> policy) {
  if (auto it = stores_.find(name); it != stores_.end()) it->second.compaction = std::move(policy);
}

kafka::Properties StateManager::ChangelogConfigs(const std::string& name) const {
  kafka::Properties configs = {{"cleanup.policy", "compact"}};
  if (name == kDedupeStore && options_.state.dedupe.has_value() &&
      options_.state.dedupe->window.count() > 0) {
    const std::chrono::milliseconds window = options_.state.dedupe->window;
    configs["cleanup.policy"] = "compact,delete";
    configs["retention.ms"] = absl::StrCat((window + kChangelogRetentionMargin).count());
    // Retention deletes whole segments once their newest record is old enough, and the active
    // segment never: a segment spans at most the window (at least 10 minutes), so a record
    // leaves the topic at most about one window after its retention.
    configs["segment.ms"] =
        absl::StrCat(std::max<int64_t>(window.count(), int64_t{10} * 60 * 1000));
  }
  return configs;
}

namespace {

// An existing changelog topic of a windowed store: it must keep records at least `window`
// long, or a restore would forget keys still inside the window; without time retention it
// only grows (warned about: expiry writes no tombstones).
absl::Status CheckWindowedChangelog(kafka::Admin& admin, const std::string& topic,
                                    std::chrono::milliseconds window,
                                    const kafka::Properties& wanted,
                                    std::chrono::milliseconds timeout) {
  absl::StatusOr<kafka::Properties> config = admin.TopicConfig(topic, timeout);
  if (!config.ok()) {
    Log(LogLevel::kWarn, absl::StrCat("could not check the configuration of changelog topic ",
                                      topic, ": ", config.status().message()));
    return absl::OkStatus();
  }
  const std::string policy = (*config)["cleanup.policy"];
  if (!absl::StrContains(policy, "delete")) {
    Log(LogLevel::kWarn,
        absl::StrCat("changelog topic ", topic, " has cleanup.policy=", policy,
                     ": dedupe entries past the window stay in it for ever (expiry writes no "
                     "tombstones); give it time retention: kafka-configs --alter --entity-type "
                     "topics --entity-name ",
                     topic, " --add-config 'cleanup.policy=[compact,delete],retention.ms=",
                     wanted.at("retention.ms"), "'"));
    return absl::OkStatus();
  }
  int64_t retention = 0;
  if (absl::SimpleAtoi((*config)["retention.ms"], &retention) && retention >= 0 &&
      retention < window.count()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "changelog topic ", topic, " deletes records after retention.ms=", retention,
        ", less than the dedupe window (", window.count(),
        " ms): a restore would forget keys inside the window; raise it to ",
        wanted.at("retention.ms")));
  }
  return absl::OkStatus();
}

}  // namespace

// `<application_id>-<instance_id>-<what>`, as the main clients' `<application_id>-<instance_id>`:
// broker logs, quotas and the audit's network-fault proxy tell an instance's clients apart by
// it. A client.id in the user's kafka properties wins.
std::string StateManager::ClientId(absl::string_view what) const {
  return options_.instance_id.empty()
             ? absl::StrCat(options_.application_id, "-", what)
             : absl::StrCat(options_.application_id, "-", options_.instance_id, "-", what);
}

absl::Status StateManager::Start() {
  if (!enabled()) return absl::OkStatus();
  ONCEFLOW_ASSIGN_OR_RETURN(env_, state::StateEnv::Create(options_.state.memory));
  kafka::Properties props =
      kafka::Merge({{"bootstrap.servers", options_.bootstrap_servers},
                    {"client.id", ClientId("state-admin")}},
                   options_.kafka_properties);
  ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<kafka::Admin> admin, kafka::Admin::Create(props));
  const auto timeout = std::chrono::seconds(30);
  int partitions = -1;
  for (const std::string& topic : options_.input_topics) {
    ONCEFLOW_ASSIGN_OR_RETURN(const int n, admin->PartitionCount(topic, timeout));
    if (partitions >= 0 && n != partitions) {
      return absl::FailedPreconditionError(absl::StrCat(
          "state is kept per partition number, so every input topic needs the same partition "
          "count; '",
          topic, "' has ", n, ", '", options_.input_topics.front(), "' has ", partitions));
    }
    partitions = n;
  }
  for (auto& [name, n] : stores_) {
    absl::StatusOr<int> existing = admin->PartitionCount(n.changelog_topic, timeout);
    if (existing.ok()) {
      if (*existing != partitions) {
        return absl::FailedPreconditionError(
            absl::StrCat("changelog topic '", n.changelog_topic, "' has ", *existing,
                         " partitions but the input has ", partitions,
                         "; it must match (delete it only if you mean to lose the store's state)"));
      }
      if (const kafka::Properties wanted = ChangelogConfigs(name); wanted.count("retention.ms")) {
        ONCEFLOW_RETURN_IF_ERROR(CheckWindowedChangelog(
            *admin, n.changelog_topic, options_.state.dedupe->window, wanted, timeout));
      }
      continue;
    }
    if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
    const kafka::Properties configs = ChangelogConfigs(name);
    absl::Status st = admin->CreateTopic(
        {n.changelog_topic, partitions, options_.state.changelog_replication_factor, configs},
        timeout);
    if (!st.ok() && st.code() != absl::StatusCode::kAlreadyExists) return st;
    Log(LogLevel::kInfo,
        absl::StrCat("created changelog topic ", n.changelog_topic, " (", partitions,
                     " partitions, cleanup.policy=", configs.at("cleanup.policy"),
                     configs.count("retention.ms") > 0
                         ? absl::StrCat(", retention.ms=", configs.at("retention.ms"))
                         : "",
                     ")"));
  }
  return absl::OkStatus();
}

// The restore of the stores opened by one assignment: a consumer of their changelog
// partitions, from each store's checkpoint to the changelog's end.
class StateManager::RestoreSession {
 public:
  struct Target {
    std::string store;
    int32_t partition;
    state::PartitionStore* partition_store;
  };
  std::vector<Target> targets;
  // Input partitions waiting for the stores of their partition number.
  std::map<int32_t, std::vector<TopicPartition>> waiting;
  std::unique_ptr<kafka::Consumer> consumer;
  // Changelog (topic, partition) -> the target restoring from it.
  std::map<std::pair<std::string, int32_t>, state::PartitionStore*> by_changelog;
  std::set<std::pair<std::string, int32_t>> done;
  std::map<int32_t, int> stores_left;  // per partition number
  // The last changelog partition a record came from, and its store (null: none, or done):
  // records come in runs of one partition, so most skip the lookups above.
  std::string last_topic;
  int32_t last_partition = -1;
  state::PartitionStore* last_store = nullptr;
  SteadyClock::time_point started;
  SteadyClock::time_point last_warning;
  SteadyClock::time_point fault_until;  // fault injection: transport errors until then
  int64_t records = 0;
  // The input's committed offsets were read as stable (StableOffsetsFn) before the changelogs.
  bool offsets_stable = false;
  // Changelog partitions whose end came with an open transaction beyond it: the high watermark
  // they wait for (logged once per value).
  std::map<std::pair<std::string, int32_t>, int64_t> open_transaction;
};

absl::StatusOr<std::vector<TopicPartition>> StateManager::Assign(
    const std::vector<TopicPartition>& partitions) {
  if (!enabled()) return std::vector<TopicPartition>();
  std::set<int32_t> numbers;
  for (const TopicPartition& tp : partitions) numbers.insert(tp.partition.value());
  auto session = std::make_unique<RestoreSession>();
  for (auto& [name, n] : stores_) {
    for (int32_t p : numbers) {
      if (n.partitions.count(p) > 0) continue;
      state::PartitionStoreOptions o;
      o.path = absl::StrCat(options_.state.dir, "/", options_.application_id, "/", name, "/", p);
      o.env = env_.get();
      o.compaction = n.compaction;
      Progress& progress = n.progress[p] = Progress{};
      auto sink = std::make_unique<Sink>(*this, progress, n.changelog_topic, p);
      ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<state::PartitionStore> store,
                                state::PartitionStore::Open(o, sink.get()));
      if (!store->rebuilt().empty()) {
        // A new folder is routine; a wiped or corrupt one deserves a warning.
        Log(store->rebuilt_from_new() ? LogLevel::kInfo : LogLevel::kWarn,
            absl::StrCat("store ", name, " partition ", p, " at ", o.path, ": ", store->rebuilt(),
                         "; rebuilding it from ", n.changelog_topic));
      }
      session->targets.push_back({name, p, store.get()});
      ++session->stores_left[p];
      n.sinks[p] = std::move(sink);
      n.partitions[p] = std::move(store);
    }
  }
  // An incremental assignment while a restore is under way: one restore for both.
  CarryOverRestore(*session, {});
  std::vector<TopicPartition> waiting;
  for (const TopicPartition& tp : partitions) {
    if (session->stores_left.count(tp.partition.value()) == 0) continue;
    session->waiting[tp.partition.value()].push_back(tp);
    waiting.push_back(tp);
  }
  if (!session->targets.empty()) {
    session->started = SteadyClock::now();
    restore_ = std::move(session);
  }
  return waiting;
}

void StateManager::CarryOverRestore(RestoreSession& to, const std::set<int32_t>& dropped) {
  if (restore_ == nullptr) return;
  RestoreSession& from = *restore_;
  for (const RestoreSession::Target& t : from.targets) {
    if (dropped.count(t.partition) > 0) continue;
    if (from.done.count({stores_.find(t.store)->second.changelog_topic, t.partition}) > 0) {
      continue;
    }
    to.targets.push_back(t);
    ++to.stores_left[t.partition];
  }
  for (const auto& [p, tps] : from.waiting) {
    if (dropped.count(p) > 0 || to.stores_left.count(p) == 0) continue;
    std::vector<TopicPartition>& w = to.waiting[p];
    for (const TopicPartition& tp : tps) {
      if (std::find(w.begin(), w.end(), tp) == w.end()) w.push_back(tp);
    }
  }
  restored_records_ += from.records;
  if (from.consumer != nullptr) (void)from.consumer->Close();
  restore_.reset();
}

absl::Status StateManager::StartRestore() {
  RestoreSession& r = *restore_;
  kafka::Properties props = kafka::Merge({{"bootstrap.servers", options_.bootstrap_servers},
                                          {"client.id", ClientId("restore")},
                                          {"auto.offset.reset", "earliest"},
                                          {"socket.nagle.disable", "true"}},
                                         options_.kafka_properties);
  // The restore consumer talks to the same cluster as the main one (SASL/SSL included).
  props = kafka::Merge(props, options_.consumer_properties);
  props = kafka::Merge(props, {{"group.id", absl::StrCat(options_.application_id, "-restore")},
                               {"isolation.level", "read_committed"},
                               {"enable.partition.eof", "true"},
                               {"enable.auto.commit", "false"},
                               // A fetch at a changelog's end (nothing to restore, the usual
                               // case after a restart) is answered at once rather than after
                               // the default 500 ms wait for data: the end is what we wait for.
                               {"fetch.wait.max.ms", "10"},
                               // A restore reads whole partitions: fetch 16 MiB of each per
                               // request, not the default 1 MiB (a restore of 1,000,000
                               // records from an empty folder ran 144,000 records/s with 1 MiB,
                               // 194,000 with 16 MiB; docs/benchmarks.md). fetch.max.bytes
                               // (50 MiB) and queued.max.messages.kbytes still bound the memory.
                               {"max.partition.fetch.bytes", "16777216"}});
  ONCEFLOW_ASSIGN_OR_RETURN(r.consumer, kafka::Consumer::Create(props));
  r.consumer->SkipHeaders();  // changelog records are keys and values
  std::vector<TopicPartitionOffset> assignment;
  for (const RestoreSession::Target& t : r.targets) {
    const std::string& topic = stores_.find(t.store)->second.changelog_topic;
    const TopicPartition tp{topic, Partition(t.partition)};
    int64_t from = t.partition_store->checkpoint_offset();
    if (from >= 0) {
      // A checkpoint outside the changelog's offsets (the changelog was deleted and recreated,
      // or truncated) describes another history: rebuild from the changelog, as Kafka Streams
      // does, instead of replaying on top of stale files.
      std::pair<Offset, Offset> marks{Offset(0), Offset(0)};
      base::RetrySettings retry;
      retry.what = absl::StrCat("reading the offsets of ", topic, "[", t.partition, "]");
      ONCEFLOW_RETURN_IF_ERROR(base::RetryUntil(
          SteadyClock::now() + std::chrono::seconds(60), base::SystemClock(),
          [&](int) -> absl::Status {
            ONCEFLOW_ASSIGN_OR_RETURN(marks, r.consumer->Watermarks(tp, std::chrono::seconds(10)));
            return absl::OkStatus();
          },
          retry));
      if (from > marks.second.value() || from < marks.first.value()) {
        const std::string why = absl::StrCat(
            "checkpoint ", from, " is outside the changelog's offsets [", marks.first.value(),
            ", ", marks.second.value(),
            "] (the changelog was deleted and recreated, or truncated)");
        Log(LogLevel::kWarn, absl::StrCat("store ", t.store, " partition ", t.partition, ": ",
                                          why, "; rebuilding it from ", topic));
        ONCEFLOW_RETURN_IF_ERROR(t.partition_store->Rebuild(why));
        from = -1;
      }
    }
    assignment.push_back({tp, from >= 0 ? Offset(from) : Offset::Beginning()});
    r.by_changelog[{topic, t.partition}] = t.partition_store;
  }
  return r.consumer->Assign(assignment);
}

absl::StatusOr<std::vector<TopicPartition>> StateManager::RestoreStep(
    std::chrono::milliseconds budget) {
  std::vector<TopicPartition> resumed;
  if (restore_ == nullptr) return resumed;
  RestoreSession& r = *restore_;
  if (!r.offsets_stable) {
    // A transaction of the partitions' previous owner may hold their offsets still (cut off
    // from the group while it committed). Once the offsets are stable it has ended, and every
    // record it wrote to the changelogs is below their high watermarks (RestoreStep's doc).
    std::vector<TopicPartition> tps;
    for (const auto& [p, waiting] : r.waiting) {
      tps.insert(tps.end(), waiting.begin(), waiting.end());
    }
    if (stable_offsets_ && !tps.empty()) {
      const absl::Status st = stable_offsets_(tps, std::max(budget, kStableOffsetsWait));
      if (!st.ok()) {
        if (!base::IsTransient(st)) {
          return base::Annotate("restoring state: reading the input's committed offsets: ", st);
        }
        const auto now = SteadyClock::now();
        if (now - r.started >= kRestoreTimeout) {
          return base::Annotate(
              "restoring state: the input's committed offsets did not become stable: ", st);
        }
        if (now - r.last_warning >= std::chrono::seconds(5)) {
          r.last_warning = now;
          Log(LogLevel::kWarn,
              absl::StrCat("restoring state: waiting for the committed offsets of ",
                           tps.size(), " input partition(s) (a transaction holding them has "
                           "not ended): ", st.message()));
        }
        return resumed;
      }
    }
    r.offsets_stable = true;
  }
  if (r.consumer == nullptr) ONCEFLOW_RETURN_IF_ERROR(StartRestore());
  const auto step_end = SteadyClock::now() + budget;
  while (r.done.size() < r.by_changelog.size()) {
    const auto now = SteadyClock::now();
    if (now - r.started >= kRestoreTimeout) {
      return absl::DeadlineExceededError(absl::StrCat(
          "restoring state: only ", r.done.size(), " of ", r.by_changelog.size(),
          " changelog partitions reached their end within ",
          std::chrono::duration_cast<std::chrono::seconds>(kRestoreTimeout).count(), " s"));
    }
    if (now >= step_end) break;
    if (ReachedFaultPoint(FaultPoint::kRestoreTransportError)) {
      r.fault_until = now + std::chrono::seconds(5);
    }
    absl::StatusOr<std::optional<kafka::ConsumedMessage>> polled;
    if (now < r.fault_until) {
      // Instead of polling, as a consumer cut off from its brokers sees it.
      base::SystemClock().SleepFor(std::chrono::milliseconds(20));
      polled = kafka::TransportError("restore consumer", "fault injection: broker connection lost");
    } else {
      polled = r.consumer->Poll(
          std::min(std::chrono::duration_cast<std::chrono::milliseconds>(step_end - now),
                   std::chrono::milliseconds(100)));
    }
    if (!polled.ok()) {
      // librdkafka reconnects by itself (a broker restart: _TRANSPORT, _ALL_BROKERS_DOWN):
      // keep polling until the restore's deadline; anything else is final.
      if (!base::IsTransient(polled.status())) {
        return base::Annotate("restoring state: ", polled.status());
      }
      if (now - r.last_warning >= std::chrono::seconds(5)) {
        r.last_warning = now;
        Log(LogLevel::kWarn, absl::StrCat("restoring state: ", polled.status().message(),
                                          "; still trying"));
      }
      continue;
    }
    if (!polled->has_value()) continue;
    const kafka::ConsumedMessage& msg = **polled;
    state::PartitionStore* store = nullptr;
    if (msg.is_record() && r.last_store != nullptr &&
        msg.partition().value() == r.last_partition && msg.topic() == r.last_topic) {
      store = r.last_store;
    } else {
      const std::pair<std::string, int32_t> key{std::string(msg.topic()),
                                                msg.partition().value()};
      auto it = r.by_changelog.find(key);
      if (it == r.by_changelog.end() || r.done.count(key) > 0) continue;
      store = it->second;
      r.last_store = nullptr;
      if (msg.is_record()) {
        r.last_topic = key.first;
        r.last_partition = key.second;
        r.last_store = store;
      }
    }
    if (!msg.is_record()) {
      const std::pair<std::string, int32_t> key{std::string(msg.topic()),
                                                msg.partition().value()};
      const int64_t end = msg.offset().value();
      // The last stable offset. Records past it belong to a transaction still open, which may
      // commit: wait for its end (the next end event comes when it commits or aborts).
      const std::optional<std::pair<Offset, Offset>> marks =
          r.consumer->CachedWatermarks({key.first, Partition(key.second)});
      if (marks.has_value() && marks->second.value() > end) {
        int64_t& logged = r.open_transaction[key];
        if (logged != marks->second.value()) {
          logged = marks->second.value();
          Log(LogLevel::kInfo,
              absl::StrCat("restoring ", key.first, "[", key.second,
                           "]: an open transaction holds offsets ", end, " to ", logged,
                           "; waiting for it to commit or abort"));
        }
        continue;
      }
      // The end offset: the position to restore from next time.
      ONCEFLOW_RETURN_IF_ERROR(store->FinishRestore(end));
      r.done.insert(key);
      if (--r.stores_left[key.second] == 0) {
        for (const TopicPartition& tp : r.waiting[key.second]) resumed.push_back(tp);
      }
      continue;
    }
    const Record& rec = msg.record();
    std::optional<absl::string_view> v;
    if (rec.has_value()) v = rec.value();
    ONCEFLOW_RETURN_IF_ERROR(store->ApplyRestored(rec.key(), v));
    ++r.records;
  }
  if (r.done.size() == r.by_changelog.size()) {
    (void)r.consumer->Close();
    const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           SteadyClock::now() - r.started)
                           .count();
    restored_records_ += r.records;
    restore_ms_ += ms;
    Log(LogLevel::kInfo, absl::StrCat("restored ", r.by_changelog.size(),
                                      " store partition(s) from their changelogs: ", r.records,
                                      " records in ", ms, " ms"));
    restore_.reset();
  }
  return resumed;
}

void StateManager::Close(const std::set<int32_t>& numbers) {
  if (numbers.empty()) return;
  if (restore_ != nullptr) {
    auto session = std::make_unique<RestoreSession>();
    CarryOverRestore(*session, numbers);
    if (!session->targets.empty()) {
      session->started = SteadyClock::now();
      restore_ = std::move(session);
    }
  }
  for (auto& [name, n] : stores_) {
    for (int32_t p : numbers) {
      auto it = n.partitions.find(p);
      if (it == n.partitions.end()) continue;
      it->second->DiscardPending();
      if (absl::Status st = it->second->Close(); !st.ok()) {
        Log(LogLevel::kWarn,
            absl::StrCat("closing store ", name, " partition ", p, ": ", st.message()));
      }
      n.partitions.erase(it);
      n.sinks.erase(p);
      n.progress.erase(p);
    }
  }
  if (current_.has_value() && numbers.count(*current_) > 0) current_.reset();
}

void StateManager::CloseAll() {
  restore_.reset();  // a restore under way is dropped with its stores
  for (auto& [name, n] : stores_) {
    for (auto& [p, store] : n.partitions) {
      store->DiscardPending();
      if (absl::Status st = store->Close(); !st.ok()) {
        Log(LogLevel::kWarn,
            absl::StrCat("closing store ", name, " partition ", p, ": ", st.message()));
      }
    }
    n.partitions.clear();
    n.sinks.clear();
    n.progress.clear();
  }
  current_.reset();
  in_attempt_ = false;
  touched_.clear();
}

absl::Status StateManager::CommitPending() {
  const bool eos = options_.mode == Mode::kExactlyOnce;
  for (auto& [name, n] : stores_) {
    for (auto& [p, store] : n.partitions) {
      Progress& progress = n.progress[p];
      if (!store->has_pending()) {
        progress.produced_since_commit = 0;
        progress.last_delivered = -1;
        continue;
      }
      int64_t next = -1;
      if (eos) {
        // Fenced writers cannot interleave, and aborted records are skipped by a
        // read_committed restore: the checkpoint follows this transaction's last record.
        if (progress.last_delivered >= 0) next = progress.last_delivered + 1;
      } else if (!progress.frozen && progress.own_next >= 0) {
        next = progress.own_next;
      }
      ONCEFLOW_RETURN_IF_ERROR(store->CommitPending(next));
      progress.produced_since_commit = 0;
      progress.last_delivered = -1;
    }
  }
  return absl::OkStatus();
}

void StateManager::DiscardPending() {
  in_attempt_ = false;
  touched_.clear();
  for (auto& [name, n] : stores_) {
    for (auto& [p, store] : n.partitions) {
      store->DiscardPending();
      Progress& progress = n.progress[p];
      // At-least-once: the discarded writes' changelog records may already be in the topic
      // (no transaction hides them), but the store never applied them.
      if (options_.mode == Mode::kAtLeastOnce && progress.produced_since_commit > 0) {
        progress.frozen = true;
      }
      progress.produced_since_commit = 0;
      progress.last_delivered = -1;
    }
  }
}

void StateManager::Begin() {
  for (state::PartitionStore* store : touched_) store->RollbackAttempt();
  touched_.clear();
  in_attempt_ = true;
}

void StateManager::Rollback() {
  for (state::PartitionStore* store : touched_) store->RollbackAttempt();
  touched_.clear();
  in_attempt_ = false;
}

absl::Status StateManager::Commit() {
  in_attempt_ = false;
  absl::Status first;
  for (state::PartitionStore* store : touched_) {
    absl::Status st = store->CommitAttempt();
    if (first.ok()) first = st;
  }
  touched_.clear();
  return first;
}

bool StateManager::IsChangelogTopic(absl::string_view topic) const {
  for (const auto& [name, n] : stores_) {
    if (n.changelog_topic == topic) return true;
  }
  return false;
}

void StateManager::OnChangelogDelivered(const TopicPartitionOffset& position) {
  for (auto& [name, n] : stores_) {
    if (n.changelog_topic != position.tp.topic) continue;
    const int32_t p = position.tp.partition.value();
    auto store = n.partitions.find(p);
    if (store == n.partitions.end()) continue;  // closed meanwhile
    Progress& progress = n.progress[p];
    const int64_t offset = position.offset.value();
    progress.last_delivered = std::max(progress.last_delivered, offset);
    if (options_.mode == Mode::kExactlyOnce || progress.frozen) continue;
    if (progress.own_next < 0) progress.own_next = store->second->checkpoint_offset();
    if (offset == progress.own_next) {
      ++progress.own_next;
    } else {
      // Someone else wrote to this changelog partition since the checkpoint.
      progress.frozen = true;
    }
  }
}

absl::Status StateManager::ForEachPartition(
    const std::string& store, const std::function<absl::Status(state::KeyValueStore&)>& fn) {
  auto it = stores_.find(store);
  if (it == stores_.end()) return absl::OkStatus();
  for (auto& [p, s] : it->second.partitions) {
    if (Restoring(p)) continue;  // not up to date yet: nothing to expire from it
    ONCEFLOW_RETURN_IF_ERROR(fn(*s));
  }
  return absl::OkStatus();
}

bool StateManager::Restoring(int32_t partition) const {
  if (restore_ == nullptr) return false;
  auto it = restore_->stores_left.find(partition);
  return it != restore_->stores_left.end() && it->second > 0;
}

absl::StatusOr<state::KeyValueStore*> StateManager::Store(absl::string_view name) {
  auto it = stores_.find(name);
  if (it == stores_.end()) {
    return absl::NotFoundError(
        absl::StrCat("store '", name, "' is not declared in ProcessorOptions::state.stores"));
  }
  return it->second.routing.get();
}

absl::StatusOr<state::PartitionStore*> StateManager::Current(const std::string& name) {
  if (!current_.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("store '", name, "' used outside Process (no current partition)"));
  }
  Named& n = stores_.find(name)->second;
  auto it = n.partitions.find(*current_);
  if (it == n.partitions.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("store '", name, "' has no open partition ", *current_));
  }
  if (Restoring(*current_)) {
    return absl::FailedPreconditionError(
        absl::StrCat("store '", name, "' partition ", *current_, " is still being restored"));
  }
  state::PartitionStore* store = it->second.get();
  if (in_attempt_ && std::find(touched_.begin(), touched_.end(), store) == touched_.end()) {
    store->BeginAttempt();
    touched_.push_back(store);
  }
  return store;
}

}  // namespace onceflow::runtime
