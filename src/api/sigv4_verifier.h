// Verifies SigV4 on an incoming request (header form and presigned query
// form), against secrets looked up by access key id. The result says who
// signed, or exactly which check failed, so each protocol can answer with
// AWS's error code for it (auth-sigv4.md §2.6).
// Thread-safety: safe from any thread when the lookup is.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/http.h"
#include "base/status.h"
#include "client/sigv4.h"

namespace kura::api {

enum class AuthFailure {
  kNone,
  kMissing,          // no Authorization header and no X-Amz-Credential
  kMalformed,        // header or parameters not formatted correctly
  kUnknownKey,       // access key id not known
  kBadSignature,     // signature mismatch
  kExpired,          // date too old (or presigned URL expired)
  kNotYetValid,      // date too far in the future
  kBadScope,         // scope date differs from X-Amz-Date, or unknown region
};

struct SignedIdentity {
  std::string access_key_id;
  client::CredentialScope scope;
  std::string amz_date;
};

struct VerifyResult {
  AuthFailure failure = AuthFailure::kNone;
  std::string message;  // AWS's message text for the failure
  SignedIdentity identity;  // meaningful when failure == kNone (and partly for kUnknownKey)
};

// Returns the secret for an access key id, or nullopt when unknown.
using SecretLookup = std::function<std::optional<std::string>(const std::string& access_key_id)>;

// SigV4 signing keys (the 4-HMAC chain over secret, date, region, service),
// kept per access key and scope: a signer's key changes once a day, while
// deriving it again costs more than verifying the request's own signature.
// An entry is used only while the access key's secret is still the one it was
// derived from, so a deleted and re-created key id never reuses a stale key.
// Secrets stay in memory only. Thread-safety: safe from any thread.
class SigningKeyCache {
 public:
  static constexpr size_t kMaxEntries = 4096;  // then it starts over
  std::vector<uint8_t> Get(const std::string& access_key_id, const std::string& secret,
                           const client::CredentialScope& scope);

 private:
  struct Entry {
    std::string secret;
    std::vector<uint8_t> signing_key;
  };
  std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;  // access key id, date, region, service
};

struct VerifyOptions {
  std::chrono::seconds allowed_skew{std::chrono::minutes(15)};  // 5 min for KMS
  bool check_signature = true;  // false: --auth open (well-formed credentials are enough)
  SigningKeyCache* signing_keys = nullptr;  // optional; derived afresh when null
};

// `now_unix` is the server clock. The body is hashed unless X-Amz-Content-SHA256 says otherwise.
VerifyResult VerifySigV4(const HttpRequest& request, const SecretLookup& lookup, int64_t now_unix,
                         const VerifyOptions& options);

// Reads only the credential (access key id and scope) without verifying: used for routing.
std::optional<SignedIdentity> PeekCredential(const HttpRequest& request);

}  // namespace kura::api
