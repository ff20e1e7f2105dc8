// onceflow_test_pipeline: a Processor in its own process, for crash, fencing and rebalance
// tests (the tests SIGKILL it, or set $ONCEFLOW_FAULT so it kills itself at a chosen point).
//
// Transform "tag": value -> value + "|t", key kept, header "src" = "<topic>/<partition>/<offset>".
// Exit codes are ProcessorExitCode's (0 clean stop, 3 fenced, ...).
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "examples/key_counter/key_counter.h"
#include "onceflow/processor.h"
#include "onceflow/transform.h"

namespace {

onceflow::Processor* g_processor = nullptr;

extern "C" void OnSignal(int) {
  if (g_processor != nullptr) g_processor->Stop();
}

int Usage(const std::string& why) {
  std::cerr
      << "onceflow_test_pipeline: " << why
      << "\nflags: --bootstrap B --app A --instance I --input T[,T] --output T "
         "[--mode eos|alos] [--commit-interval-ms N] [--alos-policy "
         "record|batch|every-n|interval] [--stop-when-caught-up] "
         "[--session-timeout-ms N] [--delay-us N] [--max-records-per-txn N] [--commit-every N] "
         "[--state-dir DIR] [--dedupe-header NAME] [--count] [--flaky] [--dynamic-membership] "
         "[--assignor NAME]\n"
         "  [--consumer-property NAME=VALUE]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  onceflow::ProcessorOptions options;
  int delay_us = 0;  // per record: makes a stream last long enough to rebalance mid-way
  bool count = false;
  bool flaky = false;
  options.kafka_properties["topic.metadata.refresh.interval.ms"] = "1000";
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (flag == "--bootstrap") {
      options.bootstrap_servers = next();
    } else if (flag == "--app") {
      options.application_id = next();
    } else if (flag == "--instance") {
      options.instance_id = next();
    } else if (flag == "--input") {
      options.input_topics = absl::StrSplit(next(), ',');
    } else if (flag == "--output") {
      options.output_topic = next();
    } else if (flag == "--mode") {
      const std::string mode = next();
      if (mode == "eos") {
        options.mode = onceflow::Mode::kExactlyOnce;
      } else if (mode == "alos") {
        options.mode = onceflow::Mode::kAtLeastOnce;
      } else {
        return Usage("bad --mode " + mode);
      }
    } else if (flag == "--commit-interval-ms") {
      int ms = 0;
      if (!absl::SimpleAtoi(next(), &ms)) return Usage("bad --commit-interval-ms");
      options.commit_interval = std::chrono::milliseconds(ms);
    } else if (flag == "--alos-policy") {
      const std::string p = next();
      if (p == "record") {
        options.commit_policy = onceflow::CommitPolicy::kPerRecord;
      } else if (p == "batch") {
        options.commit_policy = onceflow::CommitPolicy::kPerBatch;
      } else if (p == "every-n") {
        options.commit_policy = onceflow::CommitPolicy::kEveryN;
      } else if (p == "interval") {
        options.commit_policy = onceflow::CommitPolicy::kInterval;
      } else {
        return Usage("bad --alos-policy " + p);
      }
    } else if (flag == "--stop-when-caught-up") {
      options.stop_when_caught_up = true;
    } else if (flag == "--session-timeout-ms") {
      options.consumer_properties["session.timeout.ms"] = next();
    } else if (flag == "--max-records-per-txn") {
      if (!absl::SimpleAtoi(next(), &options.max_records_per_transaction)) {
        return Usage("bad --max-records-per-txn");
      }
    } else if (flag == "--commit-every") {
      if (!absl::SimpleAtoi(next(), &options.commit_every_records)) {
        return Usage("bad --commit-every");
      }
    } else if (flag == "--delay-us") {
      if (!absl::SimpleAtoi(next(), &delay_us)) return Usage("bad --delay-us");
    } else if (flag == "--state-dir") {
      options.state.dir = next();
    } else if (flag == "--dedupe-header") {
      onceflow::state::DedupeOptions dedupe;
      dedupe.source = onceflow::state::DedupeKeySource::kHeader;
      dedupe.header = next();
      options.state.dedupe = dedupe;
    } else if (flag == "--count") {
      count = true;  // the key_counter example instead of "tag"
      options.state.stores = {onceflow::examples::kCountsStore};
    } else if (flag == "--flaky") {
      // After the transform, a stage that fails each record's first attempt transiently (1 ms
      // backoff): a retried record must not apply its state writes twice.
      flaky = true;
      options.errors.retry.base_backoff = std::chrono::milliseconds(1);
      options.errors.retry.max_backoff = std::chrono::milliseconds(1);
    } else if (flag == "--dynamic-membership") {
      options.static_membership = false;
    } else if (flag == "--assignor") {
      options.consumer_properties["partition.assignment.strategy"] = next();
    } else if (flag == "--consumer-property") {
      const std::string kv = next();
      const size_t eq = kv.find('=');
      if (eq == std::string::npos) return Usage("--consumer-property wants NAME=VALUE");
      options.consumer_properties[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else {
      return Usage("unknown flag " + flag);
    }
  }

  auto tag = onceflow::Map(
      [delay_us](const onceflow::Record& r) {
        // A delay of a second or more is something a test waits on: say when it starts.
        if (delay_us >= 1000000) std::cerr << "pipeline_child: delaying a record\n" << std::flush;
        if (delay_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
        return onceflow::OutputRecord::Forward(r)
            .SetValue(absl::StrCat(r.value(), "|t"))
            .AddHeader("src", absl::StrCat(r.topic(), "/", r.partition().value(), "/",
                                           r.offset().value()));
      },
      "tag");
  std::unique_ptr<onceflow::Transform> transform = std::move(tag);
  if (count) transform = std::make_unique<onceflow::examples::KeyCounter>();
  if (flaky) {
    auto seen = std::make_shared<std::set<std::string>>();
    transform = onceflow::Chain(
        std::move(transform),
        onceflow::FlatMap(
            [seen](const onceflow::Record& r, onceflow::Emitter& out) -> absl::Status {
              const std::string id = absl::StrCat(r.topic(), "/", r.partition().value(), "/",
                                                  r.offset().value());
              if (seen->insert(id).second) return absl::UnavailableError("first attempt fails");
              out.Emit(onceflow::OutputRecord::Forward(r));
              return absl::OkStatus();
            },
            "fails_first_attempt"));
  }
  auto processor = onceflow::Processor::Create(options, std::move(transform));
  if (!processor.ok()) {
    std::cerr << "onceflow_test_pipeline: " << processor.status() << "\n";
    return onceflow::ProcessorExitCode(processor.status());
  }
  g_processor = processor->get();
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  const absl::Status st = (*processor)->Run();
  g_processor = nullptr;
  if (!st.ok()) std::cerr << "onceflow_test_pipeline: " << st << "\n";
  return onceflow::ProcessorExitCode(st);
}
