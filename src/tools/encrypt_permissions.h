// The permission check of `kura encrypt plan` (and of `run` before it
// changes anything), through the public APIs only:
//  - EC2: every mutating call the run will make, built by the same functions
//    the run uses (ec2_calls.h), is sent with DryRun=true. AWS authorizes a
//    dry run and then answers DryRunOperation (allowed) or
//    UnauthorizedOperation (denied) without acting; any other answer (a
//    parameter AWS validates before authorizing) leaves it undetermined, and a
//    200 means the server ignored DryRun — reported as an error, since it
//    then did what it was asked.
//  - KMS: its API has no DryRun that kura serves and kura has no IAM
//    SimulatePrincipalPolicy, so the check makes the KMS calls themselves,
//    harmlessly, on the chosen key: DescribeKey; GenerateDataKeyWithoutPlaintext
//    of a throwaway data key (nothing stored); Decrypt of that blob (the
//    plaintext is wiped at once and never printed); ReEncrypt of it to the
//    same key (kms:ReEncryptFrom and kms:ReEncryptTo); CreateGrant to the
//    caller itself, retired at once by the caller as its retiring principal
//    (the one transient change, visible in the audit trail). AccessDenied
//    names the missing permission. A policy that allows a key only through
//    EC2 (kms:ViaService) denies these direct calls although EBS would be
//    allowed: the report says so. For the AWS managed key (alias/aws/ebs)
//    the key policy itself grants every principal of the account its use
//    through EC2, so only DescribeKey is called.
//  - ELB has no DryRun: RegisterInstancesWithLoadBalancer and
//    DeregisterInstancesFromLoadBalancer are listed as not checkable.
// Thread-safety: as AwsClient.
#pragma once

#include <string>
#include <vector>

#include "tools/ec2_calls.h"
#include "tools/encrypt_journal.h"
#include "tools/kms_api.h"

namespace kura::tools {

enum class Verdict { kAllowed, kDenied, kUndetermined, kDryRunIgnored };

struct PermissionResult {
  std::string action;  // "ec2:CreateSnapshot", "kms:CreateGrant"
  Verdict verdict = Verdict::kUndetermined;
  std::string detail;  // AWS's code and message, or why it could not be checked
};

struct PermissionReport {
  std::vector<PermissionResult> results;
  bool Blocked() const;  // something denied, or DryRun ignored
  std::vector<std::string> Missing() const;
};

// How an EC2 answer to a DryRun request reads.
PermissionResult InterpretDryRun(const std::string& action, const AwsResult<XmlResponse>& answer);
// How the answer to a KMS probe reads (`error` nullptr: it succeeded).
PermissionResult InterpretKmsProbe(const std::string& action, const AwsError* error);

// The EC2 calls the run of `journal` makes, one per action, with the run's parameters.
std::vector<Ec2Call> Ec2CallsOf(const Journal& journal);

PermissionReport CheckPermissions(const AwsClient& aws, const Journal& journal, const KeyInfo& key,
                                  const std::string& caller_arn);

std::string VerdictName(Verdict verdict);

}  // namespace kura::tools
