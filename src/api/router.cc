#include "api/router.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>

#include "api/codec.h"
#include "base/bytes.h"
#include "base/log.h"
#include "crypto/random.h"

namespace kura::api {

namespace {

using Clock = std::chrono::steady_clock;

// Which family of wire errors a request gets before its service is known.
enum class Family { kJson, kQuery, kEc2 };

Family FamilyOf(Protocol p) {
  switch (p) {
    case Protocol::kJson:
    case Protocol::kRestJson: return Family::kJson;
    case Protocol::kEc2: return Family::kEc2;
    case Protocol::kQuery: return Family::kQuery;
  }
  return Family::kQuery;
}

// auth-sigv4.md §2.6: the code and status each protocol family uses for each failed check.
WireError AuthError(Family family, AuthFailure failure, const std::string& message) {
  struct Codes {
    const char *json, *query, *ec2;
    int json_status, query_status, ec2_status;
  };
  Codes c{};
  switch (failure) {
    case AuthFailure::kMissing:
      c = {"MissingAuthenticationTokenException", "MissingAuthenticationToken", "MissingAuthenticationToken", 400,
           403, 401};
      break;
    case AuthFailure::kMalformed:
      c = {"IncompleteSignatureException", "IncompleteSignature", "AuthFailure", 400, 400, 401};
      break;
    case AuthFailure::kUnknownKey:
      c = {"UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure", 400, 403, 401};
      break;
    case AuthFailure::kExpired:
    case AuthFailure::kNotYetValid:
      c = {"InvalidSignatureException", "SignatureDoesNotMatch", "RequestExpired", 400, 403, 400};
      break;
    case AuthFailure::kBadSignature:
    case AuthFailure::kBadScope:
    case AuthFailure::kNone:
      c = {"InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure", 400, 403, 401};
      break;
  }
  std::string text = message;
  if (family == Family::kEc2) {
    if (failure == AuthFailure::kUnknownKey || failure == AuthFailure::kBadSignature) {
      text = "AWS was not able to validate the provided access credentials";
    } else if (failure == AuthFailure::kExpired || failure == AuthFailure::kNotYetValid) {
      text = "Request has expired.";
    }
  }
  switch (family) {
    case Family::kJson: return {c.json, text, c.json_status, true};
    case Family::kQuery: return {c.query, text, c.query_status, true};
    case Family::kEc2: return {c.ec2, text, c.ec2_status, true};
  }
  return {c.query, text, c.query_status, true};
}

WireError CodecErrorFor(Family family, const base::Status& status) {
  auto kind = static_cast<CodecError>(status.detail());
  switch (family) {
    case Family::kJson:
      if (kind == CodecError::kMalformed) return {"SerializationException", status.message(), 400, true};
      return {"ValidationException", status.message(), 400, true};
    case Family::kQuery: return {"ValidationError", status.message(), 400, true};
    case Family::kEc2:
      if (kind == CodecError::kMissingParameter) return {"MissingParameter", status.message(), 400, true};
      return {"InvalidParameterValue", status.message(), 400, true};
  }
  return {"ValidationError", status.message(), 400, true};
}

WireError UnknownOperation(Family family, const std::string& operation, const std::string& version) {
  switch (family) {
    case Family::kJson: return {"UnknownOperationException", "", 400, true};
    case Family::kEc2:
      return {"InvalidAction", fmt::format("The action {} is not valid for this web service.", operation), 400, true};
    case Family::kQuery:
      return {"InvalidAction", fmt::format("Could not find operation {} for version {}", operation, version), 400,
              true};
  }
  return {"InvalidAction", "", 400, true};
}

// Parameters that carry the request's routing and authentication, not operation input.
bool IsEnvelopeParameter(const std::string& name) {
  return name == "Action" || name == "Version" || name.rfind("X-Amz-", 0) == 0;
}

int64_t SystemNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ServiceForVersion(const std::string& version) {
  if (version == "2016-11-15") return "ec2";
  if (version == "2010-05-08") return "iam";
  if (version == "2011-06-15") return "sts";
  if (version == "2012-06-01") return "elb";
  return "";
}

}  // namespace

// Request ids only need to be unique, not unpredictable: RAND_bytes on every
// request cost about 14,000 instructions (OpenSSL's DRBG lookup, locking and
// AES-CTR generation), a twentieth of a whole KMS call. Each thread instead
// seeds a splitmix64 generator once from the CSPRNG; 122 of the 128 bits stay
// random-looking, as in a v4 UUID.
std::string NewRequestId() {
  struct Generator {
    uint64_t state = 0;
    Generator() {
      uint8_t seed[8];
      if (crypto::RandomBytes(seed).ok()) {
        state = base::LoadLe64(seed);
      } else {
        // The CSPRNG failing is fatal elsewhere; distinct threads and runs still get distinct seeds.
        static std::atomic<uint64_t> counter{0};
        state = static_cast<uint64_t>(SystemNow()) * 0x9e3779b97f4a7c15ULL + ++counter;
      }
    }
    uint64_t Next() {  // splitmix64 (Steele, Lea, Flood 2014)
      uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      return z ^ (z >> 31);
    }
  };
  thread_local Generator generator;
  uint8_t bytes[16];
  base::StoreLe64(generator.Next(), bytes);
  base::StoreLe64(generator.Next(), bytes + 8);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(36, '-');
  for (size_t i = 0, o = 0; i < 16; ++i, ++o) {
    if (o == 8 || o == 13 || o == 18 || o == 23) ++o;  // the dashes of 8-4-4-4-12
    id[o] = kHex[bytes[i] >> 4];
    id[++o] = kHex[bytes[i] & 0x0f];
  }
  return id;
}

Router::Router(RouterOptions options, KeyOwnerLookup lookup) : options_(std::move(options)), lookup_(std::move(lookup)) {
  if (!options_.clock) options_.clock = SystemNow;
}

base::Status Router::AddProvider(std::shared_ptr<Provider> provider) {
  KURA_ASSIGN_OR_RETURN(auto model, ServiceModel::Load(provider->service()));
  std::string name(provider->service());
  services_[name] = Service{std::move(model), std::move(provider)};
  return base::Status::Ok();
}

HttpResponse Router::Error(const Service* service, const std::string& request_id, const WireError& error) const {
  HttpResponse response;
  response.status = error.http_status;
  response.SetHeader("x-amzn-RequestId", request_id);
  if (!service) {
    // Before the service is known the request gets the Query protocol's envelope.
    for (const auto& [name, candidate] : services_) {
      if (candidate.model->protocol() == Protocol::kQuery) service = &candidate;
    }
  }
  if (service && FamilyOf(service->model->protocol()) == Family::kJson) {
    response.SetHeader("Content-Type", "application/x-amz-json-1.1");
    response.body = EncodeJsonError(error.code, error.message);
  } else if (service) {
    response.SetHeader("Content-Type", "text/xml");
    response.body = EncodeQueryError(*service->model, error.code, error.message, error.sender_fault, request_id);
  } else {
    response.SetHeader("Content-Type", "text/plain");
    response.body = error.code + ": " + error.message + "\n";
  }
  return response;
}

HttpResponse Router::Handle(HttpRequest&& request) {
  auto started = Clock::now();
  std::string request_id = NewRequestId();
  std::string service = "-", operation = "-", principal = "-", code = "-";
  HttpResponse response;
  std::optional<HttpResponse> local = options_.local_routes ? options_.local_routes(request) : std::nullopt;
  if (local) {
    response = std::move(*local);
    response.SetHeader("x-amzn-RequestId", request_id);
    service = "kura";
    operation = std::string(request.Path());
  } else {
    response = Dispatch(request, request_id, &service, &operation, &principal, &code);
  }
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count();
  base::LogEvent(response.status >= 500 ? base::LogLevel::kWarn : base::LogLevel::kInfo, "request",
                 {{"request_id", request_id},
                  {"service", service},
                  {"operation", operation},
                  {"principal", principal},
                  {"status", std::to_string(response.status)},
                  {"error", code},
                  {"us", std::to_string(micros)},
                  {"remote", request.remote_address}});
  return response;
}

HttpResponse Router::Dispatch(const HttpRequest& request, const std::string& request_id, std::string* log_service,
                              std::string* log_operation, std::string* log_principal, std::string* log_code) {
  auto fail = [&](const Service* service, const WireError& error) {
    *log_code = error.code;
    return Error(service, request_id, error);
  };

  // 2. Which service and operation.
  const Service* service = nullptr;
  std::string operation;
  std::vector<std::pair<std::string, std::string>> params;
  std::string version;
  if (const std::string* target = request.Header("x-amz-target")) {
    auto dot = target->find('.');
    std::string prefix = target->substr(0, dot);
    operation = dot == std::string::npos ? "" : target->substr(dot + 1);
    for (const auto& [name, candidate] : services_) {
      if (candidate.model->protocol() == Protocol::kJson && candidate.model->target_prefix() == prefix) {
        service = &candidate;
      }
    }
    if (!service) return fail(nullptr, {"UnknownOperationException", "", 400, true});
  } else {
    params = ParseFormEncoded(request.Query(), true);
    const std::string* content_type = request.Header("content-type");
    if (request.method == "POST" && content_type &&
        content_type->find("application/x-www-form-urlencoded") != std::string::npos) {
      auto body_params = ParseFormEncoded(request.body, true);
      params.insert(params.end(), body_params.begin(), body_params.end());
    }
    for (const auto& [name, value] : params) {
      if (name == "Action") operation = value;
      if (name == "Version") version = value;
    }
    if (operation.empty()) return fail(nullptr, {"MissingAction", "Missing Action", 400, true});
    std::string service_name;
    if (auto credential = PeekCredential(request)) {
      service_name = credential->scope.service == "elasticloadbalancing" ? "elb" : credential->scope.service;
    }
    if (!services_.count(service_name)) service_name = ServiceForVersion(version);
    auto it = services_.find(service_name);
    if (it == services_.end()) {
      return fail(nullptr, {"InvalidAction", fmt::format("The action {} is not valid for this web service.", operation),
                            400, true});
    }
    service = &it->second;
  }
  *log_service = service->model->service();
  *log_operation = operation;
  Family family = FamilyOf(service->model->protocol());

  // 3. Who is calling.
  VerifyOptions verify;
  verify.check_signature = options_.verify_signatures;
  verify.signing_keys = &signing_keys_;
  verify.allowed_skew = service->model->service() == "kms" ? std::chrono::minutes(5) : std::chrono::minutes(15);
  std::optional<KeyOwner> owner;
  auto secret_of = [&](const std::string& access_key_id) -> std::optional<std::string> {
    owner = lookup_(access_key_id);
    if (!owner) return std::nullopt;
    return owner->secret_access_key;
  };
  VerifyResult verified = VerifySigV4(request, secret_of, options_.clock(), verify);
  if (verified.failure != AuthFailure::kNone) return fail(service, AuthError(family, verified.failure, verified.message));
  const std::string& region = verified.identity.scope.region;
  if (std::find(options_.regions.begin(), options_.regions.end(), region) == options_.regions.end()) {
    return fail(service, AuthError(family, AuthFailure::kBadScope, "Credential should be scoped to a valid region."));
  }
  CallContext context;
  context.request_id = request_id;
  context.region = region;
  context.access_key_id = verified.identity.access_key_id;
  context.now = options_.clock();
  if (options_.verify_signatures) {
    context.caller = owner->principal;
  } else {
    context.caller.account_id = options_.open_account_id;
    context.caller.arn = iam::AccountRootArn(options_.open_account_id);
    context.caller.user_id = options_.open_account_id;
  }
  *log_principal = context.caller.arn;

  // 4. Decode, call, encode.
  const Operation* op = service->model->FindOperation(operation);
  if (!op) return fail(service, UnknownOperation(family, operation, version));
  base::Result<nlohmann::json> input = nlohmann::json::object();
  if (family == Family::kJson) {
    input = DecodeJsonRequest(*op, request.body);
  } else {
    std::vector<std::pair<std::string, std::string>> op_params;
    for (auto& [name, value] : params) {
      if (!IsEnvelopeParameter(name)) op_params.emplace_back(name, value);
    }
    input = DecodeQueryRequest(*service->model, *op, op_params);
  }
  if (!input.ok()) return fail(service, CodecErrorFor(family, input.status()));

  base::Result<nlohmann::json> output = service->provider->Call(operation, *input, context);
  if (!output.ok()) return fail(service, service->provider->MapError(output.status()));

  HttpResponse response;
  response.SetHeader("x-amzn-RequestId", request_id);
  if (family == Family::kJson) {
    response.SetHeader("Content-Type", "application/x-amz-json-1.1");
    response.body = EncodeJsonResponse(*op, *output);
  } else {
    response.SetHeader("Content-Type", "text/xml");
    response.body = EncodeQueryResponse(*service->model, *op, *output, request_id);
  }
  return response;
}

}  // namespace kura::api
