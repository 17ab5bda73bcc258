// Reading AWS's error answers into an AwsError, for each wire protocol:
//   EC2:   <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
//   Query: <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>
//   JSON:  {"__type": "[namespace#]Code", "message"|"Message": "..."} with the
//          x-amzn-RequestId header (and x-amzn-ErrorType when the body has no __type).
// An answer that is none of these (a proxy's HTML page) still yields an error
// naming the HTTP status and the start of the body.
// Thread-safety: pure functions.
#pragma once

#include "client/http_client.h"
#include "tools/aws_config.h"
#include "tools/aws_error.h"

namespace kura::tools {

AwsError ParseErrorResponse(WireProtocol protocol, const client::HttpResult& response);

// The value of a response header (any case), "" when absent.
std::string HeaderValue(const client::HttpResult& response, std::string_view name);

}  // namespace kura::tools
