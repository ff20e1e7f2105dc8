#include "sidecar/metrics_text.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace onceflow::sidecar {
namespace {

std::string Escape(const std::string& v) {
  return absl::StrReplaceAll(v, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

void Counter(std::string& out, const std::string& labels, const char* name, const char* help,
             int64_t value) {
  absl::StrAppend(&out, "# HELP onceflow_", name, " ", help, "\n# TYPE onceflow_", name,
                  " counter\nonceflow_", name, "{", labels, "} ", value, "\n");
}

void Gauge(std::string& out, const std::string& labels, const char* name, const char* help,
           double value) {
  absl::StrAppend(&out, "# HELP onceflow_", name, " ", help, "\n# TYPE onceflow_", name,
                  " gauge\nonceflow_", name, "{", labels, "} ", value, "\n");
}

void Histogram(std::string& out, const std::string& labels, const char* name, const char* help,
               const LatencyHistogram& h) {
  absl::StrAppend(&out, "# HELP onceflow_", name, " ", help, "\n# TYPE onceflow_", name,
                  " histogram\n");
  int64_t cumulative = 0;
  for (size_t i = 0; i < h.counts.size(); ++i) {
    cumulative += h.counts[i];
    const std::string le = i < h.bounds_ms.size() ? absl::StrCat(h.bounds_ms[i] / 1000.0) : "+Inf";
    absl::StrAppend(&out, "onceflow_", name, "_bucket{", labels, ",le=\"", le, "\"} ", cumulative,
                    "\n");
  }
  absl::StrAppend(&out, "onceflow_", name, "_sum{", labels, "} ", h.sum_ms / 1000.0, "\n");
  absl::StrAppend(&out, "onceflow_", name, "_count{", labels, "} ", h.count, "\n");
}

// A metric without onceflow's labels (build info, process_*).
void Plain(std::string& out, const char* name, const char* type, const char* help,
           const std::string& labels, double value) {
  // %.15g: a start time in seconds since the epoch keeps its milliseconds.
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n", name,
                  labels.empty() ? "" : absl::StrCat("{", labels, "}"), " ",
                  absl::StrFormat("%.15g", value), "\n");
}

void Head(std::string& out, const char* name, const char* help) {
  absl::StrAppend(&out, "# HELP onceflow_", name, " ", help, "\n# TYPE onceflow_", name,
                  " gauge\n");
}

// librdkafka's statistics (only when statistics.interval.ms > 0 made some).
void KafkaStatistics(std::string& out, const std::string& labels,
                     const std::vector<KafkaClientStatistics>& clients) {
  if (clients.empty()) return;
  auto client_labels = [&](const KafkaClientStatistics& c) {
    return absl::StrCat(labels, ",client=\"", Escape(c.client), "\"");
  };
  struct Rtt {
    const char* name;
    const char* help;
    double KafkaBrokerStatistics::*field;
  };
  for (const Rtt& rtt : {Rtt{"kafka_broker_rtt_seconds",
                             "Broker request round-trip time, average over the last statistics "
                             "interval (librdkafka).",
                             &KafkaBrokerStatistics::rtt_avg_seconds},
                         Rtt{"kafka_broker_rtt_p99_seconds",
                             "Broker request round-trip time, 99th percentile over the last "
                             "statistics interval (librdkafka).",
                             &KafkaBrokerStatistics::rtt_p99_seconds}}) {
    Head(out, rtt.name, rtt.help);
    for (const KafkaClientStatistics& c : clients) {
      for (const KafkaBrokerStatistics& b : c.brokers) {
        absl::StrAppend(&out, "onceflow_", rtt.name, "{", client_labels(c), ",broker=\"",
                        Escape(b.name), "\"} ", b.*rtt.field, "\n");
      }
    }
  }
  Head(out, "kafka_queue_messages",
       "Messages in the client's local queues: the producer's unacknowledged, the consumer's "
       "fetched and not yet polled (librdkafka).");
  for (const KafkaClientStatistics& c : clients) {
    absl::StrAppend(&out, "onceflow_kafka_queue_messages{", client_labels(c), "} ",
                    c.queue_messages, "\n");
  }
  Head(out, "kafka_queue_bytes", "Size of the messages in the client's local queues (librdkafka).");
  for (const KafkaClientStatistics& c : clients) {
    absl::StrAppend(&out, "onceflow_kafka_queue_bytes{", client_labels(c), "} ", c.queue_bytes,
                    "\n");
  }
}

}  // namespace

std::string RenderPrometheus(const ProcessorMetrics& m, const MetricsLabels& names,
                             const BuildInfo& build, const ProcessStats& process) {
  const std::string labels =
      absl::StrCat("application=\"", Escape(names.application), "\",instance_id=\"",
                   Escape(names.instance_id), "\",mode=\"", Escape(names.mode), "\"");
  const ProcessorStats& s = m.stats;
  std::string out;
  Counter(out, labels, "records_in_total", "Input records consumed (incl. re-reads after aborts).",
          s.records_in);
  Counter(out, labels, "records_out_total", "Output records produced.", s.records_out);
  Counter(out, labels, "records_deduplicated_total", "Input records dropped as duplicates.",
          s.deduplicated);
  Counter(out, labels, "records_keyless_total", "Input records without an idempotency key.",
          s.dedupe_keyless);
  Counter(out, labels, "dedupe_expired_total", "Dedupe entries removed after their window.",
          s.dedupe_expired);
  Counter(out, labels, "records_dead_lettered_total",
          "Input records written to the dead-letter topic.", s.dead_lettered);
  Counter(out, labels, "records_skipped_total", "Input records dropped by the skip policy.",
          s.skipped);
  Counter(out, labels, "transform_retries_total", "Transform calls retried after transient errors.",
          s.retries);
  Counter(out, labels, "transactions_committed_total", "Kafka transactions committed (eos).",
          s.transactions_committed);
  Counter(out, labels, "transactions_aborted_total", "Kafka transactions aborted (eos).",
          s.transactions_aborted);
  Counter(out, labels, "offset_commits_total", "Offset commits (alos).", s.offset_commits);
  Counter(out, labels, "rewinds_total",
          "Seeks back to the last commit after an abort or a failed delivery.", s.rewinds);
  Counter(out, labels, "producers_recreated_total",
          "Producers recreated after a non-fencing fatal error.", s.producers_recreated);
  Counter(out, labels, "rebalances_total", "Partition assignments received.", s.rebalances);
  Counter(out, labels, "state_restored_records_total",
          "Changelog records replayed into local state.", s.restored_records);
  absl::StrAppend(&out,
                  "# HELP onceflow_state_restore_seconds_total Time spent restoring local state.\n"
                  "# TYPE onceflow_state_restore_seconds_total counter\n"
                  "onceflow_state_restore_seconds_total{",
                  labels, "} ", static_cast<double>(s.restore_ms) / 1000.0, "\n");
  Histogram(
      out, labels, "commit_latency_seconds",
      "Commit duration: send_offsets + commit_transaction (eos), flush + offset commit (alos).",
      m.commit_latency);
  Histogram(out, labels, "end_to_end_latency_seconds",
            "From an input record's timestamp to the commit that made its outputs visible.",
            m.end_to_end_latency);
  absl::StrAppend(
      &out,
      "# HELP onceflow_consumer_lag_records Records between the position and the high watermark.\n"
      "# TYPE onceflow_consumer_lag_records gauge\n");
  for (const PartitionLag& l : m.lag) {
    absl::StrAppend(&out, "onceflow_consumer_lag_records{", labels, ",topic=\"", Escape(l.tp.topic),
                    "\",partition=\"", l.tp.partition.value(), "\"} ", l.lag, "\n");
  }
  KafkaStatistics(out, labels, m.kafka);
  Gauge(out, labels, "ready",
        "1 when the assignment (possibly empty) is in place and its state restored.",
        m.ready ? 1 : 0);
  Gauge(out, labels, "up", "1 while the processing loop runs.", m.running ? 1 : 0);
  Plain(out, "onceflow_build_info", "gauge",
        "Always 1; the labels say which onceflow and which libraries this process runs.",
        absl::StrCat("version=\"", Escape(build.version), "\",commit=\"", Escape(build.commit),
                     "\",librdkafka=\"", Escape(build.librdkafka), "\",rocksdb=\"",
                     Escape(build.rocksdb), "\",protobuf=\"", Escape(build.protobuf), "\""),
        1);
  if (process.ok) {
    Plain(out, "process_cpu_seconds_total", "counter",
          "Total user and system CPU time spent in seconds.", "", process.cpu_seconds);
    Plain(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", "",
          static_cast<double>(process.resident_memory_bytes));
    Plain(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", "",
          static_cast<double>(process.virtual_memory_bytes));
    Plain(out, "process_start_time_seconds", "gauge",
          "Start time of the process since unix epoch in seconds.", "", process.start_time_seconds);
    Plain(out, "process_open_fds", "gauge", "Number of open file descriptors.", "",
          static_cast<double>(process.open_fds));
    Plain(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.", "",
          static_cast<double>(process.max_fds));
  }
  return out;
}

}  // namespace onceflow::sidecar
