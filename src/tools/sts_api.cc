#include "tools/sts_api.h"

namespace kura::tools {

AwsResult<CallerIdentity> GetCallerIdentity(const AwsClient& aws) {
  KURA_AWS_ASSIGN_OR_RETURN(XmlResponse r, aws.Query(kSts, "GetCallerIdentity", {}));
  return CallerIdentity{ChildText(r.result, "Account"), ChildText(r.result, "Arn"), ChildText(r.result, "UserId")};
}

}  // namespace kura::tools
