// AWS Signature Version 4 (auth-sigv4.md §2): canonical request, string to
// sign, signing key, signature. Used to sign (client tools) and, by the API
// layer, to verify what arrives. Pure functions on values.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace kura::client {

struct CredentialScope {
  std::string date;     // yyyymmdd
  std::string region;   // us-east-1
  std::string service;  // kms
  std::string ToString() const;  // "20150830/us-east-1/iam/aws4_request"
};

struct CanonicalInput {
  std::string method;
  std::string path;   // raw path as sent (percent-encoded); normalised per §2.1
  std::string query;  // raw query string as sent, without '?'; X-Amz-Signature is dropped
  // All request headers (any case); only those in signed_headers are used.
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> signed_headers;  // lower-case, as declared by the signer
  std::string payload_hash;                 // hex SHA-256 or "UNSIGNED-PAYLOAD"
};

std::string CanonicalRequest(const CanonicalInput& input);
std::string StringToSign(std::string_view amz_date, const CredentialScope& scope, std::string_view canonical_request);
// kSigning = HMAC chain over "AWS4"+secret, date, region, service, "aws4_request".
std::vector<uint8_t> SigningKey(std::string_view secret_access_key, const CredentialScope& scope);
std::string Signature(const std::vector<uint8_t>& signing_key, std::string_view string_to_sign);

// URI-encodes per SigV4 (unreserved A-Z a-z 0-9 - _ . ~ kept; '/' kept when `keep_slash`).
std::string UriEncode(std::string_view in, bool keep_slash);
std::string HexSha256(std::string_view data);

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty when none
};

// Signs a request in the header form botocore uses: adds X-Amz-Date,
// X-Amz-Security-Token when present, and Authorization; signs host,
// content-type (when present), x-amz-* headers. `amz_date` "yyyymmddThhmmssZ".
struct SignableRequest {
  std::string method;
  std::string path;
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;  // must include Host
  std::string body;
};
void SignRequest(SignableRequest& request, const Credentials& credentials, std::string_view region,
                 std::string_view service, std::string_view amz_date);

// "yyyymmddThhmmssZ" for a Unix time.
std::string AmzDate(int64_t unix_seconds);
// Parses "yyyymmddThhmmssZ"; InvalidArgument when malformed.
base::Result<int64_t> ParseAmzDate(std::string_view amz_date);

}  // namespace kura::client
