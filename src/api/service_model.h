// ServiceModel: an AWS service's API description, taken from the botocore
// service model (python3-botocore) at build time — pruned to the operations
// kura serves (src/api/models/<service>.ops) and embedded in the binary, never
// copied into the repository. Codecs parse requests and write responses from
// it; providers never see the wire format.
// Thread-safety: a loaded model is immutable; Load is safe from any thread
// and returns the same instance for a service.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kura::api {

enum class Protocol { kJson, kQuery, kEc2, kRestJson };

struct Shape;

struct Member {
  std::string name;           // model member name ("KeyId")
  const Shape* shape = nullptr;
  std::string location_name;  // locationName, if any
  std::string query_name;     // ec2 queryName, if any
  bool flattened = false;     // xmlFlattened / flattened on the member
  bool required = false;
  bool xml_attribute = false;
  bool idempotency_token = false;
};

struct Shape {
  enum class Type { kStructure, kList, kMap, kString, kInteger, kLong, kBoolean, kTimestamp, kBlob, kDouble, kFloat };
  std::string name;
  Type type = Type::kString;
  std::vector<Member> members;  // structure members, in model order
  Member member;                // list element
  Member key, value;            // map key / value
  bool flattened = false;
  std::optional<double> min, max;
  std::vector<std::string> enum_values;
  std::string pattern;
  std::string timestamp_format;  // "iso8601" | "unixTimestamp" | "" (protocol default)
  bool sensitive = false;
  // For error shapes:
  bool is_exception = false;
  std::string error_code;  // error.code, else the shape name
  int http_status = 400;
  bool sender_fault = true;

  const Member* FindMember(std::string_view name) const;
};

struct Operation {
  std::string name;
  const Shape* input = nullptr;   // null when the operation takes nothing
  const Shape* output = nullptr;  // null when it returns nothing
  std::string result_wrapper;     // query protocol: "CreateUserResult"
  std::vector<const Shape*> errors;
};

class ServiceModel {
 public:
  // "kms", "iam", "sts", "ec2", "elb" (the embedded models). NotFound otherwise.
  static base::Result<std::shared_ptr<const ServiceModel>> Load(std::string_view service);

  const std::string& service() const { return service_; }
  Protocol protocol() const { return protocol_; }
  const std::string& api_version() const { return api_version_; }
  const std::string& target_prefix() const { return target_prefix_; }  // "TrentService"
  const std::string& xml_namespace() const { return xml_namespace_; }
  const std::string& signing_name() const { return signing_name_; }
  const std::string& json_version() const { return json_version_; }  // "1.1"

  const Operation* FindOperation(std::string_view name) const;
  const Shape* FindShape(std::string_view name) const;
  std::vector<std::string> OperationNames() const;

 private:
  friend struct ServiceModelLoader;
  std::string service_, api_version_, target_prefix_, xml_namespace_, signing_name_, json_version_;
  Protocol protocol_ = Protocol::kJson;
  std::map<std::string, std::unique_ptr<Shape>, std::less<>> shapes_;
  std::map<std::string, Operation, std::less<>> operations_;
};

}  // namespace kura::api
