// Codecs: one per protocol, written once, driven by the ServiceModel.
// Requests decode into, and responses encode from, a protocol-neutral
// document (nlohmann::json used as a data model): structures are objects
// keyed by model member names, lists are arrays, maps are objects, blobs are
// json binary values (raw bytes), timestamps are numbers of seconds since the
// epoch (fractions allowed), booleans/numbers/strings as themselves.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "api/service_model.h"

namespace kura::api {

// Decoding problems; Status::detail() carries one and the message is the
// AWS-style text (for kConstraint: "Value 'x' at 'keyId' failed to satisfy
// constraint: Member must have length greater than or equal to 1").
enum class CodecError {
  kNone = 0,
  kMalformed = 1,         // body is not valid JSON / not an object / wrong type for a member
  kMissingParameter = 2,  // a required member is absent
  kConstraint = 3,        // min/max length or value, enum, pattern
  kUnknownParameter = 4,  // query protocols: a parameter the operation does not have
};

// AWS JSON 1.0/1.1 (KMS): body -> document. Unknown members are ignored, as AWS does.
base::Result<nlohmann::json> DecodeJsonRequest(const Operation& op, std::string_view body);
// document -> body ("{}" when the operation has no output).
std::string EncodeJsonResponse(const Operation& op, const nlohmann::json& output);
// {"__type": code, "message": message}
std::string EncodeJsonError(std::string_view code, std::string_view message);

// Query (IAM, STS, ELB) and EC2 protocols: form parameters (already
// percent-decoded, Action and Version removed) -> document. Lists are
// `Name.member.N` (query) or `Name.N` / queryName (ec2); maps
// `Name.entry.N.key/value`; N starts at 1.
base::Result<nlohmann::json> DecodeQueryRequest(const ServiceModel& model, const Operation& op,
                                                const std::vector<std::pair<std::string, std::string>>& params);
// Query: <OpResponse xmlns><OpResult>...</OpResult><ResponseMetadata><RequestId/></ResponseMetadata></OpResponse>
// EC2:   <OpResponse xmlns><requestId/>...</OpResponse>
std::string EncodeQueryResponse(const ServiceModel& model, const Operation& op, const nlohmann::json& output,
                                std::string_view request_id);
// Query: <ErrorResponse xmlns><Error><Type>Sender|Receiver</Type><Code/><Message/></Error><RequestId/></ErrorResponse>
// EC2:   <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
std::string EncodeQueryError(const ServiceModel& model, std::string_view code, std::string_view message,
                             bool sender_fault, std::string_view request_id);

}  // namespace kura::api
