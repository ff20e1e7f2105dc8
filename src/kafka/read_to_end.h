// ReadToEnd: reads every record of a topic, all partitions from the beginning, until each
// partition's end: the one helper for tests, the audit's checker and the bench's counts.
//
//   ONCEFLOW_RETURN_IF_ERROR(kafka::ReadToEnd(props, "out", {}, [&](const ConsumedMessage& m) {
//     records.push_back(std::string(m.record().value()));
//   }));
#ifndef ONCEFLOW_KAFKA_READ_TO_END_H_
#define ONCEFLOW_KAFKA_READ_TO_END_H_

#include <chrono>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "kafka/config.h"
#include "kafka/message.h"

namespace onceflow::kafka {

struct ReadToEndOptions {
  // read_committed (skip aborted records and markers) or read_uncommitted. Default: true.
  bool read_committed = true;
  // The end of a partition: false = the first end-of-partition event (under read_committed,
  // the last stable offset: an open transaction's records are not waited for); true = the high
  // watermark taken before reading, so a read_committed read waits for open transactions to
  // commit or abort rather than returning a prefix. Default: false.
  bool until_high_watermark = false;
  // Give up (kDeadlineExceeded, naming the partitions still short of their end) after this.
  // Default: 60 s.
  std::chrono::milliseconds timeout{60000};
  // If set, receives how many records the consumer delivered again at an offset `fn` already
  // had (after librdkafka reset the fetch position, e.g. to the beginning on "offset out of
  // range" while a broker recovers): those are not passed to `fn` again.
  int64_t* rereads = nullptr;
};

// Calls `fn` once for every record of `topic`, per partition in offset order (partitions
// interleaved). `props` are the client properties (bootstrap.servers, security); a throwaway
// group.id is set when none is given (nothing is committed). Transient consumer errors are
// retried until the timeout.
absl::Status ReadToEnd(const Properties& props, const std::string& topic,
                       const ReadToEndOptions& options,
                       const std::function<void(const ConsumedMessage&)>& fn);

}  // namespace onceflow::kafka

#endif  // ONCEFLOW_KAFKA_READ_TO_END_H_
