// The systems `onceflow bench` compares, behind one interface: each drains an input topic into
// an output topic and says how long that took and what CPU it used.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<System> system, MakeSystem("onceflow-eos", env));
//   ONCEFLOW_ASSIGN_OR_RETURN(RunOutcome outcome, system->Run(spec));
//
// Systems: raw (a plain librdkafka consume -> produce loop, no commits: the ceiling),
// onceflow-alos, onceflow-eos, onceflow-eos-dedupe (in-process Processors),
// kafka-streams-eos, kafka-streams-alos, kafka-streams-eos-dedupe (the Java peer in
// bench/peers/kafka-streams built against Kafka Streams 4.4, a child process) and the same three
// as kafka-streams-3.9-* (the peer built against 3.9). The versions are pinned in the peer's
// pom.xml only. See docs/benchmarks.md for what each one does.
#ifndef ONCEFLOW_BENCHMARK_SYSTEMS_H_
#define ONCEFLOW_BENCHMARK_SYSTEMS_H_

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kafka/config.h"

namespace onceflow::benchmark {

// Every system name `--systems` accepts, in the order tables list them.
const std::vector<std::string>& KnownSystems();

// Where things are, shared by every run.
struct Environment {
  std::string bootstrap;
  std::string repo;      // the onceflow checkout (bench/peers, scripts/kafka)
  std::string work_dir;  // a private temp dir: state dirs, child logs
  // librdkafka properties of every onceflow-side client (raw, onceflow-*, preload, latency,
  // verify), with bootstrap.servers. The Java systems (Kafka Streams, calibration) take only
  // the bootstrap servers.
  kafka::Properties client;
};

// One run of one system.
struct RunSpec {
  std::string input_topic;    // preloaded, or written during the run (latency)
  std::string output_topic;   // exists, empty
  int partitions = 1;         // of the input topic
  int64_t input_records = 0;  // throughput: records in the input, all to be processed
  int threads = 1;
  int commit_interval_ms = 100;
  int linger_ms = -1;  // the producer's linger.ms; -1 = the system's own default
  // Unique per run: consumer group, application.id, transactional.id prefix.
  std::string app_id;
  // Latency runs: keep running (never stop at the end of the input) until *stop is true.
  // Null: a throughput run, which stops once the whole input is processed and committed.
  const std::atomic<bool>* stop = nullptr;
};

struct RunOutcome {
  int64_t records = 0;        // input records processed
  double seconds = 0;         // first record processed -> last output committed/acknowledged
  double cpu_seconds = -1;    // the system's process over the same span; < 0 unknown
  // Commits: eos, transactions committed; alos, offset commits; -1 n/a (raw, Streams).
  int64_t transactions = -1;
  // onceflow: the p99 of its commits (eos: send_offsets + commit_transaction; alos: flush +
  // offset commit), as the upper bound of the Processor's histogram bucket that holds it, so a
  // slight overestimate; NaN for systems that do not report it.
  double commit_p99_ms = std::numeric_limits<double>::quiet_NaN();
  // onceflow: the share of the span its loops spent inside commits (the commit histogram's
  // sum over span x threads), the time overlapping commits with processing could win back;
  // NaN for systems that do not report it.
  double commit_share = std::numeric_limits<double>::quiet_NaN();
  // Topics the system created for itself (changelogs) that the caller should delete.
  std::vector<std::string> internal_topics;
};

class System {
 public:
  virtual ~System() = default;
  virtual std::string name() const = 0;
  // Runs once against `spec`. Blocks until done (or, with spec.stop, until stopped).
  virtual absl::StatusOr<RunOutcome> Run(const RunSpec& spec) = 0;
};

// kInvalidArgument for an unknown name; kFailedPrecondition when a Kafka Streams system is
// asked for and its jar cannot be found or built.
absl::StatusOr<std::unique_ptr<System>> MakeSystem(const std::string& name, const Environment& env);

// Makes sure the Kafka Streams peer's jar for `kafka_line` ("" = the default build, Kafka
// Streams 4.4; "3.9" = the pom's kafka-3.9 profile) exists and is newer than the peer's pom.xml
// and sources, building it with Maven (with a message on stderr) if not. Returns its path.
// kInvalidArgument for a line the pom does not build.
absl::StatusOr<std::string> EnsureStreamsPeerJar(const std::string& repo,
                                                 absl::string_view kafka_line);

// This process's user + system CPU seconds so far (all threads).
double ProcessCpuSeconds();

}  // namespace onceflow::benchmark

#endif  // ONCEFLOW_BENCHMARK_SYSTEMS_H_
