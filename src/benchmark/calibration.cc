#include "benchmark/calibration.h"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/child_process.h"
#include "base/file.h"
#include "onceflow/status_macros.h"

namespace onceflow::benchmark {
namespace {

absl::StatusOr<std::string> RunTool(const CalibrationSpec& spec, const std::string& name,
                                    std::vector<std::string> args) {
  std::vector<std::string> argv = {absl::StrCat(spec.repo, "/scripts/kafka"), "tool"};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string out = absl::StrCat(spec.work_dir, "/", name, ".out");
  const std::string err = absl::StrCat(spec.work_dir, "/", name, ".err");
  ONCEFLOW_ASSIGN_OR_RETURN(
      base::Completion r,
      base::RunToCompletion(argv, std::chrono::minutes(10),
                            {.spawn = {.stdout_path = out, .stderr_path = err}}));
  if (!r.exit.ok()) {
    return absl::InternalError(absl::StrCat(
        "calibration: ", args[0], " failed (", r.exit.ToString(), r.timed_out ? ", timed out" : "",
        "):\n", base::TailOfFile(err, 10), base::TailOfFile(out, 5)));
  }
  return r.output;
}

// ProducerPerformance's summary: "N records sent, X records/sec (Y MB/sec), ...".
absl::StatusOr<RunFigures> ParseProducer(const std::string& out) {
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    const size_t sent = line.find(" records sent, ");
    if (sent == absl::string_view::npos) continue;
    int64_t n = 0;
    double rate = 0;
    const absl::string_view rest = line.substr(sent + 15);
    if (!absl::SimpleAtoi(line.substr(0, sent), &n) ||
        !absl::SimpleAtod(rest.substr(0, rest.find(' ')), &rate) || rate <= 0) {
      break;
    }
    RunFigures f;
    f.records = n;
    f.seconds = static_cast<double>(n) / rate;
    return f;
  }
  return absl::InternalError(
      absl::StrCat("calibration: no summary from ProducerPerformance: ", out));
}

// ConsumerPerformance's last line: start.time, end.time, data.consumed.in.MB, MB.sec,
// data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec,
// fetch.nMsg.sec. The fetch figures exclude the group join.
absl::StatusOr<RunFigures> ParseConsumer(const std::string& out) {
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipWhitespace());
  if (!lines.empty()) {
    std::vector<std::string> f = absl::StrSplit(lines.back(), ',');
    int64_t n = 0;
    double fetch_ms = 0;
    if (f.size() >= 10 && absl::SimpleAtoi(absl::StripAsciiWhitespace(f[4]), &n) &&
        absl::SimpleAtod(absl::StripAsciiWhitespace(f[7]), &fetch_ms) && fetch_ms > 0) {
      RunFigures r;
      r.records = n;
      r.seconds = fetch_ms / 1000;
      return r;
    }
  }
  return absl::InternalError(
      absl::StrCat("calibration: no summary from ConsumerPerformance: ", out));
}

}  // namespace

absl::StatusOr<std::vector<ResultRow>> Calibrate(const CalibrationSpec& spec) {
  const BlockConfig& c = spec.config;
  const std::string linger = absl::StrCat("linger.ms=", c.linger_ms < 0 ? 5 : c.linger_ms);
  std::vector<ResultRow> rows;
  auto row = [&](std::string name, RunFigures f, std::string note) {
    ResultRow r;
    r.system = std::move(name);
    r.calibration = true;
    r.config = c;
    r.runs.push_back(f);
    r.note = std::move(note);
    rows.push_back(std::move(r));
  };
  const std::vector<std::string> common = {"--num-records", absl::StrCat(c.records),
                                           "--record-size", absl::StrCat(c.size),
                                           "--throughput",  "-1"};
  std::vector<std::string> plain = {"org.apache.kafka.tools.ProducerPerformance", "--topic",
                                    spec.producer_topic};
  plain.insert(plain.end(), common.begin(), common.end());
  for (const std::string& p :
       {std::string("--producer-props"), absl::StrCat("bootstrap.servers=", spec.bootstrap),
        std::string("acks=all"), std::string("compression.type=none"), linger}) {
    plain.push_back(p);
  }
  ONCEFLOW_ASSIGN_OR_RETURN(std::string out, RunTool(spec, "calibration-producer", plain));
  ONCEFLOW_ASSIGN_OR_RETURN(RunFigures producer, ParseProducer(out));
  row("calibration-producer", producer,
      absl::StrCat("Kafka ProducerPerformance, ", linger,
                   ", acks=all; no CPU figure (the JVM's "
                   "start would dominate it)"));

  std::vector<std::string> txn = plain;
  txn[2] = spec.txn_topic;
  txn.insert(txn.begin() + 3, {"--transactional-id", spec.txn_id, "--transaction-duration-ms",
                               absl::StrCat(c.commit_interval_ms)});
  ONCEFLOW_ASSIGN_OR_RETURN(out, RunTool(spec, "calibration-producer-txn", txn));
  ONCEFLOW_ASSIGN_OR_RETURN(RunFigures txn_producer, ParseProducer(out));
  row("calibration-producer-txn", txn_producer,
      absl::StrCat("the same, transactional, a transaction every ", c.commit_interval_ms, " ms"));

  ONCEFLOW_ASSIGN_OR_RETURN(
      out, RunTool(spec, "calibration-consumer",
                   {"org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server",
                    spec.bootstrap, "--topic", spec.input_topic, "--messages",
                    absl::StrCat(c.records), "--timeout", "60000"}));
  ONCEFLOW_ASSIGN_OR_RETURN(RunFigures consumer, ParseConsumer(out));
  row("calibration-consumer", consumer,
      "Kafka ConsumerPerformance on the preloaded input (fetch time, group join excluded)");
  return rows;
}

}  // namespace onceflow::benchmark
