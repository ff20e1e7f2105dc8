#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kafka/error.h"
#include "kafka/handles.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::kafka {
namespace {

using ::onceflow::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

struct CodeCase {
  rd_kafka_resp_err_t err;
  absl::StatusCode expected;
};

class CodeToStatusTest : public ::testing::TestWithParam<CodeCase> {};

TEST_P(CodeToStatusTest, MapsCodeAndKeepsNameAndPayload) {
  const CodeCase& c = GetParam();
  absl::Status status = CodeToStatus(c.err, "op");
  EXPECT_THAT(status,
              StatusIs(c.expected, AllOf(HasSubstr("op: "), HasSubstr(rd_kafka_err2name(c.err)))));
  ASSERT_TRUE(KafkaErrorCode(status).has_value());
  EXPECT_EQ(*KafkaErrorCode(status), c.err);
}

INSTANTIATE_TEST_SUITE_P(
    Table, CodeToStatusTest,
    ::testing::Values(
        CodeCase{RD_KAFKA_RESP_ERR__TIMED_OUT, absl::StatusCode::kDeadlineExceeded},
        CodeCase{RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, absl::StatusCode::kDeadlineExceeded},
        CodeCase{RD_KAFKA_RESP_ERR__TRANSPORT, absl::StatusCode::kUnavailable},
        CodeCase{RD_KAFKA_RESP_ERR_NOT_COORDINATOR, absl::StatusCode::kUnavailable},
        CodeCase{RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, absl::StatusCode::kUnavailable},
        CodeCase{RD_KAFKA_RESP_ERR__FENCED, absl::StatusCode::kFailedPrecondition},
        CodeCase{RD_KAFKA_RESP_ERR_PRODUCER_FENCED, absl::StatusCode::kFailedPrecondition},
        CodeCase{RD_KAFKA_RESP_ERR__INVALID_ARG, absl::StatusCode::kInvalidArgument},
        CodeCase{RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, absl::StatusCode::kOutOfRange},
        CodeCase{RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, absl::StatusCode::kNotFound},
        CodeCase{RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS, absl::StatusCode::kAlreadyExists},
        CodeCase{RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, absl::StatusCode::kPermissionDenied},
        CodeCase{RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION, absl::StatusCode::kUnimplemented},
        CodeCase{RD_KAFKA_RESP_ERR_UNKNOWN, absl::StatusCode::kUnknown}),
    [](const ::testing::TestParamInfo<CodeCase>& param_info) {
      std::string name = rd_kafka_err2name(param_info.param.err);
      return name[0] == '_' ? "Local" + name : name;
    });

TEST(CodeToStatusTest, NoErrorIsOk) {
  EXPECT_TRUE(CodeToStatus(RD_KAFKA_RESP_ERR_NO_ERROR, "op").ok());
  EXPECT_TRUE(ErrorToStatus(nullptr, "op").ok());
}

TEST(CodeToStatusTest, DetailReplacesGenericText) {
  EXPECT_THAT(
      CodeToStatus(RD_KAFKA_RESP_ERR__TRANSPORT, "fetch", "broker 1 went away"),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("fetch: _TRANSPORT: broker 1 went away")));
}

TEST(ErrorToStatusTest, PlainErrorMapsByCode) {
  ErrorPtr error(rd_kafka_error_new(RD_KAFKA_RESP_ERR__STATE, "no transaction in progress"));
  EXPECT_THAT(ErrorToStatus(error.get(), "commit_transaction"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("commit_transaction: _STATE: no transaction in progress")));
}

TEST(ErrorToStatusTest, TimeoutIsDeadlineExceededNotAbort) {
  ErrorPtr error(rd_kafka_error_new(RD_KAFKA_RESP_ERR__TIMED_OUT, "commit timed out"));
  EXPECT_THAT(ErrorToStatus(error.get(), "commit_transaction"),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("_TIMED_OUT")));
}

TEST(IsFencedTest, OnlyFencingCodes) {
  EXPECT_TRUE(IsFenced(CodeToStatus(RD_KAFKA_RESP_ERR__FENCED, "x")));
  EXPECT_TRUE(IsFenced(CodeToStatus(RD_KAFKA_RESP_ERR_PRODUCER_FENCED, "x")));
  EXPECT_TRUE(IsFenced(CodeToStatus(RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH, "x")));
  EXPECT_FALSE(IsFenced(CodeToStatus(RD_KAFKA_RESP_ERR__STATE, "x")));
  EXPECT_FALSE(IsFenced(absl::FailedPreconditionError("fenced, but not by kafka")));
  EXPECT_FALSE(IsFenced(absl::OkStatus()));
}

}  // namespace
}  // namespace onceflow::kafka
