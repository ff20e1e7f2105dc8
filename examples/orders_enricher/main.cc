// onceflow_orders_enricher: a small program on the onceflow library. It reads JSON orders from
// one topic, adds each order's total and size tier, and writes the enriched orders to another
// topic, exactly once (or at least once, with --mode alos).
//
//   onceflow_orders_enricher --input demo-in --output demo-out --dead-letter-topic demo-dlq
//
// An input that is not a valid order (not JSON, wrong types, unknown fields, no order_id, a
// quantity below 1) is a permanent error: with --dead-letter-topic it is written there, with
// headers saying why, in the same transaction as the outputs; without it the processor stops
// and commits nothing after the record before it. SIGINT or SIGTERM stops it cleanly (the open
// transaction is committed); a second one kills it.
#include <signal.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "onceflow/processor.h"
#include "onceflow/processor_options.h"
#include "onceflow/transform.h"
#include "onceflow/typed_transform.h"
#include "orders_enricher/orders.pb.h"

namespace {

using onceflow::examples::EnrichedOrder;
using onceflow::examples::Order;

constexpr int kExitUsage = 2;

constexpr char kUsage[] = R"(Usage: onceflow_orders_enricher [options]

Reads JSON orders (protobuf JSON mapping of onceflow.examples.Order) from --input, writes
each with its total and size tier (onceflow.examples.EnrichedOrder) to --output.

Options:
  --bootstrap HOST:PORT      Kafka bootstrap servers (default $ONCEFLOW_BOOTSTRAP or
                             127.0.0.1:19092)
  --app ID                   application id: consumer group and transactional.id prefix
                             (default orders-enricher)
  --instance ID              this instance's stable id (default demo)
  --input TOPIC              topic of orders (default demo-in)
  --output TOPIC             topic of enriched orders (default demo-out)
  --mode eos|alos            exactly-once (transactions) or at-least-once (default eos)
  --dead-letter-topic TOPIC  where invalid orders go, with error headers (default: none, an
                             invalid order stops the processor)
  --until-drained            stop once every input partition is processed to its end
  --help                     this text

Exit codes: 0 ok, 1 error, 2 bad arguments or options, 3 fenced by another instance with
the same --app and --instance, 4 other fatal Kafka errors.
)";

// Orders at or above these totals (in cents) are "medium" and "large".
constexpr int64_t kMediumFromCents = 10'000;
constexpr int64_t kLargeFromCents = 100'000;

const char* Tier(int64_t total_cents) {
  if (total_cents < kMediumFromCents) return "small";
  if (total_cents < kLargeFromCents) return "medium";
  return "large";
}

// The business logic: a pure function, easy to unit-test without Kafka.
absl::StatusOr<EnrichedOrder> Enrich(const Order& order) {
  if (order.order_id().empty()) return onceflow::PermanentError("order has no order_id");
  if (order.quantity() < 1) {
    return onceflow::PermanentError(
        absl::StrCat("order ", order.order_id(), ": quantity ", order.quantity(), " < 1"));
  }
  if (order.unit_price_cents() < 0) {
    return onceflow::PermanentError(
        absl::StrCat("order ", order.order_id(), ": negative unit_price_cents"));
  }
  int64_t total = 0;
  if (__builtin_mul_overflow(int64_t{order.quantity()}, order.unit_price_cents(), &total)) {
    return onceflow::PermanentError(
        absl::StrCat("order ", order.order_id(), ": total overflows 64 bits"));
  }
  EnrichedOrder out;
  out.set_order_id(order.order_id());
  out.set_customer(order.customer());
  out.set_sku(order.sku());
  out.set_quantity(order.quantity());
  out.set_unit_price_cents(order.unit_price_cents());
  out.set_total_cents(total);
  out.set_tier(Tier(total));
  out.set_enriched_by("onceflow");
  return out;
}

// ---------------------------------------------------------------- flags

struct Flags {
  std::string bootstrap;
  std::string app = "orders-enricher";
  std::string instance = "demo";
  std::string input = "demo-in";
  std::string output = "demo-out";
  std::string mode = "eos";
  std::string dead_letter_topic;
  bool until_drained = false;
  bool help = false;
};

std::string DefaultBootstrap() {
  const char* env = std::getenv("ONCEFLOW_BOOTSTRAP");
  return env != nullptr && *env != '\0' ? env : "127.0.0.1:19092";
}

// Parses "--name value" and "--name=value"; kInvalidArgument names what is wrong.
absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags flags;
  flags.bootstrap = DefaultBootstrap();
  const std::map<std::string, std::string Flags::*> valued = {
      {"--bootstrap", &Flags::bootstrap},
      {"--app", &Flags::app},
      {"--instance", &Flags::instance},
      {"--input", &Flags::input},
      {"--output", &Flags::output},
      {"--mode", &Flags::mode},
      {"--dead-letter-topic", &Flags::dead_letter_topic}};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      flags.help = true;
      continue;
    }
    if (arg == "--until-drained") {
      flags.until_drained = true;
      continue;
    }
    std::string value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); absl::StartsWith(arg, "--") && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
      has_value = true;
    }
    auto it = valued.find(arg);
    if (it == valued.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown argument '", argv[i], "'"));
    }
    if (!has_value) {
      if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat(arg, " needs a value"));
      value = argv[++i];
    }
    if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(arg, " is empty"));
    flags.*(it->second) = std::move(value);
  }
  if (flags.mode != "eos" && flags.mode != "alos") {
    return absl::InvalidArgumentError(
        absl::StrCat("--mode is eos or alos, not '", flags.mode, "'"));
  }
  return flags;
}

onceflow::ProcessorOptions ToOptions(const Flags& flags) {
  onceflow::ProcessorOptions options;
  options.bootstrap_servers = flags.bootstrap;
  options.application_id = flags.app;
  options.instance_id = flags.instance;
  options.input_topics = {flags.input};
  options.output_topic = flags.output;
  options.mode = flags.mode == "eos" ? onceflow::Mode::kExactlyOnce : onceflow::Mode::kAtLeastOnce;
  if (!flags.dead_letter_topic.empty()) {
    options.errors.policy = onceflow::ErrorPolicy::kDeadLetter;
    options.errors.dead_letter_topic = flags.dead_letter_topic;
  }
  options.stop_when_caught_up = flags.until_drained;
  return options;
}

// ---------------------------------------------------------------- signals

// The running processor, for the signal handler. Processor::Stop() only stores to a
// lock-free atomic, so calling it from a handler is safe.
std::atomic<onceflow::Processor*> g_processor{nullptr};

extern "C" void OnStopSignal(int /*signo*/) {
  if (onceflow::Processor* p = g_processor.load()) p->Stop();
}

// SA_RESETHAND: the first signal asks for a clean stop, a second one kills the process.
void InstallStopHandlers() {
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  action.sa_flags = SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

std::string Summary(const onceflow::ProcessorStats& s) {
  return absl::StrCat("in=", s.records_in, " out=", s.records_out,
                      " dead_lettered=", s.dead_lettered, " skipped=", s.skipped,
                      " retries=", s.retries, " transactions=", s.transactions_committed,
                      " aborted=", s.transactions_aborted, " offset_commits=", s.offset_commits,
                      " rewinds=", s.rewinds, " rebalances=", s.rebalances);
}

}  // namespace

int main(int argc, char** argv) {
  absl::StatusOr<Flags> flags = ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::cerr << "onceflow_orders_enricher: " << flags.status().message()
              << "\nRun 'onceflow_orders_enricher --help' for usage.\n";
    return kExitUsage;
  }
  if (flags->help) {
    std::cout << kUsage;
    return 0;
  }

  auto enrich = onceflow::TypedMap<Order, EnrichedOrder>(Enrich, onceflow::Codec::kJson,
                                                         std::nullopt, "enrich_order");
  absl::StatusOr<std::unique_ptr<onceflow::Processor>> processor =
      onceflow::Processor::Create(ToOptions(*flags), std::move(enrich));
  if (!processor.ok()) {
    std::cerr << "onceflow_orders_enricher: " << processor.status().message() << "\n";
    return onceflow::ProcessorExitCode(processor.status());
  }

  g_processor.store(processor->get());
  InstallStopHandlers();
  const absl::Status status = (*processor)->Run();
  g_processor.store(nullptr);

  std::cout << flags->app << " " << (status.ok() ? "done" : "failed") << " (" << flags->mode
            << "): " << Summary((*processor)->stats()) << "\n";
  if (!status.ok()) std::cerr << "onceflow_orders_enricher: " << status.message() << "\n";
  return onceflow::ProcessorExitCode(status);
}
