#include "kafka/error.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace onceflow::kafka {
namespace {

absl::StatusCode CodeFor(rd_kafka_resp_err_t code) {
  switch (code) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return absl::StatusCode::kOk;
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
      return absl::StatusCode::kDeadlineExceeded;
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS:
    case RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT:  // a transaction holds the offsets: it ends
      return absl::StatusCode::kUnavailable;
    case RD_KAFKA_RESP_ERR__FENCED:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
    case RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID:
    case RD_KAFKA_RESP_ERR__STATE:
    case RD_KAFKA_RESP_ERR__FATAL:
      return absl::StatusCode::kFailedPrecondition;
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
    case RD_KAFKA_RESP_ERR__BAD_MSG:
      return absl::StatusCode::kInvalidArgument;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
      return absl::StatusCode::kOutOfRange;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR__NOENT:
      return absl::StatusCode::kNotFound;
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
      return absl::StatusCode::kAlreadyExists;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
      return absl::StatusCode::kPermissionDenied;
    case RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED:
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
      return absl::StatusCode::kUnimplemented;
    default:
      return absl::StatusCode::kUnknown;
  }
}

absl::Status Make(absl::StatusCode code, rd_kafka_resp_err_t err, absl::string_view context,
                  absl::string_view text) {
  absl::Status status(code, absl::StrCat(context, ": ", rd_kafka_err2name(err), ": ", text));
  status.SetPayload(kErrorCodePayload, absl::Cord(absl::StrCat(static_cast<int>(err))));
  return status;
}

}  // namespace

absl::Status ErrorToStatus(const rd_kafka_error_t* error, absl::string_view context) {
  if (error == nullptr) return absl::OkStatus();
  const rd_kafka_resp_err_t err = rd_kafka_error_code(error);
  absl::StatusCode code;
  // Flags first: they are librdkafka's own verdict on what the caller must do next.
  if (rd_kafka_error_is_fatal(error)) {
    code = absl::StatusCode::kFailedPrecondition;
  } else if (rd_kafka_error_txn_requires_abort(error)) {
    code = absl::StatusCode::kAborted;
  } else if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT) {
    code = absl::StatusCode::kDeadlineExceeded;
  } else if (rd_kafka_error_is_retriable(error)) {
    code = absl::StatusCode::kUnavailable;
  } else {
    code = CodeFor(err);
    if (code == absl::StatusCode::kOk) code = absl::StatusCode::kUnknown;
  }
  return Make(code, err, context, rd_kafka_error_string(error));
}

absl::Status CodeToStatus(rd_kafka_resp_err_t code, absl::string_view context,
                          absl::string_view detail) {
  if (code == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
  return Make(CodeFor(code), code, context, detail.empty() ? rd_kafka_err2str(code) : detail);
}

absl::Status TransportError(absl::string_view context, absl::string_view detail) {
  return CodeToStatus(RD_KAFKA_RESP_ERR__TRANSPORT, context, detail);
}

std::optional<rd_kafka_resp_err_t> KafkaErrorCode(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kErrorCodePayload);
  if (!payload.has_value()) return std::nullopt;
  int value = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &value)) return std::nullopt;
  return static_cast<rd_kafka_resp_err_t>(value);
}

bool IsRecordError(const absl::Status& status) {
  std::optional<rd_kafka_resp_err_t> code = KafkaErrorCode(status);
  if (!code.has_value()) return false;
  switch (*code) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
      return true;
    default:
      return false;
  }
}

bool IsPurged(const absl::Status& status) {
  std::optional<rd_kafka_resp_err_t> code = KafkaErrorCode(status);
  return code.has_value() &&
         (*code == RD_KAFKA_RESP_ERR__PURGE_QUEUE || *code == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT);
}

bool IsFenced(const absl::Status& status) {
  std::optional<rd_kafka_resp_err_t> code = KafkaErrorCode(status);
  return code.has_value() &&
         (*code == RD_KAFKA_RESP_ERR__FENCED || *code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
          *code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH ||
          *code == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID);
}

std::string KafkaErrorName(const absl::Status& status) {
  const std::optional<rd_kafka_resp_err_t> code = KafkaErrorCode(status);
  return code.has_value() ? rd_kafka_err2name(*code) : "";
}

Refusal RefusalOf(const absl::Status& status) {
  const std::optional<rd_kafka_resp_err_t> code = KafkaErrorCode(status);
  if (!code.has_value()) return Refusal::kNone;
  switch (*code) {
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
      return Refusal::kAuthentication;
    case RD_KAFKA_RESP_ERR__SSL:
      return Refusal::kTls;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
      return Refusal::kTopic;
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
      return Refusal::kGroup;
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
      return Refusal::kCluster;
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return Refusal::kTransactionalId;
    default:
      return Refusal::kNone;
  }
}

}  // namespace onceflow::kafka
