#include "kms/types.h"

#include <array>
#include <utility>

namespace kura::kms {

namespace {

constexpr std::array<std::pair<GrantOperation, std::string_view>, 17> kGrantOperations = {{
    {GrantOperation::kDecrypt, "Decrypt"},
    {GrantOperation::kEncrypt, "Encrypt"},
    {GrantOperation::kGenerateDataKey, "GenerateDataKey"},
    {GrantOperation::kGenerateDataKeyWithoutPlaintext, "GenerateDataKeyWithoutPlaintext"},
    {GrantOperation::kReEncryptFrom, "ReEncryptFrom"},
    {GrantOperation::kReEncryptTo, "ReEncryptTo"},
    {GrantOperation::kSign, "Sign"},
    {GrantOperation::kVerify, "Verify"},
    {GrantOperation::kGetPublicKey, "GetPublicKey"},
    {GrantOperation::kCreateGrant, "CreateGrant"},
    {GrantOperation::kRetireGrant, "RetireGrant"},
    {GrantOperation::kDescribeKey, "DescribeKey"},
    {GrantOperation::kGenerateDataKeyPair, "GenerateDataKeyPair"},
    {GrantOperation::kGenerateDataKeyPairWithoutPlaintext, "GenerateDataKeyPairWithoutPlaintext"},
    {GrantOperation::kGenerateMac, "GenerateMac"},
    {GrantOperation::kVerifyMac, "VerifyMac"},
    {GrantOperation::kDeriveSharedSecret, "DeriveSharedSecret"},
}};

}  // namespace

std::string_view KeyStateName(KeyState state) {
  switch (state) {
    case KeyState::kEnabled: return "Enabled";
    case KeyState::kDisabled: return "Disabled";
    case KeyState::kPendingDeletion: return "PendingDeletion";
  }
  return "Enabled";
}

std::optional<KeyState> ParseKeyState(std::string_view name) {
  if (name == "Enabled") return KeyState::kEnabled;
  if (name == "Disabled") return KeyState::kDisabled;
  if (name == "PendingDeletion") return KeyState::kPendingDeletion;
  return std::nullopt;
}

std::string_view KeyManagerName(KeyManager manager) { return manager == KeyManager::kAws ? "AWS" : "CUSTOMER"; }

std::string_view GrantOperationName(GrantOperation op) {
  for (const auto& [value, name] : kGrantOperations) {
    if (value == op) return name;
  }
  return "";
}

std::optional<GrantOperation> ParseGrantOperation(std::string_view name) {
  for (const auto& [value, n] : kGrantOperations) {
    if (n == name) return value;
  }
  return std::nullopt;
}

Caller Caller::Direct(iam::Principal principal, std::string region, std::string request_id) {
  Caller c;
  c.principal = std::move(principal);
  c.region = std::move(region);
  c.request_id = std::move(request_id);
  return c;
}

Caller Caller::ViaEc2(iam::Principal principal, std::string region, std::string request_id) {
  Caller c = Direct(std::move(principal), std::move(region), std::move(request_id));
  c.via_service = "ec2." + c.region + ".amazonaws.com";
  c.grant_is_for_aws_resource = true;
  return c;
}

std::string Ec2InfrastructureGrantee(const std::string& account_id, const std::string& instance_id) {
  return account_id + ":aws:ec2-infrastructure:" + instance_id;
}

iam::Principal Ec2InfrastructurePrincipal(const std::string& account_id, const std::string& instance_id) {
  iam::Principal p;
  p.account_id = account_id;
  p.arn = "arn:aws:sts::" + account_id + ":assumed-role/aws:ec2-infrastructure/" + instance_id;
  p.user_id = "AROAEC2INFRASTRUCTURE:" + instance_id;
  p.user_name = "aws:ec2-infrastructure/" + instance_id;  // never the account root
  return p;
}

iam::Principal AwsServicePrincipal(const std::string& service_principal, const std::string& account_id) {
  iam::Principal p;
  p.account_id = account_id;
  p.arn = service_principal;
  p.user_id = service_principal;
  p.user_name = service_principal;
  return p;
}

}  // namespace kura::kms
