#include "sidecar/run_command.h"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "onceflow/processor.h"
#include "onceflow/status_macros.h"
#include "runtime/log.h"
#include "sidecar/builtins.h"
#include "sidecar/http_server.h"
#include "sidecar/metrics_text.h"

namespace onceflow::sidecar {
namespace {

constexpr char kUsage[] =
    R"(Usage: onceflow run --config FILE [--metrics-address HOST:PORT] [--until-drained]

Runs the pipeline FILE describes (YAML, JSON or textproto; see docs/sidecar.md) until SIGTERM or
SIGINT, which commit what is in flight, leave the group and exit 0. A second signal exits at
once (uncommitted work is redone by the next start, exactly once under eos).

--until-drained stops (cleanly, exit 0) once every assigned input partition is processed to its
end and committed: a batch run for one instance.

Serves /metrics (Prometheus text), /healthz and /readyz on metrics.address
(default 127.0.0.1:9464; "off" for none).

Exit codes: 0 clean stop, 1 other failure (e.g. a record failed under errors.policy fail),
2 bad config or usage, 3 fenced by another instance with the same instance_id,
4 fatal Kafka error (incl. a cluster unreachable at start).
)";

std::atomic<Processor*> g_processor{nullptr};
std::atomic<int> g_signals{0};

extern "C" void OnSignal(int) {
  if (g_signals.fetch_add(1) >= 1) _exit(130);  // second signal: stop now
  Processor* p = g_processor.load();
  if (p != nullptr) p->Stop();
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

int RunRun(int argc, char** argv) {
  std::string config_path;
  std::string metrics_override;
  bool until_drained = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (flag == "--until-drained") {
      until_drained = true;
      continue;
    }
    if ((flag == "--config" || flag == "--metrics-address") && i + 1 < argc) {
      (flag == "--config" ? config_path : metrics_override) = argv[++i];
    } else {
      std::cerr << "onceflow run: unknown or incomplete argument '" << flag << "'\n" << kUsage;
      return 2;
    }
  }
  if (config_path.empty()) {
    std::cerr << "onceflow run: --config FILE is required\n" << kUsage;
    return 2;
  }

  absl::StatusOr<LoadedConfig> loaded = LoadConfig(config_path);
  if (!loaded.ok()) {
    std::cerr << "onceflow run: " << loaded.status().message() << "\n";
    return loaded.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  if (absl::Status st = ValidateConfig(*loaded); !st.ok()) {
    std::cerr << "onceflow run: " << st.message() << "\n";
    return 2;
  }
  const std::string level = loaded->config.log().level();
  if (level == "debug") runtime::SetLogLevel(runtime::LogLevel::kDebug);
  if (level == "warn") runtime::SetLogLevel(runtime::LogLevel::kWarn);
  if (level == "error") runtime::SetLogLevel(runtime::LogLevel::kError);

  absl::StatusOr<ProcessorOptions> options = ToProcessorOptions(*loaded);
  if (!options.ok()) {
    std::cerr << "onceflow run: " << options.status().message() << "\n";
    return 2;
  }
  options->stop_when_caught_up = until_drained;
  absl::StatusOr<std::unique_ptr<Transform>> chain = BuildChain(loaded->config.transforms());
  if (!chain.ok()) {
    std::cerr << "onceflow run: " << config_path << ": " << chain.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<std::unique_ptr<Processor>> processor =
      Processor::Create(*options, *std::move(chain));
  if (!processor.ok()) {
    std::cerr << "onceflow run: " << processor.status().message() << "\n";
    return ProcessorExitCode(processor.status());
  }

  std::string address = loaded->config.metrics().address();
  if (!metrics_override.empty()) address = metrics_override;
  if (address.empty()) address = "127.0.0.1:9464";
  std::unique_ptr<HttpServer> http;
  if (address != "off") {
    Processor* p = processor->get();
    const std::string app = options->application_id;
    const std::string instance = options->instance_id;
    const std::string mode = ModeName(options->mode);
    absl::StatusOr<std::unique_ptr<HttpServer>> server =
        HttpServer::Start(address, [p, app, instance, mode](const std::string& path) {
          const ProcessorMetrics m = p->metrics();
          if (path == "/metrics") {
            return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                                RenderPrometheus(m, app, instance, mode)};
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
      std::cerr << "onceflow run: " << server.status().message() << "\n";
      return 2;
    }
    http = *std::move(server);
    runtime::Log(runtime::LogLevel::kInfo,
                 absl::StrCat("metrics on http://", address.substr(0, address.rfind(':')), ":",
                              http->port(), "/metrics"));
  }

  g_processor = processor->get();
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  const absl::Status st = (*processor)->Run();
  g_processor = nullptr;
  if (!st.ok()) std::cerr << "onceflow run: " << st.message() << "\n";
  return ProcessorExitCode(st);
}

}  // namespace onceflow::sidecar
