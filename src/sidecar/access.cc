#include "sidecar/access.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "kafka/error.h"

namespace onceflow::sidecar {
namespace {

std::string Get(const kafka::Properties& props, const std::string& name) {
  auto it = props.find(name);
  return it == props.end() ? "" : it->second;
}

std::string Mechanism(const kafka::Properties& props) {
  std::string m = Get(props, "sasl.mechanisms");
  if (m.empty()) m = Get(props, "sasl.mechanism");
  return m.empty() ? "GSSAPI" : absl::AsciiStrToUpper(m);  // librdkafka's default
}

std::string Protocol(const kafka::Properties& props) {
  const std::string p = absl::AsciiStrToUpper(Get(props, "security.protocol"));
  return p.empty() ? "PLAINTEXT" : p;
}

std::string Bootstrap(const kafka::Properties& props) {
  std::string b = Get(props, "bootstrap.servers");
  return b.empty() ? Get(props, "metadata.broker.list") : b;
}

// "--topic orders", "--group app", "--transactional-id app-0", "--cluster".
std::string AclResourceFlag(const AccessNeed& need) {
  if (need.resource_type == "Topic") return absl::StrCat("--topic ", need.name);
  if (need.resource_type == "Group") return absl::StrCat("--group ", need.name);
  if (need.resource_type == "TransactionalId") {
    return absl::StrCat("--transactional-id ", need.name);
  }
  return "--cluster";
}

}  // namespace

std::string DescribePrincipal(const kafka::Properties& props) {
  const std::string protocol = Protocol(props);
  if (protocol == "SASL_SSL" || protocol == "SASL_PLAINTEXT") {
    const std::string mechanism = Mechanism(props);
    if (mechanism == "PLAIN" || absl::StartsWith(mechanism, "SCRAM-")) {
      const std::string user = Get(props, "sasl.username");
      return user.empty() ? "User:(no sasl.username set)" : absl::StrCat("User:", user);
    }
    if (mechanism == "OAUTHBEARER") return "the OAuth token's principal (OAUTHBEARER)";
    return absl::StrCat("the Kerberos principal ",
                        Get(props, "sasl.kerberos.principal").empty()
                            ? "of this host"
                            : Get(props, "sasl.kerberos.principal"),
                        " as the broker maps it (GSSAPI)");
  }
  if (protocol == "SSL") {
    return Get(props, "ssl.certificate.location").empty() &&
                   Get(props, "ssl.keystore.location").empty()
               ? "User:ANONYMOUS (SSL without a client certificate)"
               : "the principal of the TLS client certificate's subject, as the broker maps it";
  }
  return "User:ANONYMOUS (PLAINTEXT: no authentication)";
}

bool IsAccessDenied(const absl::Status& status) {
  return kafka::RefusalOf(status) != kafka::Refusal::kNone;
}

absl::Status ExplainAccess(const absl::Status& status, const kafka::Properties& props,
                           const AccessNeed& need) {
  if (!IsAccessDenied(status)) return status;
  const kafka::Refusal refusal = kafka::RefusalOf(status);
  const std::string principal = DescribePrincipal(props);
  const std::string bootstrap = Bootstrap(props);
  std::string message;
  absl::StatusCode kind = absl::StatusCode::kPermissionDenied;
  if (refusal == kafka::Refusal::kTls) {
    kind = absl::StatusCode::kUnauthenticated;
    const std::string ca = Get(props, "ssl.ca.location");
    message = absl::StrCat(
        "TLS handshake with ", bootstrap, " failed, so nothing was sent: the broker's certificate ",
        "is not trusted by ", ca.empty() ? "the system's CA certificates" : "ssl.ca.location " + ca,
        ", or does not name the host connected to (check ssl.ca.location and the broker's ",
        "certificate); librdkafka: ", status.message());
  } else if (refusal == kafka::Refusal::kAuthentication) {
    kind = absl::StatusCode::kUnauthenticated;
    message = absl::StrCat("authentication as ", principal, " (", Protocol(props), ", ",
                           Mechanism(props), ") at ", bootstrap,
                           " was refused: check sasl.username and sasl.password (or the "
                           "mechanism's credentials); librdkafka: ",
                           status.message());
  } else {
    const std::string ops = absl::StrJoin(need.operations, ", ");
    // A principal onceflow can name exactly gets the command that grants it; one it can only
    // describe gets the flags.
    const bool exact =
        absl::StartsWith(principal, "User:") && principal.find(' ') == std::string::npos;
    std::string grant =
        absl::StrCat("kafka-acls.sh --bootstrap-server ", bootstrap, " --add --allow-principal ",
                     exact ? principal : "<that principal>");
    for (const std::string& op : need.operations) absl::StrAppend(&grant, " --operation ", op);
    absl::StrAppend(&grant, " ", AclResourceFlag(need));
    const std::string resource = need.name.empty()
                                     ? need.resource_type
                                     : absl::StrCat(need.resource_type, " '", need.name, "'");
    message = absl::StrCat(principal, " is not allowed to ", ops.empty() ? "use" : ops, " ",
                           resource, " (", kafka::KafkaErrorName(status),
                           "); grant it with: ", grant, " (librdkafka: ", status.message(), ")");
  }
  absl::Status explained(kind, message);
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    explained.SetPayload(url, payload);
  });
  return explained;
}

}  // namespace onceflow::sidecar
