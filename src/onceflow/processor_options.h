// Options of a Processor, one struct per concern, each field with its default.
//
//   onceflow::ProcessorOptions options;
//   options.bootstrap_servers = "127.0.0.1:19092";
//   options.application_id = "orders-enricher";
//   options.input_topics = {"orders"};
//   options.output_topic = "orders-enriched";
//   options.mode = onceflow::Mode::kExactlyOnce;
#ifndef ONCEFLOW_PROCESSOR_OPTIONS_H_
#define ONCEFLOW_PROCESSOR_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "state/dedupe_options.h"
#include "state/partition_store.h"

namespace onceflow {

enum class Mode {
  // Transactions: output, dead letters and input offsets commit atomically; a read_committed
  // reader of the output sees every input's results exactly once, whatever crashes.
  kExactlyOnce,
  // Idempotent producer, acks=all; offsets committed only after every output of the records
  // before them is acknowledged. Nothing is lost; a crash between produce and commit
  // replays (duplicates) the records since the last commit.
  kAtLeastOnce,
};

// When the at-least-once mode commits offsets.
enum class CommitPolicy {
  kPerRecord,  // after every input record's outputs are acknowledged (slowest, fewest dups)
  kPerBatch,   // after every poll batch (poll_batch_size records)
  kEveryN,     // every commit_every_records records
  kInterval,   // every commit_interval (the default)
};

// What happens to an input record whose transform fails permanently, or transiently after
// the retries are spent.
enum class ErrorPolicy {
  kFail,        // stop the processor; nothing after the record is committed. (Default)
  kSkip,        // count it, log it, go on
  kDeadLetter,  // write the record with error headers to dead_letter_topic, go on
};

struct RetryOptions {
  // Attempts in all (1 = no retry) for a transient error. Default: 5.
  int max_attempts = 5;
  // Backoff before the 2nd attempt; doubles each time, up to max_backoff, each with +-20%
  // jitter. Defaults: 100 ms, 5 s.
  std::chrono::milliseconds base_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
};

// The header names dead letters carry.
enum class DeadLetterHeaderStyle {
  // original-topic, original-partition, original-offset, original-timestamp, error-class,
  // error-message, retry-count, failed-at, instance-id. (Default)
  kOnceflow,
  // Kafka Streams (KIP-1034): __streams.errors.topic, .partition, .offset, .exception (the
  // error class), .message; the rest as __streams.errors.onceflow.<onceflow name>.
  kKafkaStreams,
  // Kafka Connect: __connect.errors.topic, .partition, .offset, .exception.class.name (the
  // error class), .exception.message; the rest as __connect.errors.onceflow.<onceflow name>.
  kKafkaConnect,
};

struct ErrorOptions {
  ErrorPolicy policy = ErrorPolicy::kFail;
  // REQUIRED for kDeadLetter. Written in the same transaction as the output under eos.
  std::string dead_letter_topic;
  RetryOptions retry;
  DeadLetterHeaderStyle header_style = DeadLetterHeaderStyle::kOnceflow;
};

// Local state: RocksDB stores per input partition, each backed by a compacted changelog topic
// "<application_id>-<store>-changelog" written in the same transaction as the output. See
// docs/state.md.
struct StateOptions {
  // Where the RocksDB files and checkpoints live: <dir>/<application_id>/<store>/<partition>.
  // Default: "onceflow-state" (relative to the working directory).
  std::string dir = "onceflow-state";
  // Shared block cache and memtable budget for every store of the process.
  state::StateMemoryOptions memory;
  // Names of the stores the transform uses (TransformContext::Store). Default: none.
  std::vector<std::string> stores;
  // Dedupe before the transform, in the store "dedupe". Default: off.
  std::optional<state::DedupeOptions> dedupe;
  // The dedupe clock; null = the system clock. Tests inject a fake. Must outlive the Processor.
  base::Clock* clock = nullptr;
  // Partitions of a changelog topic onceflow creates = the inputs' partition count; its
  // replication factor. Default: -1 (the broker's default.replication.factor).
  int changelog_replication_factor = -1;
};

struct ProcessorOptions {
  // librdkafka bootstrap.servers. REQUIRED.
  std::string bootstrap_servers;
  // The consumer group id and the transactional.id prefix. REQUIRED.
  std::string application_id;
  // Stable per instance across restarts: transactional.id = "<application_id>-<instance_id>",
  // so a restarted instance fences its zombie. Default: the host name.
  std::string instance_id;
  // Topics to consume. REQUIRED.
  std::vector<std::string> input_topics;
  // Where emitted records go unless they name a topic. REQUIRED unless every record does.
  std::string output_topic;

  Mode mode = Mode::kExactlyOnce;
  // Static group membership (KIP-345): group.instance.id = instance_id, so a restarted
  // instance takes its partitions back at once instead of waiting for its dead predecessor's
  // session to time out, and a live twin with the same instance_id is fenced. The cost: an
  // instance that stops for good keeps its partitions until session.timeout.ms passes.
  // Default: true.
  bool static_membership = true;
  // eos: commit the transaction at least this often. alos: the kInterval commit period.
  // Default: 100 ms.
  std::chrono::milliseconds commit_interval{100};
  // eos: commit once a transaction holds this many input records (a bound on the transaction's
  // size, hence on an abort's replay and the memory it holds), even before commit_interval.
  // Default: 100000: at 100k records/s a smaller cap would commit more often than the interval
  // asks (10000 did: every ~0.1 s under a 1 s interval, costing 28 % of eos throughput).
  int64_t max_records_per_transaction = 100000;
  // Records taken from the consumer per loop iteration. Default: 500.
  int poll_batch_size = 500;
  // alos only. Defaults: kInterval, 1000 (for kEveryN), synchronous commits.
  CommitPolicy commit_policy = CommitPolicy::kInterval;
  int64_t commit_every_records = 1000;
  bool async_commit = false;

  ErrorOptions errors;

  StateOptions state;

  // librdkafka properties passed through to the consumer, producer or both. Properties that
  // would break the mode's guarantee (enable.auto.commit=true, isolation.level, a
  // transactional.id of your own, acks other than all, enable.idempotence=false) are refused
  // with the reason. Default: none.
  std::map<std::string, std::string> consumer_properties;
  std::map<std::string, std::string> producer_properties;
  std::map<std::string, std::string> kafka_properties;  // both

  // eos: how long init_transactions, send_offsets_to_transaction and other bounded
  // transactional calls may take before the loop aborts and retries (the watchdog against
  // librdkafka #5456). Default: 30 s.
  std::chrono::milliseconds transaction_call_timeout{30000};
  // How long Run() retries a broker that does not answer at start before giving up with a
  // clear error. Default: 60 s.
  std::chrono::milliseconds startup_timeout{60000};

  // Stop (cleanly, Run() returns OK) once every assigned partition's position has reached its
  // end and everything is committed. For demos, tests and batch-like runs of one instance.
  // Default: false (run until Stop()).
  bool stop_when_caught_up = false;
};

}  // namespace onceflow

#endif  // ONCEFLOW_PROCESSOR_OPTIONS_H_
