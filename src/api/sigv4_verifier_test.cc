#include "api/sigv4_verifier.h"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http.h"
#include "client/sigv4.h"

namespace kura::api {
namespace {

// ---------------------------------------------------------------------------
// Requests signed by the real botocore (1.43.11, python 3.11) at a fixed time.
// Regenerate with `python3 gen.py` where gen.py is:
//
// import datetime, json, botocore.auth
// from botocore.auth import SigV4Auth, SigV4QueryAuth
// from botocore.awsrequest import AWSRequest
// from botocore.credentials import Credentials
// FIXED = datetime.datetime(2026, 11, 29, 13, 41, 27)  # naive UTC, as botocore uses
// botocore.auth.get_current_datetime = lambda *a, **k: FIXED
// AK, SK = 'AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
// URL = 'http://127.0.0.1:9999/'
// UA = 'Botocore/1.43.11 ua/2.1 os/linux md/arch#x86_64 lang/python#3.11.7'
// FORM = 'application/x-www-form-urlencoded; charset=utf-8'
// def show(name, r):
//     print('//', name, r.method, r.url)
//     for k, v in r.headers.items(): print('//   %s: %s' % (k, v))
//     print('//   body: %r' % (r.body,))
// def sign(name, svc, headers, body, token=None, region='us-east-1'):
//     r = AWSRequest(method='POST', url=URL, headers=headers, data=body)
//     SigV4Auth(Credentials(AK, SK, token), svc, region).add_auth(r)
//     show(name, r)
// sign('kms', 'kms', {'X-Amz-Target': 'TrentService.Encrypt', 'Content-Type': 'application/x-amz-json-1.1',
//      'User-Agent': UA}, json.dumps({'KeyId': 'alias/k', 'Plaintext': 'aGVsbG8='}))
// sign('ec2', 'ec2', {'Content-Type': FORM, 'User-Agent': UA},
//      'Action=DescribeVolumes&Version=2016-11-15&Filter.1.Name=encrypted&Filter.1.Value.1=true')
// sign('sts', 'sts', {'Content-Type': FORM, 'User-Agent': UA}, 'Action=GetCallerIdentity&Version=2011-06-15',
//      token='FwoGZXIvYXdzEXAMPLETOKEN+/=')
// sign('sts-date', 'sts', {'Content-Type': FORM, 'Date': 'x'}, 'Action=GetCallerIdentity&Version=2011-06-15')
// r = AWSRequest(method='GET', url=URL, headers={'Content-Type': FORM}, data={
//     'Action': 'CopySnapshot', 'Version': '2016-11-15', 'SourceRegion': 'us-west-2',
//     'SourceSnapshotId': 'snap-1234567890abcdef0', 'Encrypted': 'true', 'KmsKeyId': 'alias/k',
//     'Description': 'copy of a/b + c=d \u00fcber', 'DestinationRegion': 'us-east-1'})
// SigV4QueryAuth(Credentials(AK, SK), 'ec2', 'us-west-2', expires=3600).add_auth(r)
// show('presigned', r)
//
// The Host header is what urllib3 sends for that URL ("127.0.0.1:9999");
// botocore's real clients add User-Agent, amz-sdk-invocation-id,
// amz-sdk-request and Content-Length unsigned, so some are added below too.
// ---------------------------------------------------------------------------

constexpr int64_t kBotocoreNow = 1795959687;  // 2026-11-29T13:41:27Z
constexpr std::string_view kAccessKey = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kUserAgent = "Botocore/1.43.11 ua/2.1 os/linux md/arch#x86_64 lang/python#3.11.7";
constexpr std::string_view kForm = "application/x-www-form-urlencoded; charset=utf-8";
constexpr std::string_view kToken = "FwoGZXIvYXdzEXAMPLETOKEN+/=";

constexpr std::string_view kBadSignatureText =
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
    "Key and signing method. Consult the service documentation for details.";
constexpr std::string_view kMalformedText = "Authorization header or parameters are not formatted correctly.";

HttpRequest BotocoreKms() {
  HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.headers = {
      {"host", "127.0.0.1:9999"},
      {"x-amz-target", "TrentService.Encrypt"},
      {"content-type", "application/x-amz-json-1.1"},
      {"user-agent", std::string(kUserAgent)},
      {"x-amz-date", "20261129T134127Z"},
      {"authorization",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/us-east-1/kms/aws4_request, "
       "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
       "Signature=370af5b14d097f3e8054c9e6dd6ca3e5b5cc6e1ef2f8b324076a23b19ef3726e"},
      {"amz-sdk-invocation-id", "b74d88ef-e89f-4dc6-9809-d2599261faaf"},
      {"amz-sdk-request", "attempt=1"},
      {"content-length", "46"},
  };
  r.body = R"({"KeyId": "alias/k", "Plaintext": "aGVsbG8="})";
  return r;
}

HttpRequest BotocoreEc2() {
  HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.headers = {
      {"host", "127.0.0.1:9999"},
      {"content-type", std::string(kForm)},
      {"user-agent", std::string(kUserAgent)},
      {"x-amz-date", "20261129T134127Z"},
      {"authorization",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/us-east-1/ec2/aws4_request, "
       "SignedHeaders=content-type;host;x-amz-date, "
       "Signature=f6fff485060ccf0da4a4e57570a8c043c7f37610bf97fe0548c179f6b98384dc"},
      {"content-length", "86"},
  };
  r.body = "Action=DescribeVolumes&Version=2016-11-15&Filter.1.Name=encrypted&Filter.1.Value.1=true";
  return r;
}

HttpRequest BotocoreStsWithToken() {
  HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.headers = {
      {"host", "127.0.0.1:9999"},
      {"content-type", std::string(kForm)},
      {"user-agent", std::string(kUserAgent)},
      {"x-amz-date", "20261129T134127Z"},
      {"x-amz-security-token", std::string(kToken)},
      {"authorization",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/us-east-1/sts/aws4_request, "
       "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
       "Signature=214ded47fde43f67670a20c9e6de94571b40e321f656810c376b5217d36e7eea"},
  };
  r.body = "Action=GetCallerIdentity&Version=2011-06-15";
  return r;
}

// botocore keeps a Date header (RFC 1123, "-0000" zone) instead of adding X-Amz-Date.
HttpRequest BotocoreStsWithDateHeader() {
  HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.headers = {
      {"host", "127.0.0.1:9999"},
      {"content-type", std::string(kForm)},
      {"date", "Sun, 29 Nov 2026 13:41:27 -0000"},
      {"authorization",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/us-east-1/sts/aws4_request, "
       "SignedHeaders=content-type;date;host, "
       "Signature=4bb5b44cc47ea83d9483f2d9c3682cbc059825f94a07cd222a7e498411a94a56"},
  };
  r.body = "Action=GetCallerIdentity&Version=2011-06-15";
  return r;
}

// The CopySnapshot PresignedUrl shape (auth-sigv4.md §4), region us-west-2.
constexpr std::string_view kPresignedQuery =
    "Action=CopySnapshot&Version=2016-11-15&SourceRegion=us-west-2&SourceSnapshotId=snap-1234567890abcdef0"
    "&Encrypted=true&KmsKeyId=alias%2Fk&Description=copy%20of%20a%2Fb%20%2B%20c%3Dd%20%C3%BCber"
    "&DestinationRegion=us-east-1&X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIDEXAMPLE%2F20261129%2Fus-west-2%2Fec2%2Faws4_request&X-Amz-Date=20261129T134127Z"
    "&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
    "&X-Amz-Signature=412cdeb63be173494341bb74a9a2dec5c91978e29090fef7e80833788fcdd4f5";

HttpRequest BotocorePresigned() {
  HttpRequest r;
  r.method = "GET";
  r.target = "/?" + std::string(kPresignedQuery);
  r.headers = {{"host", "127.0.0.1:9999"}, {"user-agent", "curl/7.88"}};
  return r;
}

SecretLookup Secrets(std::map<std::string, std::string> secrets = {{std::string(kAccessKey), std::string(kSecret)}}) {
  return [secrets = std::move(secrets)](const std::string& key) -> std::optional<std::string> {
    auto it = secrets.find(key);
    if (it == secrets.end()) return std::nullopt;
    return it->second;
  };
}

VerifyResult Verify(const HttpRequest& r, int64_t now = kBotocoreNow, VerifyOptions options = {}) {
  return VerifySigV4(r, Secrets(), now, options);
}

std::string* MutableHeader(HttpRequest& r, std::string_view name) {
  for (auto& [key, value] : r.headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

void FlipByte(std::string& s, size_t index) { s[index] = static_cast<char>(s[index] ^ 0x01); }

void ExpectAccepted(const HttpRequest& r, std::string_view service, std::string_view region,
                    int64_t now = kBotocoreNow) {
  VerifyResult result = Verify(r, now);
  EXPECT_EQ(result.failure, AuthFailure::kNone) << result.message;
  EXPECT_EQ(result.identity.access_key_id, kAccessKey);
  EXPECT_EQ(result.identity.scope.date, "20261129");
  EXPECT_EQ(result.identity.scope.region, region);
  EXPECT_EQ(result.identity.scope.service, service);
  EXPECT_EQ(result.identity.amz_date, "20261129T134127Z");
}

void ExpectRejected(const HttpRequest& r, AuthFailure failure = AuthFailure::kBadSignature) {
  VerifyResult result = Verify(r);
  EXPECT_EQ(result.failure, failure) << result.message;
}

TEST(SigV4VerifierBotocoreTest, KmsJsonPost) {
  HttpRequest r = BotocoreKms();
  ExpectAccepted(r, "kms", "us-east-1");
  ExpectAccepted(r, "kms", "us-east-1", kBotocoreNow + 299);
  // Unsigned headers may change freely.
  HttpRequest other = r;
  *MutableHeader(other, "user-agent") = "something else";
  ExpectAccepted(other, "kms", "us-east-1");

  for (size_t i : {size_t{0}, r.body.size() / 2, r.body.size() - 1}) {
    HttpRequest tampered = r;
    FlipByte(tampered.body, i);
    ExpectRejected(tampered);
  }
  HttpRequest tampered = r;
  FlipByte(*MutableHeader(tampered, "x-amz-target"), 13);
  ExpectRejected(tampered);
  tampered = r;
  FlipByte(*MutableHeader(tampered, "content-type"), 0);
  ExpectRejected(tampered);
  tampered = r;
  *MutableHeader(tampered, "host") = "127.0.0.1:9998";
  ExpectRejected(tampered);
  tampered = r;
  tampered.method = "PUT";
  ExpectRejected(tampered);
  tampered = r;
  tampered.target = "/x";
  ExpectRejected(tampered);
  tampered = r;
  tampered.target = "/?a=b";
  ExpectRejected(tampered);
  tampered = r;
  std::string& auth = *MutableHeader(tampered, "authorization");
  FlipByte(auth, auth.size() - 1);
  ExpectRejected(tampered);
}

TEST(SigV4VerifierBotocoreTest, Ec2FormPost) {
  HttpRequest r = BotocoreEc2();
  ExpectAccepted(r, "ec2", "us-east-1");
  HttpRequest tampered = r;
  tampered.body.back() = 'E';  // ...Value.1=truE
  ExpectRejected(tampered);
  tampered = r;
  FlipByte(*MutableHeader(tampered, "x-amz-date"), 15);
  ExpectRejected(tampered, AuthFailure::kMalformed);  // no longer yyyymmddThhmmssZ
  tampered = r;
  *MutableHeader(tampered, "x-amz-date") = "20261129T134128Z";
  ExpectRejected(tampered);
}

TEST(SigV4VerifierBotocoreTest, StsWithSessionToken) {
  HttpRequest r = BotocoreStsWithToken();
  ExpectAccepted(r, "sts", "us-east-1");
  HttpRequest tampered = r;
  FlipByte(*MutableHeader(tampered, "x-amz-security-token"), 3);
  ExpectRejected(tampered);
  tampered = r;
  FlipByte(tampered.body, 7);
  ExpectRejected(tampered);
}

TEST(SigV4VerifierBotocoreTest, StsWithDateHeader) {
  HttpRequest r = BotocoreStsWithDateHeader();
  ExpectAccepted(r, "sts", "us-east-1");
  // The same instant written with "GMT" is a different signed header value.
  HttpRequest tampered = r;
  *MutableHeader(tampered, "date") = "Sun, 29 Nov 2026 13:41:27 GMT";
  ExpectRejected(tampered);
  tampered = r;
  FlipByte(tampered.body, 0);
  ExpectRejected(tampered);
}

TEST(SigV4VerifierBotocoreTest, PresignedCopySnapshotUrl) {
  HttpRequest r = BotocorePresigned();
  ExpectAccepted(r, "ec2", "us-west-2");
  ExpectAccepted(r, "ec2", "us-west-2", kBotocoreNow + 3600);
  VerifyResult expired = Verify(r, kBotocoreNow + 3601);
  EXPECT_EQ(expired.failure, AuthFailure::kExpired);
  EXPECT_EQ(expired.message, "Request has expired.");
  // Issued in the future beyond the allowed skew.
  EXPECT_EQ(Verify(r, kBotocoreNow - 15 * 60 - 1).failure, AuthFailure::kNotYetValid);
  EXPECT_EQ(Verify(r, kBotocoreNow - 15 * 60).failure, AuthFailure::kNone);

  // Any change to a parameter breaks it: snap id, region, expiry.
  for (std::pair<std::string_view, std::string_view> edit :
       {std::pair<std::string_view, std::string_view>{"abcdef0", "abcdef1"},
        {"SourceRegion=us-west-2", "SourceRegion=us-west-1"},
        {"X-Amz-Expires=3600", "X-Amz-Expires=7200"},
        {"%C3%BCber", "%C3%BCbes"}}) {
    HttpRequest tampered = r;
    size_t at = tampered.target.find(edit.first);
    ASSERT_NE(at, std::string::npos);
    tampered.target.replace(at, edit.first.size(), edit.second);
    ExpectRejected(tampered);
  }
  HttpRequest tampered = r;
  *MutableHeader(tampered, "host") = "127.0.0.1:9998";
  ExpectRejected(tampered);
  // An added parameter is signed too.
  tampered = r;
  tampered.target += "&Extra=1";
  ExpectRejected(tampered);
  // Parameter order and equivalent encodings do not matter.
  tampered = r;
  tampered.target = "/?X-Amz-Signature=412cdeb63be173494341bb74a9a2dec5c91978e29090fef7e80833788fcdd4f5&" +
                    std::string(kPresignedQuery.substr(0, kPresignedQuery.find("&X-Amz-Signature")));
  size_t at = tampered.target.find("alias%2Fk");
  tampered.target.replace(at, 9, "alias/k");
  ExpectAccepted(tampered, "ec2", "us-west-2");
}

// ---------------------------------------------------------------------------
// Round trips through client::SignRequest.
// ---------------------------------------------------------------------------

constexpr std::string_view kNowDate = "20261129T134127Z";

client::SignableRequest Signable() {
  client::SignableRequest s;
  s.method = "POST";
  s.path = "/";
  s.headers = {{"Host", "kura.example:8443"}, {"Content-Type", "application/x-amz-json-1.1"},
               {"X-Amz-Target", "TrentService.Decrypt"}, {"User-Agent", "test"}};
  s.body = R"({"CiphertextBlob":"AQID"})";
  return s;
}

HttpRequest ToHttp(const client::SignableRequest& s) {
  HttpRequest r;
  r.method = s.method;
  r.target = s.query.empty() ? s.path : s.path + "?" + s.query;
  for (const auto& [name, value] : s.headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(lower, value);
  }
  r.body = s.body;
  return r;
}

HttpRequest Signed(client::SignableRequest s = Signable(), std::string_view service = "kms",
                   client::Credentials credentials = {std::string(kAccessKey), std::string(kSecret), ""}) {
  client::SignRequest(s, credentials, "eu-west-1", service, kNowDate);
  return ToHttp(s);
}

TEST(SigV4VerifierTest, RoundTrip) {
  HttpRequest r = Signed();
  VerifyResult result = Verify(r);
  ASSERT_EQ(result.failure, AuthFailure::kNone) << result.message;
  EXPECT_TRUE(result.message.empty());
  EXPECT_EQ(result.identity.access_key_id, kAccessKey);
  EXPECT_EQ(result.identity.scope.ToString(), "20261129/eu-west-1/kms/aws4_request");
  EXPECT_EQ(result.identity.amz_date, kNowDate);
  EXPECT_NE(r.Header("authorization")->find("SignedHeaders=content-type;host;x-amz-date;x-amz-target,"),
            std::string::npos);

  client::SignableRequest with_token = Signable();
  HttpRequest temporary = Signed(with_token, "kms", {std::string(kAccessKey), std::string(kSecret), "tok"});
  ASSERT_NE(temporary.Header("x-amz-security-token"), nullptr);
  EXPECT_EQ(Verify(temporary).failure, AuthFailure::kNone);
  *MutableHeader(temporary, "x-amz-security-token") = "tok2";
  EXPECT_EQ(Verify(temporary).failure, AuthFailure::kBadSignature);
}

TEST(SigV4VerifierTest, RoundTripWithPathAndQuery) {
  client::SignableRequest s = Signable();
  s.method = "GET";
  s.path = "/snapshots/snap-0123/blocks/7";
  s.query = "blockToken=a%2Fb%2Bc%3D%3D&z=%20sp%20ace&u=%C3%BC&z=1&flag";
  s.body.clear();
  HttpRequest r = Signed(s, "ebs");
  EXPECT_EQ(Verify(r).failure, AuthFailure::kNone);
  // The same parameters in another order, with equivalent encodings, verify too.
  r.target = "/snapshots/snap-0123/blocks/7?flag=&z=1&u=%c3%bc&z=%20sp%20ace&blockToken=a/b%2Bc%3D%3D";
  EXPECT_EQ(Verify(r).failure, AuthFailure::kNone);
  // '+' is not a space in a query: a different value.
  r.target = "/snapshots/snap-0123/blocks/7?blockToken=a%2Fb%2Bc%3D%3D&z=+sp+ace&u=%C3%BC&z=1&flag";
  EXPECT_EQ(Verify(r).failure, AuthFailure::kBadSignature);
  r.target = "/snapshots/snap-0123/blocks/8?blockToken=a%2Fb%2Bc%3D%3D&z=%20sp%20ace&u=%C3%BC&z=1&flag";
  EXPECT_EQ(Verify(r).failure, AuthFailure::kBadSignature);
  // Dot segments and duplicate slashes are normalised away.
  r.target = "//snapshots/./snap-0123/x/../blocks/7?blockToken=a%2Fb%2Bc%3D%3D&z=%20sp%20ace&u=%C3%BC&z=1&flag";
  EXPECT_EQ(Verify(r).failure, AuthFailure::kNone);
}

TEST(SigV4VerifierTest, HeaderWhitespaceAndRepeatedHeaders) {
  client::SignableRequest s = Signable();
  s.headers.emplace_back("X-Amz-Meta-Note", "  several   spaces \t here ");
  s.headers.emplace_back("x-amz-meta-note", "second");
  HttpRequest r = Signed(s);
  EXPECT_NE(r.Header("authorization")->find("x-amz-meta-note"), std::string::npos);
  EXPECT_EQ(Verify(r).failure, AuthFailure::kNone);
  // The server may see other runs of whitespace: same canonical value.
  for (auto& [name, value] : r.headers) {
    if (name == "x-amz-meta-note" && value != "second") value = "several spaces here";
  }
  EXPECT_EQ(Verify(r).failure, AuthFailure::kNone);
  // But the order of repeated headers matters ("several spaces here,second").
  HttpRequest swapped = r;
  for (auto& [name, value] : swapped.headers) {
    if (name == "x-amz-meta-note") value = value == "second" ? "several spaces here" : "second";
  }
  EXPECT_EQ(Verify(swapped).failure, AuthFailure::kBadSignature);
  // Dropping one of the repeated headers breaks it.
  HttpRequest dropped = r;
  std::erase_if(dropped.headers, [](const auto& h) { return h.first == "x-amz-meta-note" && h.second == "second"; });
  EXPECT_EQ(Verify(dropped).failure, AuthFailure::kBadSignature);
}

TEST(SigV4VerifierTest, ContentSha256Header) {
  client::SignableRequest s = Signable();
  s.headers.emplace_back("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD");
  HttpRequest r = Signed(s, "ebs");
  EXPECT_EQ(Verify(r).failure, AuthFailure::kNone);
  r.body = "any other body";  // not covered, by the client's choice
  EXPECT_EQ(Verify(r).failure, AuthFailure::kNone);

  client::SignableRequest h = Signable();
  h.headers.emplace_back("X-Amz-Content-SHA256", client::HexSha256(h.body));
  HttpRequest hashed = Signed(h, "ebs");
  EXPECT_EQ(Verify(hashed).failure, AuthFailure::kNone);
  hashed.body += " ";
  VerifyResult result = Verify(hashed);
  EXPECT_EQ(result.failure, AuthFailure::kBadSignature);
  EXPECT_NE(result.message.find("x-amz-content-sha256"), std::string::npos) << result.message;
}

// ---------------------------------------------------------------------------
// Each failure kind.
// ---------------------------------------------------------------------------

TEST(SigV4VerifierTest, Missing) {
  HttpRequest r = Signed();
  std::erase_if(r.headers, [](const auto& h) { return h.first == "authorization"; });
  VerifyResult result = Verify(r);
  EXPECT_EQ(result.failure, AuthFailure::kMissing);
  EXPECT_FALSE(result.message.empty());
  // Unrelated query parameters do not make a presigned request.
  r.target = "/?Action=DescribeVolumes&X-Amz-Date=20261129T134127Z";
  EXPECT_EQ(Verify(r).failure, AuthFailure::kMissing);
  EXPECT_FALSE(PeekCredential(r).has_value());
}

void ExpectMalformed(const HttpRequest& r, std::string_view detail) {
  VerifyResult result = Verify(r);
  EXPECT_EQ(result.failure, AuthFailure::kMalformed) << detail;
  EXPECT_EQ(result.message.substr(0, kMalformedText.size()), kMalformedText);
  EXPECT_NE(result.message.find(detail), std::string::npos) << result.message;
  // --auth open still refuses malformed input.
  VerifyOptions open;
  open.check_signature = false;
  EXPECT_EQ(VerifySigV4(r, Secrets(), kBotocoreNow, open).failure, AuthFailure::kMalformed);
}

HttpRequest WithAuthorization(std::string authorization) {
  HttpRequest r = BotocoreKms();
  *MutableHeader(r, "authorization") = std::move(authorization);
  return r;
}

TEST(SigV4VerifierTest, MalformedHeader) {
  const std::string sig = "Signature=370af5b14d097f3e8054c9e6dd6ca3e5b5cc6e1ef2f8b324076a23b19ef3726e";
  const std::string hdrs = "SignedHeaders=content-type;host;x-amz-date;x-amz-target";
  const std::string cred = "Credential=AKIDEXAMPLE/20261129/us-east-1/kms/aws4_request";
  // The botocore header, respaced, still verifies.
  EXPECT_EQ(Verify(WithAuthorization("AWS4-HMAC-SHA256 " + cred + "," + hdrs + " , " + sig)).failure,
            AuthFailure::kNone);

  ExpectMalformed(WithAuthorization("AWS4-HMAC-SHA512 " + cred + ", " + hdrs + ", " + sig), "AWS4-HMAC-SHA512");
  ExpectMalformed(WithAuthorization("AWS AKIDEXAMPLE:c2lnbmF0dXJl"), "Unsupported algorithm");
  ExpectMalformed(WithAuthorization(""), "Unsupported algorithm");
  ExpectMalformed(WithAuthorization("AWS4-HMAC-SHA256 " + cred + ", " + hdrs), "'Signature'");
  ExpectMalformed(WithAuthorization("AWS4-HMAC-SHA256 " + cred + ", " + sig), "'SignedHeaders'");
  ExpectMalformed(WithAuthorization("AWS4-HMAC-SHA256 " + hdrs + ", " + sig), "'Credential'");
  ExpectMalformed(WithAuthorization("AWS4-HMAC-SHA256 " + cred + ", " + cred + ", " + hdrs + ", " + sig), "twice");
  ExpectMalformed(
      WithAuthorization("AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=content-type;x-amz-date;x-amz-target, " + sig),
      "'Host'");
  ExpectMalformed(WithAuthorization("AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x-amz-date, " + sig),
                  "empty");
  ExpectMalformed(
      WithAuthorization("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/us-east-1/kms, " + hdrs + ", " + sig),
      "5 parts");
  ExpectMalformed(WithAuthorization("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/us-east-1/kms/aws4_request/x, " +
                                    hdrs + ", " + sig),
                  "5 parts");
  ExpectMalformed(WithAuthorization("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/us-east-1/kms/aws5_request, " +
                                    hdrs + ", " + sig),
                  "aws4_request");
  ExpectMalformed(
      WithAuthorization("AWS4-HMAC-SHA256 Credential=/20261129/us-east-1/kms/aws4_request, " + hdrs + ", " + sig),
      "empty part");

  HttpRequest no_date = BotocoreKms();
  std::erase_if(no_date.headers, [](const auto& h) { return h.first == "x-amz-date"; });
  ExpectMalformed(no_date, "'X-Amz-Date' or a 'Date'");
  HttpRequest bad_date = BotocoreKms();
  *MutableHeader(bad_date, "x-amz-date") = "2026-11-29T13:41:27Z";
  ExpectMalformed(bad_date, "yyyymmddThhmmssZ");
  HttpRequest bad_http_date = BotocoreStsWithDateHeader();
  *MutableHeader(bad_http_date, "date") = "yesterday";
  ExpectMalformed(bad_http_date, "RFC 1123");
}

HttpRequest PresignedWith(std::string_view from, std::string_view to) {
  HttpRequest r = BotocorePresigned();
  size_t at = r.target.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) r.target.replace(at, from.size(), to);
  return r;
}

TEST(SigV4VerifierTest, MalformedPresigned) {
  ExpectMalformed(PresignedWith("&X-Amz-Date=20261129T134127Z", ""), "'X-Amz-Date'");
  ExpectMalformed(PresignedWith("&X-Amz-Expires=3600", ""), "'X-Amz-Expires'");
  ExpectMalformed(PresignedWith("&X-Amz-Algorithm=AWS4-HMAC-SHA256", ""), "'X-Amz-Algorithm'");
  ExpectMalformed(PresignedWith("&X-Amz-SignedHeaders=host", ""), "'X-Amz-SignedHeaders'");
  ExpectMalformed(PresignedWith("&X-Amz-Signature=", "&X-Amz-Sig="), "'X-Amz-Signature'");
  ExpectMalformed(PresignedWith("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1"),
                  "AWS4-HMAC-SHA1");
  ExpectMalformed(PresignedWith("X-Amz-Expires=3600", "X-Amz-Expires=604801"), "604800");
  ExpectMalformed(PresignedWith("X-Amz-Expires=3600", "X-Amz-Expires=-1"), "X-Amz-Expires");
  ExpectMalformed(PresignedWith("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date"), "'Host'");
  ExpectMalformed(PresignedWith("%2Faws4_request", "%2Faws4"), "aws4_request");
  ExpectMalformed(PresignedWith("X-Amz-Date=20261129T134127Z", "X-Amz-Date=20261129"), "yyyymmddThhmmssZ");
  ExpectMalformed(PresignedWith("&X-Amz-Expires=3600", "&X-Amz-Expires=3600&X-Amz-Expires=3600"), "more than once");
}

TEST(SigV4VerifierTest, SigningKeyCacheFollowsTheSecret) {
  SigningKeyCache cache;
  VerifyOptions options;
  options.signing_keys = &cache;
  HttpRequest r = BotocoreKms();
  const std::string key(kAccessKey);
  // Twice with the right secret: the second check uses the cached key.
  EXPECT_EQ(VerifySigV4(r, Secrets({{key, std::string(kSecret)}}), kBotocoreNow, options).failure, AuthFailure::kNone);
  EXPECT_EQ(VerifySigV4(r, Secrets({{key, std::string(kSecret)}}), kBotocoreNow, options).failure, AuthFailure::kNone);
  // The same key id with another secret (deleted, re-created) never reuses the cached key...
  EXPECT_EQ(VerifySigV4(r, Secrets({{key, "not-the-secret"}}), kBotocoreNow, options).failure,
            AuthFailure::kBadSignature);
  // ...and the right secret is accepted again afterwards.
  EXPECT_EQ(VerifySigV4(r, Secrets({{key, std::string(kSecret)}}), kBotocoreNow, options).failure, AuthFailure::kNone);
  // The cached key is the one the HMAC chain derives, per scope.
  client::CredentialScope scope{"20261129", "eu-west-1", "kms"};
  EXPECT_EQ(cache.Get(key, std::string(kSecret), scope), client::SigningKey(kSecret, scope));
  client::CredentialScope other{"20261130", "eu-west-1", "kms"};
  EXPECT_EQ(cache.Get(key, std::string(kSecret), other), client::SigningKey(kSecret, other));
  EXPECT_NE(cache.Get(key, std::string(kSecret), scope), cache.Get(key, std::string(kSecret), other));
}

TEST(SigV4VerifierTest, UnknownKey) {
  HttpRequest r = BotocoreKms();
  VerifyResult result = VerifySigV4(r, Secrets({{"OTHERKEY", "x"}}), kBotocoreNow, {});
  EXPECT_EQ(result.failure, AuthFailure::kUnknownKey);
  EXPECT_EQ(result.message, "The security token included in the request is invalid.");
  EXPECT_EQ(result.identity.access_key_id, kAccessKey);
  EXPECT_EQ(VerifySigV4(r, SecretLookup(), kBotocoreNow, {}).failure, AuthFailure::kUnknownKey);
}

TEST(SigV4VerifierTest, WrongSecret) {
  VerifyResult result =
      VerifySigV4(BotocoreKms(), Secrets({{std::string(kAccessKey), "not-the-secret"}}), kBotocoreNow, {});
  EXPECT_EQ(result.failure, AuthFailure::kBadSignature);
  EXPECT_EQ(result.message, kBadSignatureText);
  EXPECT_EQ(VerifySigV4(BotocorePresigned(), Secrets({{std::string(kAccessKey), "x"}}), kBotocoreNow, {}).failure,
            AuthFailure::kBadSignature);
}

TEST(SigV4VerifierTest, ClockSkew) {
  HttpRequest r = BotocoreEc2();
  // 15 minutes (query services): 13:41:27 is accepted until 13:56:27.
  EXPECT_EQ(Verify(r, kBotocoreNow + 900).failure, AuthFailure::kNone);
  VerifyResult old = Verify(r, kBotocoreNow + 901);
  EXPECT_EQ(old.failure, AuthFailure::kExpired);
  EXPECT_EQ(old.message,
            "Signature expired: 20261129T134127Z is now earlier than 20261129T134128Z (20261129T135628Z - 15 min.)");
  EXPECT_EQ(Verify(r, kBotocoreNow - 900).failure, AuthFailure::kNone);
  VerifyResult future = Verify(r, kBotocoreNow - 901);
  EXPECT_EQ(future.failure, AuthFailure::kNotYetValid);
  EXPECT_EQ(future.message,
            "Signature not yet current: 20261129T134127Z is still later than 20261129T134126Z "
            "(20261129T132626Z + 15 min.)");

  // 5 minutes (KMS).
  VerifyOptions kms;
  kms.allowed_skew = std::chrono::minutes(5);
  HttpRequest k = BotocoreKms();
  EXPECT_EQ(VerifySigV4(k, Secrets(), kBotocoreNow + 300, kms).failure, AuthFailure::kNone);
  VerifyResult kms_old = VerifySigV4(k, Secrets(), kBotocoreNow + 3600, kms);
  EXPECT_EQ(kms_old.failure, AuthFailure::kExpired);
  EXPECT_EQ(kms_old.message,
            "Signature expired: 20261129T134127Z is now earlier than 20261129T143627Z (20261129T144127Z - 5 min.)");
  VerifyResult kms_future = VerifySigV4(k, Secrets(), kBotocoreNow - 301, kms);
  EXPECT_EQ(kms_future.failure, AuthFailure::kNotYetValid);
  EXPECT_EQ(kms_future.message,
            "Signature not yet current: 20261129T134127Z is still later than 20261129T134126Z "
            "(20261129T133626Z + 5 min.)");
}

TEST(SigV4VerifierTest, ScopeDateMismatch) {
  client::SignableRequest s = Signable();
  client::SignRequest(s, {std::string(kAccessKey), std::string(kSecret), ""}, "eu-west-1", "kms", kNowDate);
  HttpRequest r = ToHttp(s);
  std::string& auth = *MutableHeader(r, "authorization");
  auth.replace(auth.find("/20261129/"), 10, "/20261128/");
  VerifyResult result = Verify(r);
  EXPECT_EQ(result.failure, AuthFailure::kBadScope);
  EXPECT_NE(result.message.find("'20261128' != '20261129'"), std::string::npos) << result.message;

  HttpRequest presigned = PresignedWith("%2F20261129%2F", "%2F20261130%2F");
  EXPECT_EQ(Verify(presigned).failure, AuthFailure::kBadScope);
}

TEST(SigV4VerifierTest, OpenMode) {
  VerifyOptions open;
  open.check_signature = false;
  HttpRequest r = BotocoreKms();
  std::string& auth = *MutableHeader(r, "authorization");
  FlipByte(auth, auth.size() - 1);
  // Wrong signature, unknown key, stale date: all accepted when signatures are not checked.
  VerifyResult result = VerifySigV4(r, Secrets({}), kBotocoreNow + 86400, open);
  EXPECT_EQ(result.failure, AuthFailure::kNone) << result.message;
  EXPECT_EQ(result.identity.access_key_id, kAccessKey);
  EXPECT_EQ(result.identity.scope.service, "kms");
  EXPECT_EQ(VerifySigV4(BotocorePresigned(), SecretLookup(), kBotocoreNow, open).failure, AuthFailure::kNone);
  HttpRequest missing = BotocoreKms();
  std::erase_if(missing.headers, [](const auto& h) { return h.first == "authorization"; });
  EXPECT_EQ(VerifySigV4(missing, Secrets(), kBotocoreNow, open).failure, AuthFailure::kMissing);
}

TEST(SigV4VerifierTest, PeekCredential) {
  std::optional<SignedIdentity> header = PeekCredential(BotocoreKms());
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->access_key_id, kAccessKey);
  EXPECT_EQ(header->scope.ToString(), "20261129/us-east-1/kms/aws4_request");
  EXPECT_EQ(header->amz_date, "20261129T134127Z");

  std::optional<SignedIdentity> dated = PeekCredential(BotocoreStsWithDateHeader());
  ASSERT_TRUE(dated.has_value());
  EXPECT_EQ(dated->scope.service, "sts");
  EXPECT_EQ(dated->amz_date, "20261129T134127Z");

  std::optional<SignedIdentity> query = PeekCredential(BotocorePresigned());
  ASSERT_TRUE(query.has_value());
  EXPECT_EQ(query->access_key_id, kAccessKey);
  EXPECT_EQ(query->scope.ToString(), "20261129/us-west-2/ec2/aws4_request");
  EXPECT_EQ(query->amz_date, "20261129T134127Z");

  // No verification: a wrong signature still peeks.
  HttpRequest wrong = BotocoreKms();
  std::string& wrong_auth = *MutableHeader(wrong, "authorization");
  FlipByte(wrong_auth, wrong_auth.size() - 1);
  EXPECT_TRUE(PeekCredential(wrong).has_value());

  EXPECT_FALSE(PeekCredential(WithAuthorization("AWS4-HMAC-SHA256 Credential=AKID/20261129/x")).has_value());
  EXPECT_FALSE(PeekCredential(WithAuthorization("Bearer abc")).has_value());
  HttpRequest none;
  none.method = "GET";
  none.target = "/";
  EXPECT_FALSE(PeekCredential(none).has_value());
}

}  // namespace
}  // namespace kura::api
