// Maps librdkafka errors to absl::Status, by the error's flags first and its code second:
//
//   fatal (incl. fenced)       -> kFailedPrecondition  stop (or recreate the producer)
//   txn_requires_abort         -> kAborted             abort the transaction, rewind, go on
//   timed out                  -> kDeadlineExceeded    retry the same call (never abort)
//   retriable / transport      -> kUnavailable         retry the same call with backoff
//   everything else by code    -> kInvalidArgument, kNotFound, kAlreadyExists, ...
//
// The librdkafka error name and code travel with the status (message and a payload), so
// callers can ask `KafkaErrorCode(status)` or `IsFenced(status)` without parsing text.
//
//   kafka::ErrorPtr err(rd_kafka_commit_transaction(rk, -1));
//   absl::Status st = kafka::ErrorToStatus(err.get(), "commit_transaction");
#ifndef ONCEFLOW_KAFKA_ERROR_H_
#define ONCEFLOW_KAFKA_ERROR_H_

#include <librdkafka/rdkafka.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace onceflow::kafka {

// The payload type URL under which a status carries its rd_kafka_resp_err_t (decimal text).
inline constexpr absl::string_view kErrorCodePayload = "type.onceflow.dev/kafka.ErrorCode";

// Converts a librdkafka error object (not consumed; may be null = OK). `context` names the
// operation ("commit_transaction") and starts the message.
absl::Status ErrorToStatus(const rd_kafka_error_t* error, absl::string_view context);

// Converts a bare error code (RD_KAFKA_RESP_ERR_NO_ERROR = OK). `detail`, when not empty,
// replaces librdkafka's generic text for the code (e.g. an errstr buffer).
absl::Status CodeToStatus(rd_kafka_resp_err_t code, absl::string_view context,
                          absl::string_view detail = {});

// librdkafka's _TRANSPORT error (a broker connection lost), as CodeToStatus makes it: for fault
// injection outside src/kafka/.
absl::Status TransportError(absl::string_view context, absl::string_view detail);

// The librdkafka error code a status was made from, if it was made by this module.
std::optional<rd_kafka_resp_err_t> KafkaErrorCode(const absl::Status& status);

// librdkafka's name of the status's error code ("TOPIC_AUTHORIZATION_FAILED"), or "" when it
// carries none.
std::string KafkaErrorName(const absl::Status& status);

// What the cluster refused, by the status's error code: the vocabulary access errors are
// explained in (sidecar/access.h), so no caller outside src/kafka/ needs librdkafka's codes.
enum class Refusal {
  kNone,             // not a refusal (or no Kafka error code)
  kAuthentication,   // SASL authentication failed (_AUTHENTICATION, SASL_AUTHENTICATION_FAILED)
  kTls,              // the TLS handshake failed (_SSL), e.g. an untrusted broker certificate
  kTopic,            // TOPIC_AUTHORIZATION_FAILED
  kGroup,            // GROUP_AUTHORIZATION_FAILED
  kCluster,          // CLUSTER_AUTHORIZATION_FAILED
  kTransactionalId,  // TRANSACTIONAL_ID_AUTHORIZATION_FAILED
};
Refusal RefusalOf(const absl::Status& status);

// True when the status says this client was fenced by a newer one with the same identity: a
// producer with the same transactional.id, or a consumer with the same group.instance.id (a
// live twin, or a restarted instance). The process must stop.
bool IsFenced(const absl::Status& status);

// True when producing one record failed for a reason no retry of that record can fix: it is
// larger than the producer's message.max.bytes or the topic's max.message.bytes, names a
// partition the topic does not have, or goes to a topic that does not exist or that this
// principal may not write. The record, not the transaction, is at fault: the loop applies the
// error policy to the input that made it (dead letter with the reason, skip, or fail).
bool IsRecordError(const absl::Status& status);

// True for the delivery report of a record that was purged before it was sent or acknowledged
// (an abort_transaction or a purge did it): a consequence of giving the transaction up, not a
// new failure.
bool IsPurged(const absl::Status& status);

}  // namespace onceflow::kafka

#endif  // ONCEFLOW_KAFKA_ERROR_H_
