#include "kms/grants.h"

#include <algorithm>
#include <array>

#include "base/bytes.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "kms/identifiers.h"
#include "kms/kms_error.h"

namespace kura::kms {

namespace {

constexpr uint8_t kTokenVersion = 0x01;
constexpr size_t kGrantIdBytes = 32;
constexpr size_t kTokenNonce = 16;
constexpr size_t kTokenMac = 16;
constexpr size_t kTokenSize = 1 + kGrantIdBytes + kTokenNonce + kTokenMac;

base::Status InvalidToken() { return KmsStatus(KmsError::kInvalidGrantToken, "Invalid grant token."); }

}  // namespace

std::vector<std::string> GranteeCandidates(const iam::Principal& principal) {
  std::vector<std::string> out{principal.arn};
  // arn:aws:sts::<acct>:assumed-role/<role>/<session>
  const std::string sts = "arn:aws:sts::" + principal.account_id + ":assumed-role/";
  if (principal.arn.compare(0, sts.size(), sts) == 0) {
    const std::string rest = principal.arn.substr(sts.size());
    const size_t slash = rest.rfind('/');
    if (slash != std::string::npos) {
      const std::string role = rest.substr(0, slash);
      const std::string session = rest.substr(slash + 1);
      out.push_back("arn:aws:iam::" + principal.account_id + ":role/" + role);
      if (role == "aws:ec2-infrastructure") {
        out.push_back(principal.account_id + ":aws:ec2-infrastructure:" + session);
      }
    }
  }
  return out;
}

bool PrincipalMatches(const std::string& grant_principal, const iam::Principal& principal) {
  for (const auto& candidate : GranteeCandidates(principal)) {
    if (candidate == grant_principal) return true;
  }
  return false;
}

bool ConstraintsAdmit(const std::optional<GrantConstraints>& constraints, const EncryptionContext& context) {
  if (!constraints) return true;
  if (constraints->encryption_context_equals && *constraints->encryption_context_equals != context) return false;
  if (constraints->encryption_context_subset) {
    for (const auto& [k, v] : *constraints->encryption_context_subset) {
      auto it = context.find(k);
      if (it == context.end() || it->second != v) return false;
    }
  }
  return true;
}

bool GrantAllows(const Grant& grant, GrantOperation op, const EncryptionContext& context) {
  if (std::find(grant.operations.begin(), grant.operations.end(), op) == grant.operations.end()) return false;
  if (op == GrantOperation::kDescribeKey || op == GrantOperation::kRetireGrant) return true;
  return ConstraintsAdmit(grant.constraints, context);
}

bool WithinParentGrant(const Grant& parent, const std::vector<GrantOperation>& operations,
                       const std::optional<GrantConstraints>& constraints) {
  for (auto op : operations) {
    if (std::find(parent.operations.begin(), parent.operations.end(), op) == parent.operations.end()) return false;
  }
  if (!parent.constraints || parent.constraints->empty()) return true;
  if (!constraints || constraints->empty()) return false;
  const auto& pc = *parent.constraints;
  const auto& cc = *constraints;
  if (pc.encryption_context_equals) {
    // Only the same exact context can be as strict.
    if (!cc.encryption_context_equals || *cc.encryption_context_equals != *pc.encryption_context_equals) return false;
  }
  if (pc.encryption_context_subset) {
    // The child must require at least the parent's pairs, by Subset or Equals.
    auto covers = [&pc](const EncryptionContext& ctx) {
      for (const auto& [k, v] : *pc.encryption_context_subset) {
        auto it = ctx.find(k);
        if (it == ctx.end() || it->second != v) return false;
      }
      return true;
    };
    const bool by_subset = cc.encryption_context_subset && covers(*cc.encryption_context_subset);
    const bool by_equals = cc.encryption_context_equals && covers(*cc.encryption_context_equals);
    if (!by_subset && !by_equals) return false;
  }
  return true;
}

bool ValidForSymmetricKey(GrantOperation op) {
  switch (op) {
    case GrantOperation::kDecrypt:
    case GrantOperation::kEncrypt:
    case GrantOperation::kGenerateDataKey:
    case GrantOperation::kGenerateDataKeyWithoutPlaintext:
    case GrantOperation::kGenerateDataKeyPair:
    case GrantOperation::kGenerateDataKeyPairWithoutPlaintext:
    case GrantOperation::kReEncryptFrom:
    case GrantOperation::kReEncryptTo:
    case GrantOperation::kCreateGrant:
    case GrantOperation::kRetireGrant:
    case GrantOperation::kDescribeKey:
      return true;
    default:
      return false;
  }
}

std::vector<GrantOperation> NormalizeOperations(std::vector<GrantOperation> ops) {
  std::sort(ops.begin(), ops.end());
  ops.erase(std::unique(ops.begin(), ops.end()), ops.end());
  return ops;
}

bool SameGrantParameters(const Grant& a, const Grant& b) {
  auto norm = [](const std::optional<GrantConstraints>& c) {
    return c && !c->empty() ? c : std::optional<GrantConstraints>();
  };
  return a.key_arn == b.key_arn && a.grantee_principal == b.grantee_principal &&
         NormalizeOperations(a.operations) == NormalizeOperations(b.operations) &&
         norm(a.constraints) == norm(b.constraints) && a.retiring_principal == b.retiring_principal &&
         a.name == b.name;
}

GrantTokenCodec::GrantTokenCodec(crypto::SecretBytes token_key) : key_(std::move(token_key)) {}

base::Result<std::string> GrantTokenCodec::Issue(const std::string& grant_id) const {
  KURA_ASSIGN_OR_RETURN(auto id, base::HexDecode(grant_id));
  if (id.size() != kGrantIdBytes) return base::InternalError("grant id is not 32 bytes of hex");
  std::vector<uint8_t> token;
  token.reserve(kTokenSize);
  token.push_back(kTokenVersion);
  token.insert(token.end(), id.begin(), id.end());
  std::array<uint8_t, kTokenNonce> nonce{};
  KURA_RETURN_IF_ERROR(crypto::RandomBytes(nonce));
  token.insert(token.end(), nonce.begin(), nonce.end());
  const auto mac = crypto::HmacSha256(key_.span(), token);
  token.insert(token.end(), mac.begin(), mac.begin() + kTokenMac);
  return Base64UrlEncode(token);
}

base::Result<std::string> GrantTokenCodec::GrantIdOf(const std::string& token) const {
  auto bytes = Base64UrlDecode(token);
  if (!bytes.ok() || bytes->size() != kTokenSize || (*bytes)[0] != kTokenVersion) return InvalidToken();
  const std::span<const uint8_t> all(*bytes);
  const auto mac = crypto::HmacSha256(key_.span(), all.first(kTokenSize - kTokenMac));
  if (!crypto::ConstantTimeEqual(std::span<const uint8_t>(mac.data(), kTokenMac), all.last(kTokenMac))) {
    return InvalidToken();
  }
  return base::HexEncode(all.subspan(1, kGrantIdBytes));
}

base::Status GrantTokenCodec::Validate(const std::vector<std::string>& tokens) const {
  if (tokens.size() > kMaxGrantTokensPerRequest) {
    return ValidationError("1 validation error detected: Value at 'grantTokens' failed to satisfy constraint: "
                           "Member must have length less than or equal to 10");
  }
  for (const auto& t : tokens) {
    KURA_RETURN_IF_ERROR(GrantIdOf(t).status());
  }
  return base::Status::Ok();
}

}  // namespace kura::kms
