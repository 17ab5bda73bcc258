#include "client/sigv4.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"

namespace kura::client {
namespace {

constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

CanonicalInput Input(std::string path, std::string query,
                     std::vector<std::pair<std::string, std::string>> headers,
                     std::vector<std::string> signed_headers) {
  CanonicalInput in;
  in.method = "GET";
  in.path = std::move(path);
  in.query = std::move(query);
  in.headers = std::move(headers);
  in.signed_headers = std::move(signed_headers);
  in.payload_hash = std::string(kEmptySha256);
  return in;
}

// auth-sigv4.md §2.3: the AWS documentation example (IAM ListUsers).
TEST(SigV4Test, AwsDocumentationVector) {
  CanonicalInput in = Input("/", "Action=ListUsers&Version=2010-05-08",
                            {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                             {"Host", "iam.amazonaws.com"},
                             {"X-Amz-Date", "20150830T123600Z"}},
                            {"content-type", "host", "x-amz-date"});
  std::string canonical = CanonicalRequest(in);
  EXPECT_EQ(canonical,
            "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
            "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
            "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "content-type;host;x-amz-date\n" +
                std::string(kEmptySha256));
  EXPECT_EQ(HexSha256(canonical), "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");

  CredentialScope scope{"20150830", "us-east-1", "iam"};
  EXPECT_EQ(scope.ToString(), "20150830/us-east-1/iam/aws4_request");
  std::string sts = StringToSign("20150830T123600Z", scope, canonical);
  EXPECT_EQ(sts,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  std::vector<uint8_t> key = SigningKey(kSecret, scope);
  EXPECT_EQ(base::HexEncode(key), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
  EXPECT_EQ(Signature(key, sts), "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(SigV4Test, UriEncode) {
  EXPECT_EQ(UriEncode("AZaz09-_.~", false), "AZaz09-_.~");
  EXPECT_EQ(UriEncode("a/b c+d=e%", false), "a%2Fb%20c%2Bd%3De%25");
  EXPECT_EQ(UriEncode("a/b c", true), "a/b%20c");
  EXPECT_EQ(UriEncode("\xc3\xbc", false), "%C3%BC");
  EXPECT_EQ(UriEncode("*!'()", false), "%2A%21%27%28%29");
}

std::string CanonicalQueryOf(std::string query) {
  std::string canonical = CanonicalRequest(Input("/", std::move(query), {{"host", "h"}}, {"host"}));
  size_t first = canonical.find('\n');
  size_t second = canonical.find('\n', first + 1);
  size_t third = canonical.find('\n', second + 1);
  return canonical.substr(second + 1, third - second - 1);
}

std::string CanonicalPathOf(std::string path) {
  std::string canonical = CanonicalRequest(Input(std::move(path), "", {{"host", "h"}}, {"host"}));
  size_t first = canonical.find('\n');
  return canonical.substr(first + 1, canonical.find('\n', first + 1) - first - 1);
}

// Expected values from botocore: SigV4Auth(None,'s','r')._canonical_query_string_params(
//   [('b','a/b'),('a','x y'),('a','+='),('c',''),('ü','€'),('A','~-_.'),('d','%')])
TEST(SigV4Test, QueryCanonicalisation) {
  EXPECT_EQ(CanonicalQueryOf("b=a/b&a=x%20y&a=%2B%3D&c&%C3%BC=%E2%82%AC&A=~-_.&d=%25&X-Amz-Signature=abc"),
            "%C3%BC=%E2%82%AC&A=~-_.&a=%2B%3D&a=x%20y&b=a%2Fb&c=&d=%25");
  // Already-canonical input is unchanged; lower-case escapes are re-encoded upper case.
  EXPECT_EQ(CanonicalQueryOf("a=%2b%3d"), "a=%2B%3D");
  // '+' is a literal plus in a query (RFC 3986), not a space.
  EXPECT_EQ(CanonicalQueryOf("a=x+y"), "a=x%2By");
  // Unencoded reserved characters and raw UTF-8 are encoded.
  EXPECT_EQ(CanonicalQueryOf("k=a=b/c d&\xc3\xbc=1"), "%C3%BC=1&k=a%3Db%2Fc%20d");
  // Repeated names sort by value; empty value stays "name=".
  EXPECT_EQ(CanonicalQueryOf("x=2&x=1&x=&y"), "x=&x=1&x=2&y=");
  // A malformed escape is kept literally and its '%' encoded.
  EXPECT_EQ(CanonicalQueryOf("a=%zz"), "a=%25zz");
  EXPECT_EQ(CanonicalQueryOf(""), "");
}

// Expected values from botocore: quote(normalize_url_path(p), safe='/~').
TEST(SigV4Test, PathNormalisation) {
  EXPECT_EQ(CanonicalPathOf(""), "/");
  EXPECT_EQ(CanonicalPathOf("/"), "/");
  EXPECT_EQ(CanonicalPathOf("//a//b/"), "/a/b/");
  EXPECT_EQ(CanonicalPathOf("/a/./b/../c"), "/a/c");
  EXPECT_EQ(CanonicalPathOf("/../x"), "/x");
  EXPECT_EQ(CanonicalPathOf("/a/b/.."), "/a");
  // Non-S3 services: the path as sent is encoded once more.
  EXPECT_EQ(CanonicalPathOf("/a%20b/c:d"), "/a%2520b/c%3Ad");
  EXPECT_EQ(CanonicalPathOf("/snapshots/snap-0123/blocks/7"), "/snapshots/snap-0123/blocks/7");
}

TEST(SigV4Test, HeaderNormalisation) {
  CanonicalInput in = Input("/", "",
                            {{"Host", "example.com"},
                             {"X-Amz-Meta", "  a   b \t c  "},
                             {"x-amz-meta", "second   value"},
                             {"X-Unsigned", "ignored"},
                             {"My-Header", "\"a   b\""}},
                            {"x-amz-meta", "host", "my-header"});
  EXPECT_EQ(CanonicalRequest(in), "GET\n/\n\nhost:example.com\nmy-header:\"a b\"\nx-amz-meta:a b c,second value\n\n"
                                  "host;my-header;x-amz-meta\n" +
                                      std::string(kEmptySha256));
}

TEST(SigV4Test, AmzDate) {
  EXPECT_EQ(AmzDate(0), "19700101T000000Z");
  EXPECT_EQ(AmzDate(1795959687), "20261129T134127Z");
  auto parsed = ParseAmzDate("20261129T134127Z");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, 1795959687);
  auto leap = ParseAmzDate("20240229T235959Z");
  ASSERT_TRUE(leap.ok());
  EXPECT_EQ(AmzDate(*leap), "20240229T235959Z");
  for (std::string_view bad : {"", "20261129T134127", "2026-11-29T13:41:27Z", "20261329T134127Z",
                               "20230229T000000Z", "20261129T246000Z", "2026112xT134127Z", "20261129 134127Z"}) {
    EXPECT_FALSE(ParseAmzDate(bad).ok()) << bad;
  }
}

// SignRequest produces exactly what botocore 1.43.11 produced for the same
// request (see src/api/sigv4_verifier_test.cc for the script).
TEST(SigV4Test, SignRequestMatchesBotocore) {
  SignableRequest kms;
  kms.method = "POST";
  kms.path = "/";
  kms.headers = {{"X-Amz-Target", "TrentService.Encrypt"},
                 {"Content-Type", "application/x-amz-json-1.1"},
                 {"User-Agent", "Botocore/1.43.11"},
                 {"Host", "127.0.0.1:9999"}};
  kms.body = R"({"KeyId": "alias/k", "Plaintext": "aGVsbG8="})";
  SignRequest(kms, {"AKIDEXAMPLE", std::string(kSecret), ""}, "us-east-1", "kms", "20261129T134127Z");
  ASSERT_EQ(kms.headers.size(), 6u);
  EXPECT_EQ(kms.headers[4], (std::pair<std::string, std::string>{"X-Amz-Date", "20261129T134127Z"}));
  EXPECT_EQ(kms.headers[5].first, "Authorization");
  EXPECT_EQ(kms.headers[5].second,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/us-east-1/kms/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
            "Signature=370af5b14d097f3e8054c9e6dd6ca3e5b5cc6e1ef2f8b324076a23b19ef3726e");

  SignableRequest sts;
  sts.method = "POST";
  sts.path = "/";
  sts.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}, {"Host", "127.0.0.1:9999"}};
  sts.body = "Action=GetCallerIdentity&Version=2011-06-15";
  Credentials temporary{"AKIDEXAMPLE", std::string(kSecret), "FwoGZXIvYXdzEXAMPLETOKEN+/="};
  SignRequest(sts, temporary, "us-east-1", "sts", "20261129T134127Z");
  // Signing again (a retry) replaces the previous date, token and signature.
  SignRequest(sts, temporary, "us-east-1", "sts", "20261129T134127Z");
  ASSERT_EQ(sts.headers.size(), 5u);
  EXPECT_EQ(sts.headers[3], (std::pair<std::string, std::string>{"X-Amz-Security-Token", temporary.session_token}));
  EXPECT_EQ(sts.headers[4].second,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/us-east-1/sts/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
            "Signature=214ded47fde43f67670a20c9e6de94571b40e321f656810c376b5217d36e7eea");
}

}  // namespace
}  // namespace kura::client
