// Domain types of the KMS: key metadata, aliases, grants, tags, pages, and
// the Caller (who asks, from which region, and through which AWS service).
// These are what typed in-process callers (EC2/EBS) and the API provider use.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "iam/principal.h"

namespace kura::kms {

// Encryption context: string -> string, order-free, case-sensitive.
using EncryptionContext = std::map<std::string, std::string>;

enum class KeyState { kEnabled, kDisabled, kPendingDeletion };
std::string_view KeyStateName(KeyState state);  // "Enabled", "Disabled", "PendingDeletion"
std::optional<KeyState> ParseKeyState(std::string_view name);

enum class KeyManager { kCustomer, kAws };
std::string_view KeyManagerName(KeyManager manager);  // "CUSTOMER", "AWS"

inline constexpr std::string_view kSymmetricDefault = "SYMMETRIC_DEFAULT";
inline constexpr std::string_view kEncryptDecrypt = "ENCRYPT_DECRYPT";
inline constexpr std::string_view kOriginAwsKms = "AWS_KMS";

struct KeyMetadata {
  std::string aws_account_id;
  std::string key_id;
  std::string arn;
  int64_t creation_date = 0;
  bool enabled = true;
  std::string description;
  std::string key_usage{kEncryptDecrypt};
  KeyState key_state = KeyState::kEnabled;
  std::optional<int64_t> deletion_date;                 // only while PendingDeletion
  std::optional<int> pending_deletion_window_in_days;   // only while PendingDeletion
  std::string origin{kOriginAwsKms};
  KeyManager key_manager = KeyManager::kCustomer;
  std::string key_spec{kSymmetricDefault};              // also CustomerMasterKeySpec
  std::vector<std::string> encryption_algorithms{std::string(kSymmetricDefault)};
  bool multi_region = false;
  std::string current_key_material_id;                  // 64 hex
};

struct Tag {
  std::string key;
  std::string value;
  friend bool operator==(const Tag&, const Tag&) = default;
};

struct KeyListEntry {
  std::string key_id;
  std::string key_arn;
};

struct AliasEntry {
  std::string alias_name;                   // "alias/ExampleAlias"
  std::string alias_arn;
  std::optional<std::string> target_key_id; // key id (not ARN); absent for a predefined alias without key
  std::optional<int64_t> creation_date;
  std::optional<int64_t> last_updated_date;
};

// Grant operations (kms.md §6.4). Names are the wire enum values.
enum class GrantOperation {
  kDecrypt,
  kEncrypt,
  kGenerateDataKey,
  kGenerateDataKeyWithoutPlaintext,
  kReEncryptFrom,
  kReEncryptTo,
  kSign,
  kVerify,
  kGetPublicKey,
  kCreateGrant,
  kRetireGrant,
  kDescribeKey,
  kGenerateDataKeyPair,
  kGenerateDataKeyPairWithoutPlaintext,
  kGenerateMac,
  kVerifyMac,
  kDeriveSharedSecret,
};
std::string_view GrantOperationName(GrantOperation op);
std::optional<GrantOperation> ParseGrantOperation(std::string_view name);

struct GrantConstraints {
  std::optional<EncryptionContext> encryption_context_subset;
  std::optional<EncryptionContext> encryption_context_equals;
  bool empty() const { return !encryption_context_subset && !encryption_context_equals; }
  friend bool operator==(const GrantConstraints&, const GrantConstraints&) = default;
};

struct Grant {
  std::string key_arn;
  std::string grant_id;  // 64 lower-case hex
  std::string name;      // "" when not set
  int64_t creation_date = 0;
  std::string grantee_principal;
  std::optional<std::string> retiring_principal;
  std::string issuing_account;  // arn:aws:iam::<acct>:root
  std::vector<GrantOperation> operations;  // sorted, unique
  std::optional<GrantConstraints> constraints;
};

struct PageRequest {
  std::optional<int> limit;
  std::string marker;  // "" = from the start
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_marker;  // set when truncated
  bool truncated = false;
};

// Who makes a request and how it reaches the KMS.
struct Caller {
  iam::Principal principal;
  std::string region;      // the endpoint's region ("us-east-1")
  std::string request_id;  // for the audit line
  // kms:ViaService: set only when an AWS service (EC2) calls on the principal's behalf.
  std::string via_service;
  // kms:GrantIsForAWSResource: true only when that service creates/lists/revokes
  // grants for its own resources (EBS attachments).
  bool grant_is_for_aws_resource = false;

  // A direct call (the wire API).
  static Caller Direct(iam::Principal principal, std::string region, std::string request_id = "");
  // EC2/EBS acting for `principal`: ViaService = ec2.<region>.amazonaws.com,
  // GrantIsForAWSResource = true.
  static Caller ViaEc2(iam::Principal principal, std::string region, std::string request_id = "");
};

// EC2's grantee string for an instance host: "<account>:aws:ec2-infrastructure:<instance-id>".
std::string Ec2InfrastructureGrantee(const std::string& account_id, const std::string& instance_id);
// The principal an instance host decrypts as:
// arn:aws:sts::<account>:assumed-role/aws:ec2-infrastructure/<instance-id>. It has no
// policies of its own; only grants authorize it.
iam::Principal Ec2InfrastructurePrincipal(const std::string& account_id, const std::string& instance_id);
// An AWS service acting as itself (e.g. as a grant's RetiringPrincipal
// "ec2.us-east-1.amazonaws.com"); `account_id` is the account it acts for.
iam::Principal AwsServicePrincipal(const std::string& service_principal, const std::string& account_id);

}  // namespace kura::kms
