#include "api/iam_provider.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>
#include <vector>

#include "client/sigv4.h"
#include "iam/policy.h"

namespace kura::api {

namespace {

using nlohmann::json;
using iam::IamError;

constexpr int64_t kDefaultMaxItems = 100;

base::Status ValidationError(std::string message) {
  return base::Status(base::StatusCode::kInvalidArgument, static_cast<int>(IamError::kInvalidInput),
                      std::move(message));
}

// The camelCase name AWS uses for a member in validation messages ("userName").
std::string WireMemberName(std::string_view member) {
  std::string out(member);
  if (!out.empty()) out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

base::Result<std::optional<std::string>> OptionalString(const json& input, std::string_view member) {
  if (!input.is_object()) return std::optional<std::string>();
  auto it = input.find(member);
  if (it == input.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) {
    return ValidationError(fmt::format("1 validation error detected: Value at '{}' failed to satisfy constraint: "
                                       "Member must be a string",
                                       WireMemberName(member)));
  }
  return std::optional<std::string>(it->get<std::string>());
}

base::Result<std::string> RequiredString(const json& input, std::string_view member) {
  KURA_ASSIGN_OR_RETURN(auto value, OptionalString(input, member));
  if (!value) {
    return ValidationError(fmt::format(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
        WireMemberName(member)));
  }
  return *std::move(value);
}

// Marker/MaxItems paging over items sorted by `keys`; the marker is the key
// of the first item not yet returned.
struct Page {
  size_t begin = 0;
  size_t end = 0;
  bool truncated = false;
  std::string marker;
};

base::Result<Page> Paginate(const std::vector<std::string>& keys, const json& input) {
  int64_t max_items = kDefaultMaxItems;
  if (input.is_object()) {
    auto it = input.find("MaxItems");
    if (it != input.end() && !it->is_null()) {
      if (!it->is_number_integer()) {
        return ValidationError(
            "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must be an integer");
      }
      max_items = it->get<int64_t>();
      if (max_items < 1 || max_items > 1000) {
        return ValidationError(fmt::format(
            "1 validation error detected: Value '{}' at 'maxItems' failed to satisfy constraint: Member must have "
            "value {} {}",
            max_items, max_items < 1 ? "greater than or equal to" : "less than or equal to", max_items < 1 ? 1 : 1000));
      }
    }
  }
  KURA_ASSIGN_OR_RETURN(auto marker, OptionalString(input, "Marker"));
  Page page;
  if (marker) page.begin = static_cast<size_t>(std::lower_bound(keys.begin(), keys.end(), *marker) - keys.begin());
  page.end = std::min(keys.size(), page.begin + static_cast<size_t>(max_items));
  page.truncated = page.end < keys.size();
  if (page.truncated) page.marker = keys[page.end];
  return page;
}

void AddPaging(json& out, const Page& page) {
  out["IsTruncated"] = page.truncated;
  if (page.truncated) out["Marker"] = page.marker;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

json UserDocument(const iam::User& user) {
  return json{{"Path", user.path},
              {"UserName", user.name},
              {"UserId", user.user_id},
              {"Arn", user.arn},
              {"CreateDate", user.created_at}};
}

json KeyMetadata(const iam::AccessKey& key) {
  json out = json::object();
  if (!key.user_name.empty()) out["UserName"] = key.user_name;  // root keys have no user name
  out["AccessKeyId"] = key.access_key_id;
  out["Status"] = key.status;
  out["CreateDate"] = key.created_at;
  return out;
}

// The user an operation acts on: named, or (no name) the caller itself.
struct Target {
  std::string user_name;  // "" = the account root
  std::string arn;        // the resource authorized against
};

class Handler {
 public:
  Handler(iam::IdentityStore& store, const json& input, const CallContext& context)
      : store_(store), input_(input), context_(context), account_(context.caller.account_id) {}

  base::Result<json> Run(std::string_view operation) {
    if (account_.empty()) return Denied(operation, "*");
    if (operation == "CreateUser") return CreateUser();
    if (operation == "GetUser") return GetUser();
    if (operation == "ListUsers") return ListUsers();
    if (operation == "DeleteUser") return DeleteUser();
    if (operation == "CreateAccessKey") return CreateAccessKey();
    if (operation == "ListAccessKeys") return ListAccessKeys();
    if (operation == "DeleteAccessKey") return DeleteAccessKey();
    if (operation == "PutUserPolicy") return PutUserPolicy();
    if (operation == "GetUserPolicy") return GetUserPolicy();
    if (operation == "ListUserPolicies") return ListUserPolicies();
    if (operation == "DeleteUserPolicy") return DeleteUserPolicy();
    return base::Status(base::StatusCode::kNotFound, 0,
                        fmt::format("The action {} is not valid for this web service.", operation));
  }

 private:
  base::Status Denied(std::string_view operation, const std::string& resource) const {
    return base::PermissionDeniedError(fmt::format("User: {} is not authorized to perform: iam:{} on resource: {}",
                                                   context_.caller.arn, operation, resource));
  }

  // The account root may do everything in its account; a user needs an identity policy allowing it.
  base::Status Authorize(std::string_view operation, const std::string& resource) {
    if (context_.caller.is_root()) return base::Status::Ok();
    KURA_ASSIGN_OR_RETURN(auto policies, store_.PoliciesOf(context_.caller));
    std::vector<const iam::PolicyDocument*> documents;
    documents.reserve(policies.size());
    for (const auto& p : policies) documents.push_back(p.get());
    iam::RequestContext request;
    request.action = fmt::format("iam:{}", operation);
    request.resource = resource;
    request.principal = context_.caller;
    if (iam::EvaluateIdentityPolicies(documents, request) == iam::Decision::kAllow) return base::Status::Ok();
    return Denied(operation, resource);
  }

  std::string UserArnOf(const std::string& user_name, const std::string& path = "/") const {
    auto user = store_.GetUser(account_, user_name);
    if (user.ok()) return user->arn;
    return fmt::format("arn:aws:iam::{}:user{}{}", account_, path, user_name);
  }

  // UserName when given, else the caller (a user, or the root: user_name "").
  base::Result<Target> OptionalTarget() {
    KURA_ASSIGN_OR_RETURN(auto name, OptionalString(input_, "UserName"));
    if (name) return Target{*name, UserArnOf(*name)};
    return Target{context_.caller.user_name, context_.caller.arn};
  }

  base::Result<Target> RequiredTarget() {
    KURA_ASSIGN_OR_RETURN(auto name, RequiredString(input_, "UserName"));
    return Target{name, UserArnOf(name)};
  }

  base::Result<json> CreateUser() {
    KURA_ASSIGN_OR_RETURN(auto name, RequiredString(input_, "UserName"));
    KURA_ASSIGN_OR_RETURN(auto path, OptionalString(input_, "Path"));
    const std::string user_path = path && !path->empty() ? *path : "/";
    KURA_RETURN_IF_ERROR(
        Authorize("CreateUser", fmt::format("arn:aws:iam::{}:user{}{}", account_, user_path, name)));
    KURA_ASSIGN_OR_RETURN(auto user, store_.CreateUser(account_, name, user_path));
    return json{{"User", UserDocument(user)}};
  }

  base::Result<json> GetUser() {
    KURA_ASSIGN_OR_RETURN(auto target, OptionalTarget());
    KURA_RETURN_IF_ERROR(Authorize("GetUser", target.arn));
    if (target.user_name.empty()) {
      // The root "user", as AWS returns it: the account id as UserId, no name or path.
      KURA_ASSIGN_OR_RETURN(auto account, store_.GetAccount(account_));
      return json{{"User",
                   {{"UserId", account.id}, {"Arn", iam::AccountRootArn(account.id)}, {"CreateDate", account.created_at}}}};
    }
    KURA_ASSIGN_OR_RETURN(auto user, store_.GetUser(account_, target.user_name));
    return json{{"User", UserDocument(user)}};
  }

  base::Result<json> ListUsers() {
    KURA_ASSIGN_OR_RETURN(auto prefix, OptionalString(input_, "PathPrefix"));
    const std::string path_prefix = prefix && !prefix->empty() ? *prefix : "/";
    KURA_RETURN_IF_ERROR(Authorize("ListUsers", fmt::format("arn:aws:iam::{}:user{}", account_, path_prefix)));
    KURA_ASSIGN_OR_RETURN(auto users, store_.ListUsers(account_));
    std::erase_if(users, [&](const iam::User& u) { return !u.path.starts_with(path_prefix); });
    std::sort(users.begin(), users.end(),
              [](const iam::User& a, const iam::User& b) { return Lower(a.name) < Lower(b.name); });
    std::vector<std::string> keys;
    keys.reserve(users.size());
    for (const auto& u : users) keys.push_back(Lower(u.name));
    KURA_ASSIGN_OR_RETURN(auto page, Paginate(keys, input_));
    json list = json::array();
    for (size_t i = page.begin; i < page.end; ++i) list.push_back(UserDocument(users[i]));
    json out{{"Users", std::move(list)}};
    AddPaging(out, page);
    return out;
  }

  base::Result<json> DeleteUser() {
    KURA_ASSIGN_OR_RETURN(auto target, RequiredTarget());
    KURA_RETURN_IF_ERROR(Authorize("DeleteUser", target.arn));
    KURA_RETURN_IF_ERROR(store_.DeleteUser(account_, target.user_name));
    return json::object();
  }

  base::Result<json> CreateAccessKey() {
    KURA_ASSIGN_OR_RETURN(auto target, OptionalTarget());
    KURA_RETURN_IF_ERROR(Authorize("CreateAccessKey", target.arn));
    KURA_ASSIGN_OR_RETURN(auto created, store_.CreateAccessKey(account_, target.user_name));
    json key = KeyMetadata(created.key);
    key["SecretAccessKey"] = created.secret_access_key;
    return json{{"AccessKey", std::move(key)}};
  }

  base::Result<json> ListAccessKeys() {
    KURA_ASSIGN_OR_RETURN(auto target, OptionalTarget());
    KURA_RETURN_IF_ERROR(Authorize("ListAccessKeys", target.arn));
    KURA_ASSIGN_OR_RETURN(auto keys, store_.ListAccessKeys(account_, target.user_name));
    std::sort(keys.begin(), keys.end(),
              [](const iam::AccessKey& a, const iam::AccessKey& b) { return a.access_key_id < b.access_key_id; });
    std::vector<std::string> ids;
    ids.reserve(keys.size());
    for (const auto& k : keys) ids.push_back(k.access_key_id);
    KURA_ASSIGN_OR_RETURN(auto page, Paginate(ids, input_));
    json list = json::array();
    for (size_t i = page.begin; i < page.end; ++i) list.push_back(KeyMetadata(keys[i]));
    json out{{"AccessKeyMetadata", std::move(list)}};
    AddPaging(out, page);
    return out;
  }

  base::Result<json> DeleteAccessKey() {
    KURA_ASSIGN_OR_RETURN(auto key_id, RequiredString(input_, "AccessKeyId"));
    KURA_ASSIGN_OR_RETURN(auto target, OptionalTarget());
    KURA_RETURN_IF_ERROR(Authorize("DeleteAccessKey", target.arn));
    KURA_RETURN_IF_ERROR(store_.DeleteAccessKey(account_, target.user_name, key_id));
    return json::object();
  }

  base::Result<json> PutUserPolicy() {
    KURA_ASSIGN_OR_RETURN(auto target, RequiredTarget());
    KURA_ASSIGN_OR_RETURN(auto policy_name, RequiredString(input_, "PolicyName"));
    KURA_ASSIGN_OR_RETURN(auto document, RequiredString(input_, "PolicyDocument"));
    KURA_RETURN_IF_ERROR(Authorize("PutUserPolicy", target.arn));
    KURA_RETURN_IF_ERROR(store_.PutUserPolicy(account_, target.user_name, policy_name, document));
    return json::object();
  }

  base::Result<json> GetUserPolicy() {
    KURA_ASSIGN_OR_RETURN(auto target, RequiredTarget());
    KURA_ASSIGN_OR_RETURN(auto policy_name, RequiredString(input_, "PolicyName"));
    KURA_RETURN_IF_ERROR(Authorize("GetUserPolicy", target.arn));
    KURA_ASSIGN_OR_RETURN(auto user, store_.GetUser(account_, target.user_name));
    KURA_ASSIGN_OR_RETURN(auto document, store_.GetUserPolicy(account_, user.name, policy_name));
    return json{{"UserName", user.name},
                {"PolicyName", policy_name},
                {"PolicyDocument", UrlEncodePolicyDocument(document)}};
  }

  base::Result<json> ListUserPolicies() {
    KURA_ASSIGN_OR_RETURN(auto target, RequiredTarget());
    KURA_RETURN_IF_ERROR(Authorize("ListUserPolicies", target.arn));
    KURA_ASSIGN_OR_RETURN(auto names, store_.ListUserPolicies(account_, target.user_name));
    std::sort(names.begin(), names.end());
    KURA_ASSIGN_OR_RETURN(auto page, Paginate(names, input_));
    json list = json::array();
    for (size_t i = page.begin; i < page.end; ++i) list.push_back(names[i]);
    json out{{"PolicyNames", std::move(list)}};
    AddPaging(out, page);
    return out;
  }

  base::Result<json> DeleteUserPolicy() {
    KURA_ASSIGN_OR_RETURN(auto target, RequiredTarget());
    KURA_ASSIGN_OR_RETURN(auto policy_name, RequiredString(input_, "PolicyName"));
    KURA_RETURN_IF_ERROR(Authorize("DeleteUserPolicy", target.arn));
    KURA_RETURN_IF_ERROR(store_.DeleteUserPolicy(account_, target.user_name, policy_name));
    return json::object();
  }

  iam::IdentityStore& store_;
  const json& input_;
  const CallContext& context_;
  const std::string account_;
};

}  // namespace

std::string UrlEncodePolicyDocument(std::string_view document) {
  // IAM returns policy documents URL-encoded with the RFC 3986 unreserved set: the SigV4 encoding.
  return client::UriEncode(document, false);
}

IamProvider::IamProvider(std::shared_ptr<iam::IdentityStore> store) : store_(std::move(store)) {}

base::Result<json> IamProvider::Call(std::string_view operation, const json& input, const CallContext& context) {
  return Handler(*store_, input, context).Run(operation);
}

WireError IamProvider::MapError(const base::Status& status) const {
  const std::string& message = status.message();
  switch (static_cast<IamError>(status.detail())) {
    case IamError::kNoSuchEntity:
      return {"NoSuchEntity", message, 404, true};
    case IamError::kEntityAlreadyExists:
      return {"EntityAlreadyExists", message, 409, true};
    case IamError::kDeleteConflict:
      return {"DeleteConflict", message, 409, true};
    case IamError::kLimitExceeded:
      return {"LimitExceeded", message, 409, true};
    case IamError::kMalformedPolicy:
      return {"MalformedPolicyDocument", message, 400, true};
    case IamError::kInvalidInput:
      // Model-constraint failures are ValidationError, as AWS reports them; other bad input is InvalidInput.
      if (message.find("validation error") != std::string::npos) return {"ValidationError", message, 400, true};
      return {"InvalidInput", message, 400, true};
    case IamError::kNone:
      break;
  }
  switch (status.code()) {
    case base::StatusCode::kPermissionDenied:
      return {"AccessDenied", message, 403, true};
    case base::StatusCode::kNotFound:
      return {"InvalidAction", message, 400, true};
    case base::StatusCode::kInvalidArgument:
      return {"InvalidInput", message, 400, true};
    default:
      return {"ServiceFailure", message, 500, false};
  }
}

}  // namespace kura::api
