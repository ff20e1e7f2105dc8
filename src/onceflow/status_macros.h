// Status propagation macros for code that returns absl::Status / absl::StatusOr<T>.
//
// Debian's Abseil 20220623 ships no public equivalents, so onceflow defines its own:
//
//   absl::StatusOr<Config> LoadConfig(absl::string_view path) {
//     ONCEFLOW_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     ONCEFLOW_RETURN_IF_ERROR(Validate(text));
//     return Parse(text);
//   }
//
// Both evaluate their argument exactly once. ONCEFLOW_ASSIGN_OR_RETURN may declare a variable
// (`ONCEFLOW_ASSIGN_OR_RETURN(auto x, F())`) or assign to an existing one; it cannot be used
// as the body of an unbraced `if`.
#ifndef ONCEFLOW_STATUS_MACROS_H_
#define ONCEFLOW_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function with the status of `expr` if it is not OK.
#define ONCEFLOW_RETURN_IF_ERROR(expr)                   \
  do {                                                   \
    ::absl::Status onceflow_status_ = (expr);            \
    if (!onceflow_status_.ok()) return onceflow_status_; \
  } while (false)

#define ONCEFLOW_STATUS_CONCAT_INNER_(a, b) a##b
#define ONCEFLOW_STATUS_CONCAT_(a, b) ONCEFLOW_STATUS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, otherwise moves the
// value into `lhs`.
#define ONCEFLOW_ASSIGN_OR_RETURN(lhs, rexpr) \
  ONCEFLOW_ASSIGN_OR_RETURN_IMPL_(ONCEFLOW_STATUS_CONCAT_(onceflow_statusor_, __LINE__), lhs, rexpr)

#define ONCEFLOW_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                    \
  if (!statusor.ok()) return std::move(statusor).status();    \
  lhs = std::move(statusor).value()

#endif  // ONCEFLOW_STATUS_MACROS_H_
