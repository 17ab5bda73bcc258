#include "api/sts_provider.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "iam/principal.h"

namespace kura::api {

using nlohmann::json;

base::Result<json> StsProvider::Call(std::string_view operation, const json& /*input*/, const CallContext& context) {
  if (operation != "GetCallerIdentity") {
    return base::Status(base::StatusCode::kNotFound, 0,
                        fmt::format("The action {} is not valid for this web service.", operation));
  }
  // Always allowed for a valid credential, whatever the caller's policies say.
  const iam::Principal& caller = context.caller;
  if (caller.account_id.empty()) return base::PermissionDeniedError("The request has no authenticated caller.");
  const std::string arn = !caller.arn.empty() ? caller.arn
                          : caller.is_root()  ? iam::AccountRootArn(caller.account_id)
                                              : "";
  const std::string user_id = !caller.user_id.empty() ? caller.user_id
                              : caller.is_root()      ? caller.account_id
                                                      : "";
  return json{{"UserId", user_id}, {"Account", caller.account_id}, {"Arn", arn}};
}

WireError StsProvider::MapError(const base::Status& status) const {
  switch (status.code()) {
    case base::StatusCode::kPermissionDenied:
      return {"AccessDenied", status.message(), 403, true};
    case base::StatusCode::kNotFound:
      return {"InvalidAction", status.message(), 400, true};
    default:
      return {"InternalFailure", status.message(), 500, false};
  }
}

}  // namespace kura::api
