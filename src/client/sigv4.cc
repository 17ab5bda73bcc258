#include "client/sigv4.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

#include "base/bytes.h"
#include "crypto/hash.h"

namespace kura::client {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

// botocore: ' '.join(value.split()) — trims and collapses every run of whitespace to one space.
std::string TrimAll(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 percent-decoding; '+' stays '+'; a malformed escape is kept literally.
std::string Decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

// RFC 3986 dot-segment removal plus collapsing of empty segments, as botocore's
// remove_dot_segments (AWS services want duplicate slashes removed).
std::string NormalizePath(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string out;
  if (path.front() == '/') out.push_back('/');
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    out.append(segments[i]);
  }
  if (path.back() == '/' && !segments.empty()) out.push_back('/');
  return out;
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view part = query.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string name = Decode(part.substr(0, eq));
    std::string value = eq == std::string_view::npos ? std::string() : Decode(part.substr(eq + 1));
    if (name == "X-Amz-Signature") continue;
    pairs.emplace_back(UriEncode(name, false), UriEncode(value, false));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out.push_back('&');
    out.append(name);
    out.push_back('=');
    out.append(value);
  }
  return out;
}

std::string Hex(const crypto::Digest& digest) { return base::HexEncode(digest); }

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

std::string CredentialScope::ToString() const { return date + "/" + region + "/" + service + "/aws4_request"; }

std::string UriEncode(std::string_view in, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size() * 3);
  for (char ch : in) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string HexSha256(std::string_view data) { return Hex(crypto::Sha256(base::AsBytes(data))); }

std::string CanonicalRequest(const CanonicalInput& input) {
  std::string out;
  // 1. Method.
  for (char c : input.method) out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  out.push_back('\n');
  // 2. Canonical URI. Like botocore (and AWS for every service but S3), the
  // path as sent — already percent-encoded — is encoded once more.
  out.append(UriEncode(NormalizePath(input.path), true));
  out.push_back('\n');
  // 3. Canonical query string.
  out.append(CanonicalQuery(input.query));
  out.push_back('\n');
  // 4. Canonical headers, 5. signed headers.
  std::vector<std::string> names;
  names.reserve(input.signed_headers.size());
  for (const std::string& name : input.signed_headers) names.push_back(Lower(TrimAll(name)));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (const std::string& name : names) {
    out.append(name);
    out.push_back(':');
    bool first = true;
    for (const auto& [header_name, value] : input.headers) {
      if (Lower(header_name) != name) continue;
      if (!first) out.push_back(',');
      first = false;
      out.append(TrimAll(value));
    }
    out.push_back('\n');
  }
  out.push_back('\n');
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out.push_back(';');
    out.append(names[i]);
  }
  out.push_back('\n');
  // 6. Payload hash.
  out.append(input.payload_hash);
  return out;
}

std::string StringToSign(std::string_view amz_date, const CredentialScope& scope, std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out.push_back('\n');
  out.append(amz_date);
  out.push_back('\n');
  out.append(scope.ToString());
  out.push_back('\n');
  out.append(HexSha256(canonical_request));
  return out;
}

std::vector<uint8_t> SigningKey(std::string_view secret_access_key, const CredentialScope& scope) {
  std::string seed = "AWS4";
  seed.append(secret_access_key);
  crypto::Digest k = crypto::HmacSha256(base::AsBytes(seed), base::AsBytes(scope.date));
  k = crypto::HmacSha256(k, base::AsBytes(scope.region));
  k = crypto::HmacSha256(k, base::AsBytes(scope.service));
  k = crypto::HmacSha256(k, base::AsBytes("aws4_request"));
  return std::vector<uint8_t>(k.begin(), k.end());
}

std::string Signature(const std::vector<uint8_t>& signing_key, std::string_view string_to_sign) {
  return Hex(crypto::HmacSha256(signing_key, base::AsBytes(string_to_sign)));
}

void SignRequest(SignableRequest& request, const Credentials& credentials, std::string_view region,
                 std::string_view service, std::string_view amz_date) {
  // Drop what a previous signing attempt left (botocore does the same on retries).
  std::erase_if(request.headers, [&](const auto& header) {
    std::string name = Lower(header.first);
    return name == "authorization" || name == "x-amz-date" ||
           (name == "x-amz-security-token" && !credentials.session_token.empty());
  });
  request.headers.emplace_back("X-Amz-Date", std::string(amz_date));
  if (!credentials.session_token.empty()) request.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);

  CanonicalInput input;
  input.method = request.method;
  input.path = request.path;
  input.query = request.query;
  input.headers = request.headers;
  bool has_host = false;
  for (const auto& [name, value] : request.headers) {
    std::string lower = Lower(name);
    if (lower == "host") has_host = true;
    if (lower == "host" || lower == "content-type" || StartsWith(lower, "x-amz-")) {
      input.signed_headers.push_back(lower);
    }
    if (lower == "x-amz-content-sha256" && input.payload_hash.empty()) input.payload_hash = value;
  }
  if (!has_host) input.signed_headers.push_back("host");
  if (input.payload_hash.empty()) input.payload_hash = HexSha256(request.body);

  CredentialScope scope{std::string(amz_date.substr(0, 8)), std::string(region), std::string(service)};
  std::string canonical = CanonicalRequest(input);
  std::string signature =
      Signature(SigningKey(credentials.secret_access_key, scope), StringToSign(amz_date, scope, canonical));

  std::vector<std::string> names = input.signed_headers;
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string signed_headers;
  for (const std::string& name : names) {
    if (!signed_headers.empty()) signed_headers.push_back(';');
    signed_headers.append(name);
  }
  request.headers.emplace_back("Authorization", std::string(kAlgorithm) + " Credential=" + credentials.access_key_id +
                                                    "/" + scope.ToString() + ", SignedHeaders=" + signed_headers +
                                                    ", Signature=" + signature);
}

std::string AmzDate(int64_t unix_seconds) {
  using namespace std::chrono;
  sys_seconds t{seconds(unix_seconds)};
  sys_days day = floor<days>(t);
  year_month_day ymd(day);
  hh_mm_ss<seconds> hms(t - day);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

base::Result<int64_t> ParseAmzDate(std::string_view amz_date) {
  auto bad = [&] { return base::InvalidArgumentError("malformed date '" + std::string(amz_date) + "': want yyyymmddThhmmssZ"); };
  if (amz_date.size() != 16 || amz_date[8] != 'T' || amz_date[15] != 'Z') return bad();
  auto number = [&](size_t pos, size_t len, int& out) {
    out = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (amz_date[i] < '0' || amz_date[i] > '9') return false;
      out = out * 10 + (amz_date[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!number(0, 4, y) || !number(4, 2, mo) || !number(6, 2, d) || !number(9, 2, h) || !number(11, 2, mi) ||
      !number(13, 2, s)) {
    return bad();
  }
  using namespace std::chrono;
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return bad();
  return static_cast<int64_t>(sys_days(ymd).time_since_epoch().count()) * 86400 + h * 3600 + mi * 60 + s;
}

}  // namespace kura::client
