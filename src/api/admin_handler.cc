#include "api/admin_handler.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <string_view>
#include <tuple>
#include <vector>

#include "api/codec_internal.h"

namespace kura::api {

namespace {

using nlohmann::json;
using iam::IamError;

// A reserved account name: it marks the bootstrap account (bootstrap.cc).
constexpr std::string_view kBootstrapName = "bootstrap";

struct AdminError {
  int status;
  std::string code;
  std::string message;
};

HttpResponse JsonResponse(int status, const json& body) {
  HttpResponse response;
  response.status = status;
  response.SetHeader("Content-Type", "application/json");
  response.body = body.dump();
  return response;
}

HttpResponse ErrorResponse(const AdminError& error) {
  return JsonResponse(error.status, json{{"__type", error.code}, {"message", error.message}});
}

AdminError AuthError(AuthFailure failure, const std::string& message) {
  switch (failure) {
    case AuthFailure::kMissing: return {403, "MissingAuthenticationToken", message};
    case AuthFailure::kMalformed: return {400, "IncompleteSignature", message};
    case AuthFailure::kUnknownKey: return {403, "InvalidClientTokenId", message};
    case AuthFailure::kExpired:
    case AuthFailure::kNotYetValid: return {403, "RequestExpired", message};
    case AuthFailure::kBadSignature:
    case AuthFailure::kBadScope:
    case AuthFailure::kNone: break;
  }
  return {403, "SignatureDoesNotMatch", message};
}

AdminError FromStatus(const base::Status& status) {
  switch (static_cast<IamError>(status.detail())) {
    case IamError::kNoSuchEntity: return {404, "NoSuchEntity", status.message()};
    case IamError::kEntityAlreadyExists: return {409, "EntityAlreadyExists", status.message()};
    case IamError::kDeleteConflict: return {409, "DeleteConflict", status.message()};
    case IamError::kLimitExceeded: return {409, "LimitExceeded", status.message()};
    case IamError::kMalformedPolicy: return {400, "MalformedPolicyDocument", status.message()};
    case IamError::kInvalidInput: return {400, "InvalidInput", status.message()};
    case IamError::kNone: break;
  }
  switch (status.code()) {
    case base::StatusCode::kInvalidArgument:
    case base::StatusCode::kOutOfRange: return {400, "InvalidInput", status.message()};
    case base::StatusCode::kNotFound: return {404, "NoSuchEntity", status.message()};
    case base::StatusCode::kAlreadyExists: return {409, "EntityAlreadyExists", status.message()};
    case base::StatusCode::kResourceExhausted: return {409, "LimitExceeded", status.message()};
    case base::StatusCode::kPermissionDenied: return {403, "AccessDenied", status.message()};
    default: break;
  }
  return {500, "InternalFailure", status.ToString()};
}

int64_t SystemNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The request body: a JSON object (empty when absent) with only `allowed` members.
base::Result<json> ParseObject(const std::string& body, std::initializer_list<std::string_view> allowed) {
  json input = json::parse(body.empty() ? std::string("{}") : body, nullptr, false);
  if (input.is_discarded() || !input.is_object()) {
    return base::InvalidArgumentError("the request body must be a JSON object");
  }
  for (const auto& [name, value] : input.items()) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return base::InvalidArgumentError("unknown member '" + name + "'");
    }
  }
  return input;
}

// ParseObject whose members are all strings.
base::Result<json> ParseBody(const std::string& body, std::initializer_list<std::string_view> allowed) {
  KURA_ASSIGN_OR_RETURN(json input, ParseObject(body, allowed));
  for (const auto& [name, value] : input.items()) {
    if (!value.is_string() && !value.is_null()) return base::InvalidArgumentError("'" + name + "' must be a string");
  }
  return input;
}

std::string StringMember(const json& input, const char* name) {
  auto it = input.find(name);
  return it == input.end() || !it->is_string() ? std::string() : it->get<std::string>();
}

AdminError Denied(std::string message) { return {403, "AccessDenied", std::move(message)}; }

// ReadVolume/WriteVolume move at most this many bytes per call.
constexpr uint64_t kMaxVolumeIo = 16 << 20;

// The body of a volume action: a JSON object with only `allowed` members.
base::Result<json> ParseVolumeBody(const std::string& body, std::initializer_list<std::string_view> allowed) {
  KURA_ASSIGN_OR_RETURN(json input, ParseObject(body, allowed));
  for (const char* name : {"InstanceId", "VolumeId"}) {
    auto it = input.find(name);
    if (it == input.end() || !it->is_string() || it->get<std::string>().empty()) {
      return base::InvalidArgumentError(std::string(name) + " is required");
    }
  }
  for (const char* name : {"Offset", "Length"}) {
    auto it = input.find(name);
    if (it != input.end() && !it->is_number_unsigned()) {
      return base::InvalidArgumentError(std::string(name) + " must be a non-negative integer");
    }
  }
  for (const char* name : {"AccountId", "Data"}) {
    auto it = input.find(name);
    if (it != input.end() && !it->is_string()) return base::InvalidArgumentError(std::string(name) + " must be a string");
  }
  auto flush = input.find("Flush");
  if (flush != input.end() && !flush->is_boolean()) return base::InvalidArgumentError("Flush must be a boolean");
  return input;
}

AdminError FromVolumeStatus(const base::Status& status) {
  switch (status.code()) {
    case base::StatusCode::kInvalidArgument:
    case base::StatusCode::kOutOfRange: return {400, "InvalidInput", status.message()};
    case base::StatusCode::kNotFound: return {404, "NotFound", status.message()};
    case base::StatusCode::kFailedPrecondition: return {409, "IncorrectState", status.message()};
    case base::StatusCode::kPermissionDenied: return {403, "AccessDenied", status.message()};
    default: break;
  }
  return {500, "InternalFailure", status.ToString()};
}

}  // namespace

base::Result<std::string> OperatorAccountId(iam::IdentityStore& identities) {
  KURA_ASSIGN_OR_RETURN(auto accounts, identities.ListAccounts());
  if (accounts.empty()) return base::NotFoundError("the installation has no account");
  auto first = std::min_element(accounts.begin(), accounts.end(), [](const iam::Account& a, const iam::Account& b) {
    bool a_boot = a.name == kBootstrapName, b_boot = b.name == kBootstrapName;
    return std::tie(a.created_at, b_boot, a.id) < std::tie(b.created_at, a_boot, b.id);
  });
  return first->id;
}

AdminHandler::AdminHandler(AdminOptions options, std::shared_ptr<iam::IdentityStore> identities,
                           KeyOwnerLookup lookup)
    : options_(std::move(options)), identities_(std::move(identities)), lookup_(std::move(lookup)) {
  if (!options_.clock) options_.clock = SystemNow;
}

std::optional<HttpResponse> AdminHandler::Route(const HttpRequest& request) {
  if (request.Path().rfind(kAdminPathPrefix, 0) != 0) return std::nullopt;
  return Handle(request);
}

HttpResponse AdminHandler::Handle(const HttpRequest& request) {
  std::string_view path = request.Path();
  std::string action(path.substr(std::min(path.size(), std::string_view(kAdminPathPrefix).size())));
  if (request.method != "POST") {
    return ErrorResponse({400, "InvalidRequest", "the kura admin API takes POST requests"});
  }

  // Who is calling.
  VerifyOptions verify;
  verify.check_signature = options_.verify_signatures;
  std::optional<KeyOwner> owner;
  auto secret_of = [&](const std::string& access_key_id) -> std::optional<std::string> {
    owner = lookup_(access_key_id);
    if (!owner) return std::nullopt;
    return owner->secret_access_key;
  };
  VerifyResult verified = VerifySigV4(request, secret_of, options_.clock(), verify);
  if (verified.failure != AuthFailure::kNone) return ErrorResponse(AuthError(verified.failure, verified.message));
  if (verified.identity.scope.service != kAdminSigningService) {
    return ErrorResponse({403, "SignatureDoesNotMatch",
                          "Credential should be scoped to the service 'kura', not '" +
                              verified.identity.scope.service + "'."});
  }
  iam::Principal caller;
  if (options_.verify_signatures) {
    caller = owner->principal;
  } else {
    caller = iam::Principal{options_.open_account_id, iam::AccountRootArn(options_.open_account_id),
                            options_.open_account_id, ""};
  }
  if (!caller.is_root()) {
    return ErrorResponse(Denied("User: " + caller.arn +
                                " is not authorized to use the kura admin API: only an account root may"));
  }
  auto operator_account = OperatorAccountId(*identities_);
  if (!operator_account.ok()) return ErrorResponse(FromStatus(operator_account.status()));
  const bool is_operator = caller.account_id == *operator_account;

  if (action == "CreateAccount") {
    auto input = ParseBody(request.body, {"AccountId", "Name"});
    if (!input.ok()) return ErrorResponse({400, "InvalidInput", input.status().message()});
    if (!is_operator) {
      return ErrorResponse(Denied("User: " + caller.arn +
                                  " is not authorized to perform CreateAccount: only the operator (the root of "
                                  "account " + *operator_account + ") may create accounts"));
    }
    std::string name = StringMember(*input, "Name");
    if (name == kBootstrapName) {
      return ErrorResponse({400, "InvalidInput", "the account name 'bootstrap' is reserved"});
    }
    auto account = identities_->CreateAccount(StringMember(*input, "AccountId"), name);
    if (!account.ok()) return ErrorResponse(FromStatus(account.status()));
    auto key = identities_->CreateAccessKey(account->id, "");
    if (!key.ok()) return ErrorResponse(FromStatus(key.status()));
    return JsonResponse(200, json{{"AccountId", account->id},
                                  {"Name", account->name},
                                  {"AccessKeyId", key->key.access_key_id},
                                  {"SecretAccessKey", key->secret_access_key}});
  }

  if (action == "CreateAccessKey") {
    auto input = ParseBody(request.body, {"AccountId", "UserName", "AccessKeyId", "SecretAccessKey"});
    if (!input.ok()) return ErrorResponse({400, "InvalidInput", input.status().message()});
    std::string account_id = StringMember(*input, "AccountId");
    std::string user_name = StringMember(*input, "UserName");
    std::string key_id = StringMember(*input, "AccessKeyId");
    std::string secret = StringMember(*input, "SecretAccessKey");
    if (account_id.empty()) return ErrorResponse({400, "InvalidInput", "AccountId is required"});
    if (key_id.empty() != secret.empty()) {
      return ErrorResponse({400, "InvalidInput", "AccessKeyId and SecretAccessKey must be given together"});
    }
    if (!is_operator && caller.account_id != account_id) {
      return ErrorResponse(Denied("User: " + caller.arn + " is not authorized to create access keys in account " +
                                  account_id + ": an account root may only create keys in its own account"));
    }
    auto key = identities_->CreateAccessKey(account_id, user_name, key_id, secret);
    if (!key.ok()) return ErrorResponse(FromStatus(key.status()));
    json out{{"AccountId", key->key.account_id},
             {"AccessKeyId", key->key.access_key_id},
             {"SecretAccessKey", key->secret_access_key}};
    if (!key->key.user_name.empty()) out["UserName"] = key->key.user_name;
    return JsonResponse(200, out);
  }

  if (action == "ReadVolume" || action == "WriteVolume") return VolumeIo(action, request, caller, is_operator);
  if (action == "NbdExports") return NbdExports(request, caller, is_operator);
  if (action == "ImportImageStart" || action == "ImportImageFinish" || action == "ExportSnapshotStart" ||
      action == "DiscardStagedVolume") {
    return DiskImage(action, request, caller, is_operator);
  }

  return ErrorResponse({404, "UnknownOperation", "the kura admin API has no action '" + action + "'"});
}

base::Result<std::string> AdminHandler::TargetAccount(const std::string& requested, const std::string& action,
                                                     const iam::Principal& caller, bool is_operator) const {
  const std::string account = requested.empty() ? caller.account_id : requested;
  if (!is_operator && account != caller.account_id) {
    return base::PermissionDeniedError("User: " + caller.arn + " is not authorized to perform " + action +
                                       " on the instances of account " + account +
                                       ": an account root may only reach its own instances' volumes");
  }
  return account;
}

HttpResponse AdminHandler::NbdExports(const HttpRequest& request, const iam::Principal& caller, bool is_operator) {
  json input = json::parse(request.body.empty() ? std::string("{}") : request.body, nullptr, false);
  if (input.is_discarded() || !input.is_object()) {
    return ErrorResponse({400, "InvalidInput", "the request body must be a JSON object"});
  }
  for (const auto& [name, value] : input.items()) {
    if (name != "InstanceId" && name != "AccountId") return ErrorResponse({400, "InvalidInput", "unknown member '" + name + "'"});
    if (!value.is_string()) return ErrorResponse({400, "InvalidInput", name + " must be a string"});
  }
  const std::string instance_id = StringMember(input, "InstanceId");
  if (instance_id.empty()) return ErrorResponse({400, "InvalidInput", "InstanceId is required"});
  if (!options_.ec2 || !options_.nbd_exports) {
    return ErrorResponse({400, "InvalidRequest", "this server has no NBD server"});
  }
  auto target = TargetAccount(StringMember(input, "AccountId"), "NbdExports", caller, is_operator);
  if (!target.ok()) return ErrorResponse(Denied(target.status().message()));
  // Ownership and state first: the NBD server knows nothing of accounts.
  auto usable = options_.ec2->HostVolumeIds(*target, instance_id);
  if (!usable.ok()) return ErrorResponse(FromVolumeStatus(usable.status()));
  json exports = json::array();
  for (const auto& e : options_.nbd_exports(instance_id)) {
    json entry{{"VolumeId", e.volume_id}, {"Uri", e.uri}};
    if (!e.tcp_uri.empty()) entry["TcpUri"] = e.tcp_uri;
    if (!e.psk_identity.empty()) {
      entry["TlsPskIdentity"] = e.psk_identity;
      entry["TlsPsk"] = e.psk_hex;
    }
    exports.push_back(std::move(entry));
  }
  return JsonResponse(200, json{{"InstanceId", instance_id}, {"Exports", std::move(exports)}});
}

HttpResponse AdminHandler::DiskImage(const std::string& action, const HttpRequest& request,
                                     const iam::Principal& caller, bool is_operator) {
  json input = json::parse(request.body.empty() ? std::string("{}") : request.body, nullptr, false);
  if (input.is_discarded() || !input.is_object()) {
    return ErrorResponse({400, "InvalidInput", "the request body must be a JSON object"});
  }
  for (const auto& [name, value] : input.items()) {
    const bool known = name == "AccountId" || name == "Region" || name == "VolumeId" || name == "SnapshotId" ||
                       name == "Description" || name == "KmsKeyId" || name == "SizeBytes" || name == "Encrypted";
    if (!known) return ErrorResponse({400, "InvalidInput", "unknown member '" + name + "'"});
    const bool typed = name == "SizeBytes" ? value.is_number_unsigned()
                       : name == "Encrypted" ? value.is_boolean()
                                             : value.is_string();
    if (!typed) return ErrorResponse({400, "InvalidInput", "member '" + name + "' has the wrong type"});
  }
  if (!options_.ec2 || !options_.nbd_exports) {
    return ErrorResponse({400, "InvalidRequest", "this server has no NBD server"});
  }
  auto target = TargetAccount(StringMember(input, "AccountId"), action, caller, is_operator);
  if (!target.ok()) return ErrorResponse(Denied(target.status().message()));
  ec2::Caller as;
  as.principal = iam::Principal{*target, iam::AccountRootArn(*target), *target, ""};
  as.region = StringMember(input, "Region").empty() ? "us-east-1" : StringMember(input, "Region");
  auto require = [&](const char* name) -> std::optional<HttpResponse> {
    if (StringMember(input, name).empty()) return ErrorResponse({400, "InvalidInput", std::string(name) + " is required"});
    return std::nullopt;
  };
  auto staged_answer = [&](const base::Result<ec2::StagedVolume>& staged) {
    if (!staged.ok()) return ErrorResponse(FromVolumeStatus(staged.status()));
    std::string uri;
    for (const auto& e : options_.nbd_exports(staged->host_id)) {
      if (e.volume_id == staged->volume_id) uri = e.uri;
    }
    if (uri.empty()) {
      (void)options_.ec2->DiscardStaged(as, staged->volume_id);
      return ErrorResponse({500, "InternalFailure", "the NBD server did not export the staged volume"});
    }
    return JsonResponse(200, json{{"VolumeId", staged->volume_id}, {"Uri", uri}, {"SizeBytes", staged->size_bytes}});
  };
  if (action == "ImportImageStart") {
    const uint64_t size = input.value("SizeBytes", uint64_t{0});
    if (size == 0) return ErrorResponse({400, "InvalidInput", "SizeBytes is required and must be positive"});
    ec2::CreateVolumeRequest create;
    create.zone = as.region + "a";
    create.size_gib = static_cast<int64_t>((size + (1ull << 30) - 1) >> 30);
    create.volume_type = "gp3";
    if (input.contains("Encrypted")) create.encrypted = input["Encrypted"].get<bool>();
    create.kms_key_id = StringMember(input, "KmsKeyId");
    return staged_answer(options_.ec2->StageImport(as, create));
  }
  if (action == "ExportSnapshotStart") {
    if (auto missing = require("SnapshotId")) return *missing;
    return staged_answer(options_.ec2->StageExport(as, StringMember(input, "SnapshotId")));
  }
  if (auto missing = require("VolumeId")) return *missing;
  if (action == "ImportImageFinish") {
    auto snapshot = options_.ec2->FinishImport(as, StringMember(input, "VolumeId"), StringMember(input, "Description"));
    if (!snapshot.ok()) return ErrorResponse(FromVolumeStatus(snapshot.status()));
    return JsonResponse(200, json{{"SnapshotId", snapshot->id}, {"VolumeSize", snapshot->volume_size_gib},
                                  {"Encrypted", snapshot->encrypted}});
  }
  base::Status discarded = options_.ec2->DiscardStaged(as, StringMember(input, "VolumeId"));
  if (!discarded.ok()) return ErrorResponse(FromVolumeStatus(discarded));
  return JsonResponse(200, json::object());
}

HttpResponse AdminHandler::VolumeIo(const std::string& action, const HttpRequest& request,
                                    const iam::Principal& caller, bool is_operator) {
  const bool write = action == "WriteVolume";
  auto input = write ? ParseVolumeBody(request.body, {"InstanceId", "VolumeId", "Offset", "Data", "Flush", "AccountId"})
                     : ParseVolumeBody(request.body, {"InstanceId", "VolumeId", "Offset", "Length", "AccountId"});
  if (!input.ok()) return ErrorResponse({400, "InvalidInput", input.status().message()});
  if (!options_.ec2) return ErrorResponse({400, "InvalidRequest", "this server has no EC2 service"});
  auto target = TargetAccount(StringMember(*input, "AccountId"), action, caller, is_operator);
  if (!target.ok()) return ErrorResponse(Denied(target.status().message()));
  const std::string& account = *target;
  const uint64_t offset = input->value("Offset", uint64_t{0});
  auto volume = options_.ec2->OpenAttachedVolume(account, StringMember(*input, "InstanceId"),
                                                 StringMember(*input, "VolumeId"));
  if (!volume.ok()) return ErrorResponse(FromVolumeStatus(volume.status()));

  if (!write) {
    const uint64_t length = input->value("Length", uint64_t{0});
    if (length > kMaxVolumeIo) {
      return ErrorResponse({400, "InvalidInput", "Length may be at most " + std::to_string(kMaxVolumeIo) + " bytes"});
    }
    std::vector<uint8_t> data(length);
    base::Status read = (*volume)->Read(offset, base::MutableByteSpan(data.data(), data.size()));
    if (!read.ok()) return ErrorResponse(FromVolumeStatus(read));
    std::string_view bytes(reinterpret_cast<const char*>(data.data()), data.size());
    return JsonResponse(200, json{{"Data", codec_internal::Base64Encode(bytes)}});
  }

  auto data = codec_internal::Base64Decode(StringMember(*input, "Data"));
  if (!data) return ErrorResponse({400, "InvalidInput", "Data must be base64"});
  if (data->size() > kMaxVolumeIo) {
    return ErrorResponse({400, "InvalidInput", "Data may be at most " + std::to_string(kMaxVolumeIo) + " bytes"});
  }
  base::Status written = (*volume)->Write(offset, base::ByteSpan(data->data(), data->size()));
  if (written.ok() && input->value("Flush", false)) written = (*volume)->Flush();
  if (!written.ok()) return ErrorResponse(FromVolumeStatus(written));
  return JsonResponse(200, json{{"BytesWritten", data->size()}});
}

}  // namespace kura::api
