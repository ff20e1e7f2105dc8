// Who a Kafka client is, and what to tell an operator when the cluster refuses it: which
// principal, which resource, which operation, and the kafka-acls command that grants it.
//
//   absl::Status st = admin->PartitionCount("orders", timeout).status();
//   if (IsAccessDenied(st)) {
//     return ExplainAccess(st, props, {"Topic", "orders", {"Describe", "Read"}});
//     // "User:alice is not allowed to Describe, Read Topic 'orders' (TOPIC_AUTHORIZATION_FAILED);
//     //  grant it with: kafka-acls.sh --bootstrap-server ... --add --allow-principal ..."
//   }
//
// No message here shows a property value other than bootstrap.servers, sasl.username,
// sasl.mechanism(s), security.protocol and ssl.ca.location (names, addresses and paths).
#ifndef ONCEFLOW_SIDECAR_ACCESS_H_
#define ONCEFLOW_SIDECAR_ACCESS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "kafka/config.h"

namespace onceflow::sidecar {

// The principal the broker will see for a client with `props`, as Kafka writes it:
// "User:alice" for SASL PLAIN and SCRAM (the SASL user name), "User:ANONYMOUS" for PLAINTEXT,
// and a description where onceflow cannot know it (the TLS client certificate's subject as the
// broker maps it, a Kerberos or OAuth principal).
std::string DescribePrincipal(const kafka::Properties& props);

// True when `status` carries a Kafka error (KafkaErrorCode) that means the cluster refused the
// client: SASL authentication failed, the TLS handshake failed (e.g. an untrusted broker
// certificate), or an ACL is missing (TOPIC_, GROUP_, CLUSTER_ or
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
bool IsAccessDenied(const absl::Status& status);

// What a command needs on one resource: Kafka's resource type ("Topic", "Group",
// "TransactionalId", "Cluster"), its name ("" for the cluster), and the ACL operations
// ("Read", "Write", "Describe", "Create", "IdempotentWrite").
struct AccessNeed {
  std::string resource_type;
  std::string name;
  std::vector<std::string> operations;
};

// For a status IsAccessDenied accepts: kUnauthenticated (authentication, TLS) or
// kPermissionDenied (an ACL) with a message that names the principal, the resource and the
// operations of `need` (for authorization errors) or the credentials and CA to check (for
// authentication and TLS), followed by librdkafka's own reason. The Kafka error code payload is
// kept. Any other status is returned unchanged.
absl::Status ExplainAccess(const absl::Status& status, const kafka::Properties& props,
                           const AccessNeed& need);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_ACCESS_H_
