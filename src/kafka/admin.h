// Topic administration over librdkafka's Admin API: create, delete, describe partitions.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(auto admin, kafka::Admin::Create({{"bootstrap.servers", b}}));
//   ONCEFLOW_RETURN_IF_ERROR(admin->CreateTopic({"orders", 6}, std::chrono::seconds(30)));
//
// Thread-safety: an Admin may be used from one thread at a time.
#ifndef ONCEFLOW_KAFKA_ADMIN_H_
#define ONCEFLOW_KAFKA_ADMIN_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kafka/config.h"
#include "kafka/handles.h"

namespace onceflow::kafka {

struct TopicSpec {
  std::string name;
  int partitions = 1;
  int replication_factor = 1;
  // Topic-level configs, e.g. {"cleanup.policy", "compact"}.
  Properties configs;
};

class Admin {
 public:
  // Connects lazily: the first request reaches the brokers in `props` (bootstrap.servers).
  static absl::StatusOr<std::unique_ptr<Admin>> Create(const Properties& props);

  // The last error librdkafka reported on its own rather than as a request's result (a failed
  // connection, authentication or TLS handshake). Written by librdkafka's error callback
  // (served inside Ping), read under the mutex.
  struct ClientError {
    std::mutex mu;
    rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
    std::string reason;
  };

  struct PrivateTag {};  // only Create() can make one
  Admin(PrivateTag, KafkaPtr rk, std::unique_ptr<ClientError> errors);

  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  // Creates the topic and returns once every partition has a leader in the metadata, so a
  // producer can write to it at once. kAlreadyExists if it exists.
  absl::Status CreateTopic(const TopicSpec& spec, std::chrono::milliseconds timeout);

  // Deletes the topics. Topics that do not exist are not an error.
  absl::Status DeleteTopics(const std::vector<std::string>& names,
                            std::chrono::milliseconds timeout);

  // The number of partitions of `topic`; kNotFound if it does not exist.
  absl::StatusOr<int> PartitionCount(const std::string& topic, std::chrono::milliseconds timeout);

  // The topic's configuration as the broker describes it (every entry, defaults included);
  // kNotFound if it does not exist.
  absl::StatusOr<Properties> TopicConfig(const std::string& topic,
                                         std::chrono::milliseconds timeout);

  // The leader's broker id of each partition of `topic` (index = partition), as the metadata
  // answer of one broker has it; -1 where a partition has no leader. Internal topics
  // (__consumer_offsets, __transaction_state) too: their leaders are the group and
  // transaction coordinators. kNotFound if the topic does not exist.
  absl::StatusOr<std::vector<int32_t>> PartitionLeaders(const std::string& topic,
                                                        std::chrono::milliseconds timeout);

  // Whether the cluster answers a metadata request within `timeout`. Returns at once, with
  // librdkafka's reason and code (KafkaErrorCode), when a connection fails in a way waiting
  // cannot mend: SASL authentication refused (RD_KAFKA_RESP_ERR__AUTHENTICATION) or a TLS
  // handshake failed (RD_KAFKA_RESP_ERR__SSL, e.g. an untrusted broker certificate). Other
  // connection errors (refused, unresolvable, all brokers down) are retried until `timeout`,
  // and the last one is named in the kDeadlineExceeded status then.
  absl::Status Ping(std::chrono::milliseconds timeout);

  // The last error librdkafka reported outside a request (see ClientError), if any.
  absl::Status LastClientError() const;

  rd_kafka_t* handle() const { return rk_.get(); }

 private:
  std::unique_ptr<ClientError> errors_;  // before rk_: librdkafka's callback may use it until
                                         // rk_ is destroyed
  KafkaPtr rk_;
  QueuePtr queue_;
};

}  // namespace onceflow::kafka

#endif  // ONCEFLOW_KAFKA_ADMIN_H_
