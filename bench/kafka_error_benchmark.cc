// The cost of turning a librdkafka error into an absl::Status, paid on every failed call and
// every failed delivery report; and of reading the code back, paid by every retry decision.
#include <benchmark/benchmark.h>

#include "kafka/error.h"

namespace onceflow::kafka {
namespace {

void BM_CodeToStatus(benchmark::State& state) {
  for (auto _ : state) {
    absl::Status status = CodeToStatus(RD_KAFKA_RESP_ERR__TRANSPORT, "produce to orders");
    benchmark::DoNotOptimize(status);
  }
}
BENCHMARK(BM_CodeToStatus);

void BM_KafkaErrorCode(benchmark::State& state) {
  const absl::Status status = CodeToStatus(RD_KAFKA_RESP_ERR__FENCED, "commit_transaction");
  for (auto _ : state) {
    benchmark::DoNotOptimize(IsFenced(status));
  }
}
BENCHMARK(BM_KafkaErrorCode);

void BM_OkStatus(benchmark::State& state) {  // the baseline: the happy path costs nothing
  for (auto _ : state) {
    absl::Status status = CodeToStatus(RD_KAFKA_RESP_ERR_NO_ERROR, "produce to orders");
    benchmark::DoNotOptimize(status);
  }
}
BENCHMARK(BM_OkStatus);

}  // namespace
}  // namespace onceflow::kafka
