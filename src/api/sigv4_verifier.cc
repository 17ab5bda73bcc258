#include "api/sigv4_verifier.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "crypto/hash.h"

namespace kura::api {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kMissingText = "Request is missing Authentication Token";
constexpr std::string_view kMalformedText = "Authorization header or parameters are not formatted correctly.";
constexpr std::string_view kUnknownKeyText = "The security token included in the request is invalid.";
constexpr std::string_view kBadSignatureText =
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
    "Key and signing method. Consult the service documentation for details.";
constexpr int64_t kMaxPresignedExpires = 604800;  // one week, as AWS

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

// Everything the two forms carry, once parsed.
struct Parsed {
  SignedIdentity identity;
  std::vector<std::string> signed_headers;
  std::string signature;
  int64_t date_unix = 0;
  bool presigned = false;
  int64_t expires = 0;  // presigned only
};

// "AKID/yyyymmdd/region/service/aws4_request". Appends what is wrong to `problems`.
bool ParseCredential(std::string_view credential, SignedIdentity& identity, std::vector<std::string>& problems) {
  std::vector<std::string_view> parts = Split(credential, '/');
  if (parts.size() != 5) {
    problems.push_back("Credential should have 5 parts separated by '/' (<access key>/<yyyymmdd>/<region>/"
                       "<service>/aws4_request), got " +
                       std::to_string(parts.size()) + ": '" + std::string(credential) + "'.");
    return false;
  }
  bool ok = true;
  if (parts[4] != "aws4_request") {
    problems.push_back("Credential scope must end with 'aws4_request', not '" + std::string(parts[4]) + "'.");
    ok = false;
  }
  if (parts[0].empty() || parts[1].empty() || parts[2].empty() || parts[3].empty()) {
    problems.push_back("Credential has an empty part: '" + std::string(credential) + "'.");
    ok = false;
  }
  identity.access_key_id = std::string(parts[0]);
  identity.scope = client::CredentialScope{std::string(parts[1]), std::string(parts[2]), std::string(parts[3])};
  return ok;
}

bool ParseSignedHeaders(std::string_view list, std::vector<std::string>& out, std::vector<std::string>& problems) {
  bool ok = true;
  for (std::string_view name : Split(list, ';')) {
    name = Trim(name);
    if (name.empty()) {
      problems.push_back("SignedHeaders has an empty name: '" + std::string(list) + "'.");
      return false;
    }
    out.push_back(Lower(name));
  }
  if (std::find(out.begin(), out.end(), "host") == out.end()) {
    problems.push_back("'Host' must be a 'SignedHeader' in the AWS Authorization.");
    ok = false;
  }
  return ok;
}

int MonthIndex(std::string_view name) {
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                  "jul", "aug", "sep", "oct", "nov", "dec"};
  std::string lower = Lower(name);
  for (int i = 0; i < 12; ++i) {
    if (lower == kMonths[i]) return i + 1;
  }
  return 0;
}

bool ParseDigits(std::string_view s, size_t min_len, size_t max_len, int& out) {
  if (s.size() < min_len || s.size() > max_len) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

// RFC 1123 ("Sun, 29 Nov 2026 13:41:27 GMT"; botocore writes "-0000"), the
// weekday optional, zone GMT/UT/UTC/Z or a numeric offset.
std::optional<int64_t> ParseHttpDate(std::string_view value) {
  std::vector<std::string_view> tokens;
  for (std::string_view t : Split(Trim(value), ' ')) {
    if (!t.empty()) tokens.push_back(t);
  }
  if (!tokens.empty() && tokens[0].size() >= 3 && tokens[0].back() == ',') tokens.erase(tokens.begin());
  if (tokens.size() != 5) return std::nullopt;
  int day = 0, year = 0;
  int month = MonthIndex(tokens[1]);
  if (!ParseDigits(tokens[0], 1, 2, day) || month == 0 || !ParseDigits(tokens[2], 4, 4, year)) return std::nullopt;
  std::vector<std::string_view> hms = Split(tokens[3], ':');
  int h = 0, m = 0, s = 0;
  if (hms.size() != 3 || !ParseDigits(hms[0], 2, 2, h) || !ParseDigits(hms[1], 2, 2, m) ||
      !ParseDigits(hms[2], 2, 2, s)) {
    return std::nullopt;
  }
  int64_t offset = 0;
  std::string zone = Lower(tokens[4]);
  if (zone != "gmt" && zone != "ut" && zone != "utc" && zone != "z") {
    int hhmm = 0;
    if (zone.size() != 5 || (zone[0] != '+' && zone[0] != '-') ||
        !ParseDigits(std::string_view(zone).substr(1), 4, 4, hhmm) || hhmm % 100 > 59) {
      return std::nullopt;
    }
    offset = (hhmm / 100) * 3600 + (hhmm % 100) * 60;
    if (zone[0] == '-') offset = -offset;
  }
  char amz[64];
  std::snprintf(amz, sizeof(amz), "%04d%02d%02dT%02d%02d%02dZ", year % 10000, month, day % 100, h % 100, m % 100,
                s % 100);
  auto parsed = client::ParseAmzDate(amz);
  if (!parsed.ok()) return std::nullopt;
  return *parsed - offset;
}

struct ParseOutcome {
  AuthFailure failure = AuthFailure::kNone;
  std::string message;
  Parsed parsed;
};

ParseOutcome Malformed(std::vector<std::string> problems) {
  ParseOutcome out;
  out.failure = AuthFailure::kMalformed;
  out.message = std::string(kMalformedText);
  for (const std::string& p : problems) out.message += " " + p;
  return out;
}

bool IsPresignedParam(std::string_view name) {
  return name == "X-Amz-Algorithm" || name == "X-Amz-Credential" || name == "X-Amz-Signature" ||
         name == "X-Amz-SignedHeaders";
}

ParseOutcome ParseHeaderForm(const HttpRequest& request, std::string_view authorization) {
  std::vector<std::string> problems;
  ParseOutcome out;
  Parsed& p = out.parsed;
  authorization = Trim(authorization);
  size_t space = authorization.find_first_of(" \t");
  std::string_view algorithm = authorization.substr(0, space);
  std::string_view rest = space == std::string_view::npos ? std::string_view() : authorization.substr(space + 1);
  if (algorithm != kAlgorithm) {
    problems.push_back("Unsupported algorithm '" + std::string(algorithm) + "': only " + std::string(kAlgorithm) +
                       " is accepted.");
    return Malformed(std::move(problems));
  }
  std::optional<std::string_view> credential, signed_headers, signature;
  for (std::string_view component : Split(rest, ',')) {
    component = Trim(component);
    if (component.empty()) continue;
    size_t eq = component.find('=');
    std::string_view key = Trim(component.substr(0, eq));
    std::string_view value = eq == std::string_view::npos ? std::string_view() : Trim(component.substr(eq + 1));
    std::optional<std::string_view>* slot = key == "Credential"      ? &credential
                                            : key == "SignedHeaders" ? &signed_headers
                                            : key == "Signature"     ? &signature
                                                                     : nullptr;
    if (slot == nullptr) continue;  // unknown components are ignored
    if (slot->has_value()) {
      problems.push_back("Authorization header has '" + std::string(key) + "' twice.");
    } else {
      *slot = value;
    }
  }
  if (!credential || credential->empty()) problems.push_back("Authorization header requires 'Credential' parameter.");
  if (!signature || signature->empty()) problems.push_back("Authorization header requires 'Signature' parameter.");
  if (!signed_headers || signed_headers->empty()) {
    problems.push_back("Authorization header requires 'SignedHeaders' parameter.");
  }
  if (credential && !credential->empty()) ParseCredential(*credential, p.identity, problems);
  if (signed_headers && !signed_headers->empty()) ParseSignedHeaders(*signed_headers, p.signed_headers, problems);
  if (signature) p.signature = std::string(*signature);

  if (const std::string* amz_date = request.Header("x-amz-date")) {
    auto parsed = client::ParseAmzDate(Trim(*amz_date));
    if (parsed.ok()) {
      p.date_unix = *parsed;
      p.identity.amz_date = std::string(Trim(*amz_date));
    } else {
      problems.push_back("X-Amz-Date '" + *amz_date + "' is not in the form yyyymmddThhmmssZ.");
    }
  } else if (const std::string* date = request.Header("date")) {
    std::optional<int64_t> parsed = ParseHttpDate(*date);
    if (!parsed) {
      auto amz = client::ParseAmzDate(Trim(*date));
      if (amz.ok()) parsed = *amz;
    }
    if (parsed) {
      p.date_unix = *parsed;
      p.identity.amz_date = client::AmzDate(*parsed);
    } else {
      problems.push_back("Date header '" + *date + "' is not an RFC 1123 date.");
    }
  } else {
    problems.push_back("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  if (!problems.empty()) return Malformed(std::move(problems));
  return out;
}

ParseOutcome ParseQueryForm(const std::vector<std::pair<std::string, std::string>>& params) {
  std::vector<std::string> problems;
  ParseOutcome out;
  Parsed& p = out.parsed;
  p.presigned = true;
  auto get = [&](std::string_view name) -> std::optional<std::string> {
    std::optional<std::string> found;
    for (const auto& [key, value] : params) {
      if (key != name) continue;
      if (found) {
        problems.push_back("Query parameter '" + std::string(name) + "' appears more than once.");
        return std::nullopt;
      }
      found = value;
    }
    if (!found) problems.push_back("AWS query-string parameters must include '" + std::string(name) + "'.");
    return found;
  };
  std::optional<std::string> algorithm = get("X-Amz-Algorithm");
  std::optional<std::string> credential = get("X-Amz-Credential");
  std::optional<std::string> date = get("X-Amz-Date");
  std::optional<std::string> expires = get("X-Amz-Expires");
  std::optional<std::string> signed_headers = get("X-Amz-SignedHeaders");
  std::optional<std::string> signature = get("X-Amz-Signature");
  if (algorithm && *algorithm != kAlgorithm) {
    problems.push_back("Unsupported X-Amz-Algorithm '" + *algorithm + "': only " + std::string(kAlgorithm) +
                       " is accepted.");
  }
  if (credential) ParseCredential(*credential, p.identity, problems);
  if (signed_headers) ParseSignedHeaders(*signed_headers, p.signed_headers, problems);
  if (signature) {
    if (signature->empty()) problems.push_back("X-Amz-Signature is empty.");
    p.signature = *signature;
  }
  if (date) {
    auto parsed = client::ParseAmzDate(*date);
    if (parsed.ok()) {
      p.date_unix = *parsed;
      p.identity.amz_date = *date;
    } else {
      problems.push_back("X-Amz-Date '" + *date + "' is not in the form yyyymmddThhmmssZ.");
    }
  }
  if (expires) {
    int64_t value = 0;
    bool ok = !expires->empty() && expires->size() <= 10;
    for (char c : *expires) {
      if (c < '0' || c > '9') ok = false;
      if (ok) value = value * 10 + (c - '0');
    }
    if (!ok) {
      problems.push_back("X-Amz-Expires should be a number of seconds, not '" + *expires + "'.");
    } else if (value > kMaxPresignedExpires) {
      problems.push_back("X-Amz-Expires must be less than a week (in seconds) that is 604800.");
    }
    p.expires = value;
  }
  if (!problems.empty()) return Malformed(std::move(problems));
  return out;
}

ParseOutcome Parse(const HttpRequest& request) {
  if (const std::string* authorization = request.Header("authorization")) {
    return ParseHeaderForm(request, *authorization);
  }
  std::vector<std::pair<std::string, std::string>> params = ParseFormEncoded(request.Query(), false);
  bool presigned = std::any_of(params.begin(), params.end(), [](const auto& kv) { return IsPresignedParam(kv.first); });
  if (!presigned) {
    ParseOutcome out;
    out.failure = AuthFailure::kMissing;
    out.message = std::string(kMissingText);
    return out;
  }
  return ParseQueryForm(params);
}

std::string SkewMinutes(std::chrono::seconds window) { return std::to_string(window.count() / 60); }

VerifyResult Fail(AuthFailure failure, std::string message, SignedIdentity identity = {}) {
  VerifyResult result;
  result.failure = failure;
  result.message = std::move(message);
  result.identity = std::move(identity);
  return result;
}

bool IsHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

bool SignatureMatches(const HttpRequest& request, const Parsed& p, const std::vector<uint8_t>& signing_key,
                      std::string payload_hash) {
  client::CanonicalInput input;
  input.method = request.method;
  input.path = std::string(request.Path());
  input.query = std::string(request.Query());
  input.headers = request.headers;
  input.signed_headers = p.signed_headers;
  input.payload_hash = std::move(payload_hash);
  std::string canonical = client::CanonicalRequest(input);
  std::string expected =
      client::Signature(signing_key, client::StringToSign(p.identity.amz_date, p.identity.scope, canonical));
  return crypto::ConstantTimeEqual(base::AsBytes(expected), base::AsBytes(p.signature));
}

}  // namespace

std::vector<uint8_t> SigningKeyCache::Get(const std::string& access_key_id, const std::string& secret,
                                          const client::CredentialScope& scope) {
  std::string id = access_key_id;
  for (const std::string* part : {&scope.date, &scope.region, &scope.service}) {
    id += '\0';
    id += *part;
  }
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it != entries_.end() && crypto::ConstantTimeEqual(base::AsBytes(it->second.secret), base::AsBytes(secret))) {
      return it->second.signing_key;
    }
  }
  std::vector<uint8_t> key = client::SigningKey(secret, scope);
  std::lock_guard lock(mu_);
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_.insert_or_assign(std::move(id), Entry{secret, key});
  return key;
}

VerifyResult VerifySigV4(const HttpRequest& request, const SecretLookup& lookup, int64_t now_unix,
                         const VerifyOptions& options) {
  ParseOutcome outcome = Parse(request);
  if (outcome.failure != AuthFailure::kNone) return Fail(outcome.failure, std::move(outcome.message));
  const Parsed& p = outcome.parsed;
  const SignedIdentity& identity = p.identity;

  std::string_view date_day = std::string_view(identity.amz_date).substr(0, 8);
  if (identity.scope.date != date_day) {
    return Fail(AuthFailure::kBadScope,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
                    identity.scope.date + "' != '" + std::string(date_day) + "', from '" + identity.amz_date + "'.",
                identity);
  }

  // --auth open: a well-formed credential is all that is asked for.
  if (!options.check_signature) return Fail(AuthFailure::kNone, "", identity);

  const int64_t window = options.allowed_skew.count();
  if (p.date_unix > now_unix + window) {
    return Fail(AuthFailure::kNotYetValid,
                "Signature not yet current: " + identity.amz_date + " is still later than " +
                    client::AmzDate(now_unix + window) + " (" + client::AmzDate(now_unix) + " + " +
                    SkewMinutes(options.allowed_skew) + " min.)",
                identity);
  }
  if (p.presigned) {
    if (now_unix > p.date_unix + p.expires) return Fail(AuthFailure::kExpired, "Request has expired.", identity);
  } else if (p.date_unix < now_unix - window) {
    return Fail(AuthFailure::kExpired,
                "Signature expired: " + identity.amz_date + " is now earlier than " +
                    client::AmzDate(now_unix - window) + " (" + client::AmzDate(now_unix) + " - " +
                    SkewMinutes(options.allowed_skew) + " min.)",
                identity);
  }

  std::optional<std::string> secret = lookup ? lookup(identity.access_key_id) : std::nullopt;
  if (!secret) return Fail(AuthFailure::kUnknownKey, std::string(kUnknownKeyText), identity);

  const std::vector<uint8_t> signing_key = options.signing_keys
                                               ? options.signing_keys->Get(identity.access_key_id, *secret, identity.scope)
                                               : client::SigningKey(*secret, identity.scope);
  bool matches = false;
  if (const std::string* declared = request.Header("x-amz-content-sha256")) {
    // Used verbatim (UNSIGNED-PAYLOAD, ...); a hash must be the body's, or the
    // signature would cover a body other than the one that arrived.
    if (IsHex64(*declared) && Lower(*declared) != client::HexSha256(request.body)) {
      return Fail(AuthFailure::kBadSignature,
                  "The provided 'x-amz-content-sha256' header does not match what was computed.", identity);
    }
    matches = SignatureMatches(request, p, signing_key, *declared);
  } else if (p.presigned) {
    // botocore moves form parameters into the URL and hashes an empty payload.
    matches = SignatureMatches(request, p, signing_key, std::string(kEmptySha256));
    if (!matches && !request.body.empty()) {
      matches = SignatureMatches(request, p, signing_key, client::HexSha256(request.body));
    }
  } else {
    matches = SignatureMatches(request, p, signing_key, client::HexSha256(request.body));
  }
  if (!matches) return Fail(AuthFailure::kBadSignature, std::string(kBadSignatureText), identity);
  return Fail(AuthFailure::kNone, "", identity);
}

std::optional<SignedIdentity> PeekCredential(const HttpRequest& request) {
  SignedIdentity identity;
  std::vector<std::string> problems;
  if (const std::string* authorization = request.Header("authorization")) {
    std::string_view rest = Trim(*authorization);
    if (rest.substr(0, kAlgorithm.size()) != kAlgorithm) return std::nullopt;
    rest.remove_prefix(kAlgorithm.size());
    std::optional<std::string_view> credential;
    for (std::string_view component : Split(rest, ',')) {
      component = Trim(component);
      size_t eq = component.find('=');
      if (eq != std::string_view::npos && Trim(component.substr(0, eq)) == "Credential") {
        credential = Trim(component.substr(eq + 1));
        break;
      }
    }
    if (!credential || !ParseCredential(*credential, identity, problems)) return std::nullopt;
    if (const std::string* amz_date = request.Header("x-amz-date")) {
      identity.amz_date = std::string(Trim(*amz_date));
    } else if (const std::string* date = request.Header("date")) {
      if (std::optional<int64_t> parsed = ParseHttpDate(*date)) identity.amz_date = client::AmzDate(*parsed);
    }
    return identity;
  }
  std::optional<std::string> credential;
  for (const auto& [key, value] : ParseFormEncoded(request.Query(), false)) {
    if (key == "X-Amz-Credential" && !credential) credential = value;
    if (key == "X-Amz-Date" && identity.amz_date.empty()) identity.amz_date = value;
  }
  if (!credential || !ParseCredential(*credential, identity, problems)) return std::nullopt;
  return identity;
}

}  // namespace kura::api
