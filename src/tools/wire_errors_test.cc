#include "tools/wire_errors.h"

#include <gtest/gtest.h>

namespace kura::tools {
namespace {

client::HttpResult Answer(int status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
  return client::HttpResult{status, std::move(headers), std::move(body)};
}

TEST(WireErrorsTest, Ec2Envelope) {
  AwsError e = ParseErrorResponse(
      WireProtocol::kEc2,
      Answer(403, R"(<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>8f7c-11</RequestID></Response>)"));
  EXPECT_EQ(e.code, "UnauthorizedOperation");
  EXPECT_EQ(e.message, "You are not authorized to perform this operation.");
  EXPECT_EQ(e.http_status, 403);
  EXPECT_EQ(e.request_id, "8f7c-11");
  EXPECT_EQ(e.ToString(), "UnauthorizedOperation: You are not authorized to perform this operation. (HTTP 403, "
                          "request id 8f7c-11)");
}

TEST(WireErrorsTest, QueryEnvelope) {
  AwsError e = ParseErrorResponse(
      WireProtocol::kQuery,
      Answer(400, R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>
<Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error>
<RequestId>4b1e-22</RequestId></ErrorResponse>)"));
  EXPECT_EQ(e.code, "InvalidClientTokenId");
  EXPECT_EQ(e.request_id, "4b1e-22");
  EXPECT_EQ(e.http_status, 400);
}

TEST(WireErrorsTest, JsonTypeWithNamespaceAndHeaderRequestId) {
  AwsError e = ParseErrorResponse(
      WireProtocol::kJson,
      Answer(400, R"({"__type":"com.amazonaws.kms#AccessDeniedException","Message":"not allowed"})",
             {{"X-Amzn-RequestId", "req-33"}}));
  EXPECT_EQ(e.code, "AccessDeniedException");
  EXPECT_EQ(e.message, "not allowed");
  EXPECT_EQ(e.request_id, "req-33");
  e = ParseErrorResponse(WireProtocol::kJson, Answer(400, R"({"__type":"ValidationException","message":"bad"})"));
  EXPECT_EQ(e.code, "ValidationException");
  EXPECT_EQ(e.message, "bad");
  // Some services put the type only in a header.
  e = ParseErrorResponse(WireProtocol::kJson,
                         Answer(400, "{}", {{"x-amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/"}}));
  EXPECT_EQ(e.code, "ThrottlingException");
}

TEST(WireErrorsTest, SomethingElseStillNamesTheStatus) {
  AwsError e = ParseErrorResponse(WireProtocol::kEc2, Answer(502, "<html>Bad Gateway</html>"));
  EXPECT_EQ(e.code, "HTTP502");
  EXPECT_EQ(e.http_status, 502);
  EXPECT_NE(e.message.find("Bad Gateway"), std::string::npos);
  e = ParseErrorResponse(WireProtocol::kJson, Answer(500, "not json"));
  EXPECT_EQ(e.code, "HTTP500");
}

TEST(WireErrorsTest, LocalErrorsHaveNoAwsCode) {
  AwsError e = AwsError::FromStatus(base::UnavailableError("could not connect to http://127.0.0.1:1"));
  EXPECT_TRUE(e.code.empty());
  EXPECT_EQ(e.http_status, 0);
  EXPECT_EQ(e.ToString(), "Unavailable: could not connect to http://127.0.0.1:1");
}

}  // namespace
}  // namespace kura::tools
