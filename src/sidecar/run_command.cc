#include "sidecar/run_command.h"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "kafka/error.h"
#include "onceflow/processor.h"
#include "onceflow/status_macros.h"
#include "runtime/log.h"
#include "sidecar/access.h"
#include "sidecar/build_info.h"
#include "sidecar/builtins.h"
#include "sidecar/command_output.h"
#include "sidecar/dedupe_config.h"
#include "sidecar/exit_codes.h"
#include "sidecar/http_server.h"
#include "sidecar/listen_address.h"
#include "sidecar/metrics_text.h"
#include "sidecar/preflight.h"
#include "sidecar/process_stats.h"

namespace onceflow::sidecar {
namespace {

std::atomic<Processor*> g_processor{nullptr};
std::atomic<int> g_signals{0};

extern "C" void OnSignal(int) {
  if (g_signals.fetch_add(1) >= 1) _exit(kExitSecondSignal);  // second signal: stop now
  Processor* p = g_processor.load();
  if (p != nullptr) p->Stop();
}

// How long `run` waits for the cluster at start (ProcessorOptions' startup_timeout).
constexpr std::chrono::seconds kStartupTimeout{60};

// A fatal message: the plain "onceflow run: ..." line people and tests read, or, in json
// format, one log line (so a log shipper sees only JSON).
bool g_json_logs = false;  // set once, before any thread starts

void Fatal(absl::string_view message) {
  if (g_json_logs) {
    runtime::Log(runtime::LogLevel::kError, absl::StrCat("onceflow run: ", message));
  } else {
    std::cerr << "onceflow run: " << message << "\n";
  }
}

// The exit code for the engine's (explained) status.
int ExitCode(const absl::Status& st) {
  if (IsAccessDenied(st) || absl::IsUnauthenticated(st) ||
      (absl::IsPermissionDenied(st) && kafka::KafkaErrorCode(st).has_value())) {
    return kExitAccessDenied;
  }
  return ProcessorExitCode(st);
}

const char* ModeName(Mode m) { return m == Mode::kExactlyOnce ? "eos" : "alos"; }

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

absl::StatusOr<ProcessorOptions> ToProcessorOptions(const LoadedConfig& loaded) {
  const v1::PipelineConfig& c = loaded.config;
  ProcessorOptions o;
  o.bootstrap_servers = c.bootstrap_servers();
  o.application_id = c.application_id();
  o.instance_id = c.instance_id();
  if (o.instance_id.empty()) {
    const char* env = std::getenv("ONCEFLOW_INSTANCE_ID");
    if (env != nullptr) o.instance_id = env;
  }
  if (o.instance_id.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0') o.instance_id = host;
  }
  o.input_topics.assign(c.inputs().begin(), c.inputs().end());
  o.output_topic = c.output();
  o.mode = c.mode() == "alos" ? Mode::kAtLeastOnce : Mode::kExactlyOnce;
  if (c.commit_interval_ms() > 0)
    o.commit_interval = std::chrono::milliseconds(c.commit_interval_ms());
  if (c.max_records_per_transaction() > 0) {
    o.max_records_per_transaction = c.max_records_per_transaction();
  }
  if (c.commit_policy() == "record") o.commit_policy = CommitPolicy::kPerRecord;
  if (c.commit_policy() == "batch") o.commit_policy = CommitPolicy::kPerBatch;
  if (c.commit_policy() == "every_n") o.commit_policy = CommitPolicy::kEveryN;
  if (c.commit_every_records() > 0) o.commit_every_records = c.commit_every_records();
  if (c.has_static_membership()) o.static_membership = c.static_membership();

  if (!c.state().dir().empty()) o.state.dir = c.state().dir();
  if (c.state().block_cache_mb() > 0) {
    o.state.memory.block_cache_bytes = static_cast<size_t>(c.state().block_cache_mb()) << 20;
  }
  if (c.state().write_buffer_mb() > 0) {
    o.state.memory.write_buffer_bytes = static_cast<size_t>(c.state().write_buffer_mb()) << 20;
  }
  o.state.stores = StoresOf(c.transforms());
  if (c.has_dedupe()) {
    absl::StatusOr<state::DedupeOptions> dedupe = BuildDedupeOptions(c.dedupe());
    if (!dedupe.ok()) return loaded.Error("dedupe", dedupe.status().message());
    o.state.dedupe = *std::move(dedupe);
  }

  const v1::ErrorConfig& e = c.errors();
  if (e.policy() == "skip") o.errors.policy = ErrorPolicy::kSkip;
  if (e.policy() == "dlq") o.errors.policy = ErrorPolicy::kDeadLetter;
  o.errors.dead_letter_topic = e.dead_letter_topic();
  if (e.header_style() == "kafka_streams") {
    o.errors.header_style = DeadLetterHeaderStyle::kKafkaStreams;
  } else if (e.header_style() == "kafka_connect") {
    o.errors.header_style = DeadLetterHeaderStyle::kKafkaConnect;
  }
  if (e.max_attempts() > 0) o.errors.retry.max_attempts = static_cast<int>(e.max_attempts());
  if (e.base_backoff_ms() > 0)
    o.errors.retry.base_backoff = std::chrono::milliseconds(e.base_backoff_ms());
  if (e.max_backoff_ms() > 0)
    o.errors.retry.max_backoff = std::chrono::milliseconds(e.max_backoff_ms());

  o.kafka_properties.insert(c.kafka().begin(), c.kafka().end());
  o.consumer_properties.insert(c.consumer().begin(), c.consumer().end());
  o.producer_properties.insert(c.producer().begin(), c.producer().end());
  return o;
}

const char kRunDescription[] =
    R"text(Runs the pipeline FILE describes (YAML, JSON or textproto; see docs/sidecar.md) until SIGTERM or
SIGINT, which commit what is in flight, leave the group and exit 0. A second signal exits at
once (uncommitted work is redone by the next start, exactly once under eos).

Serves /metrics (Prometheus text), /healthz and /readyz on metrics.address
(default 127.0.0.1:9464; "off" for none).)text";

const char kRunFooter[] =
    R"text(Exit codes: 0 clean stop, 1 other failure (e.g. a record failed under errors.policy fail),
2 bad config or usage, 3 fenced by another instance with the same instance_id,
4 fatal Kafka error (incl. a cluster unreachable at start), 5 access refused (SASL
authentication, an untrusted broker certificate, a missing ACL), 130 a second signal.)text";

int RunRun(const RunFlags& flags) {
  absl::StatusOr<LoadedConfig> loaded = LoadConfig(flags.config);
  if (!loaded.ok()) {
    Fatal(loaded.status().message());
    return loaded.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  if (absl::Status st = ValidateConfig(*loaded); !st.ok()) {
    Fatal(st.message());
    return kExitUsage;
  }
  if (!flags.metrics_address.empty() && flags.metrics_address != "off") {
    if (absl::StatusOr<ListenAddress> a = ParseListenAddress(flags.metrics_address, true);
        !a.ok()) {
      return UsageError("run", absl::StrCat("--metrics-address ", a.status().message()));
    }
  }
  const std::string level = loaded->config.log().level();
  if (level == "debug") runtime::SetLogLevel(runtime::LogLevel::kDebug);
  if (level == "warn") runtime::SetLogLevel(runtime::LogLevel::kWarn);
  if (level == "error") runtime::SetLogLevel(runtime::LogLevel::kError);
  const std::string format =
      flags.log_format.empty() ? loaded->config.log().format() : flags.log_format;
  if (format == "json") runtime::SetLogFormat(runtime::LogFormat::kJson);
  g_json_logs = format == "json";
  if (format == "text") runtime::SetLogFormat(runtime::LogFormat::kText);

  absl::StatusOr<ProcessorOptions> options = ToProcessorOptions(*loaded);
  if (!options.ok()) {
    Fatal(options.status().message());
    return kExitUsage;
  }
  options->stop_when_caught_up = flags.until_drained;
  absl::StatusOr<std::unique_ptr<Transform>> chain = BuildChain(loaded->config.transforms());
  if (!chain.ok()) {
    Fatal(absl::StrCat(flags.config, ": ", chain.status().message()));
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<Processor>> processor =
      Processor::Create(*options, *std::move(chain));
  if (!processor.ok()) {
    Fatal(processor.status().message());
    return ProcessorExitCode(processor.status());
  }
  const BuildInfo& build = GetBuildInfo();
  runtime::Log(runtime::LogLevel::kInfo,
               absl::StrCat("onceflow ", build.version, " (commit ", build.commit, ", librdkafka ",
                            build.librdkafka, ", RocksDB ", build.rocksdb, ", protobuf ",
                            build.protobuf, "): config ", flags.config));

  std::string address = loaded->config.metrics().address();
  if (!flags.metrics_address.empty()) address = flags.metrics_address;
  if (address.empty()) address = "127.0.0.1:9464";
  std::unique_ptr<HttpServer> http;
  if (address != "off") {
    Processor* p = processor->get();
    const MetricsLabels labels{options->application_id, options->instance_id,
                               ModeName(options->mode)};
    absl::StatusOr<std::unique_ptr<HttpServer>> server =
        HttpServer::Start(address, [p, labels](const std::string& path) {
          const ProcessorMetrics m = p->metrics();
          if (path == "/metrics") {
            return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                                RenderPrometheus(m, labels, GetBuildInfo(), ReadProcessStats())};
          }
          if (path == "/healthz") {
            // Alive: the loop turned within the last 30 s (a poll waits 100 ms at most; a
            // restore or a commit retry can take longer, but not this long).
            const bool alive = m.running && NowMs() - m.last_loop_ms < 30000;
            return HttpResponse{alive ? 200 : 503, "text/plain; charset=utf-8",
                                alive ? "ok\n" : "not running\n"};
          }
          if (path == "/readyz") {
            return HttpResponse{m.ready ? 200 : 503, "text/plain; charset=utf-8",
                                m.ready ? "ready\n"
                                        : "not ready: no partitions assigned or state "
                                          "still restoring\n"};
          }
          return HttpResponse{404, "text/plain; charset=utf-8",
                              "try /metrics, /healthz or /readyz\n"};
        });
    if (!server.ok()) {
      Fatal(server.status().message());
      return kExitUsage;
    }
    http = *std::move(server);
    absl::StatusOr<ListenAddress> bound = ParseListenAddress(address, true);
    if (bound.ok()) bound->port = http->port();
    runtime::Log(
        runtime::LogLevel::kInfo,
        absl::StrCat("metrics on http://", bound.ok() ? bound->ToString() : address, "/metrics"));
  }

  g_processor = processor->get();
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  // Access first: a refused login, an untrusted certificate or a missing topic or group ACL
  // ends the start here, clearly, before anything is consumed.
  if (absl::Status st = CheckAccess(
          *options, [] { return g_signals.load() > 0; },
          std::chrono::duration_cast<std::chrono::milliseconds>(kStartupTimeout));
      !st.ok()) {
    g_processor = nullptr;
    if (absl::IsCancelled(st)) return kExitOk;  // a signal during start-up: nothing consumed
    Fatal(st.message());
    return ExitCode(st);
  }
  if (g_signals.load() > 0) return kExitOk;
  const absl::Status st = ExplainRunError((*processor)->Run(), *options);
  g_processor = nullptr;
  if (!st.ok()) Fatal(st.message());
  return ExitCode(st);
}

}  // namespace onceflow::sidecar
