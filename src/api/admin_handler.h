// AdminHandler: kura's own administration API (not AWS's), on the same port
// as the AWS APIs:
//   POST /_kura/admin/<Action>   JSON body -> JSON body
// signed with SigV4 for the service name "kura" (any region) and verified
// against the identity store through the router's KeyOwnerLookup.
//
// Actions:
//   CreateAccount    {"AccountId"?, "Name"?}
//                    -> {"AccountId", "Name", "AccessKeyId", "SecretAccessKey"}
//                    creates the account and its first root access key.
//   CreateAccessKey  {"AccountId", "UserName"?, "AccessKeyId"?, "SecretAccessKey"?}
//                    -> {"AccountId", "UserName"?, "AccessKeyId", "SecretAccessKey"}
//                    a root key when UserName is absent; a chosen id/secret must come as a pair.
// Authorization: the operator — the root of the bootstrap account, the first
// account of the installation — may do both for any account; the root of any
// other account may only create access keys in its own account; IAM users may
// do nothing here.
// Errors: {"__type": code, "message": text} with status 400 (malformed request,
// InvalidInput, bad signature format), 403 (authentication failed, AccessDenied),
// 404 (NoSuchEntity, UnknownOperation) or 409 (EntityAlreadyExists, LimitExceeded).
// Thread-safety: Handle may be called concurrently.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/http.h"
#include "api/router.h"
#include "base/status.h"
#include "iam/identity_store.h"

namespace kura::api {

inline constexpr char kAdminPathPrefix[] = "/_kura/admin/";
inline constexpr char kAdminSigningService[] = "kura";

struct AdminOptions {
  // false: "--auth open": any well-formed credential acts as `open_account_id`'s root.
  bool verify_signatures = true;
  std::string open_account_id;
  std::function<int64_t()> clock;  // Unix seconds; default: the system clock
};

class AdminHandler {
 public:
  AdminHandler(AdminOptions options, std::shared_ptr<iam::IdentityStore> identities, KeyOwnerLookup lookup);

  // The response for a request under /_kura/admin/, nullopt for any other path
  // (suitable for RouterOptions::local_routes).
  std::optional<HttpResponse> Route(const HttpRequest& request);
  HttpResponse Handle(const HttpRequest& request);

 private:
  AdminOptions options_;
  std::shared_ptr<iam::IdentityStore> identities_;
  KeyOwnerLookup lookup_;
};

// The operator's account: the bootstrap account, i.e. the installation's first
// account (earliest creation; in the same second, the one named "bootstrap",
// then the lowest id). NotFound when there is no account.
base::Result<std::string> OperatorAccountId(iam::IdentityStore& identities);

}  // namespace kura::api
