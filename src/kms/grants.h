// Grant rules (kms.md §6.4): which grants name a principal, whether a grant's
// constraints admit an encryption context, which operations a symmetric key
// may grant, the "equal or stricter" rule for grants created through a grant,
// and grant tokens (authenticated, unique per CreateGrant call).
// Thread-safety: pure functions; GrantTokenCodec is immutable after construction.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "crypto/secret_bytes.h"
#include "iam/principal.h"
#include "kms/types.h"

namespace kura::kms {

inline constexpr size_t kMaxGrantTokensPerRequest = 10;
inline constexpr size_t kMaxConstraintPairs = 8;
inline constexpr size_t kMaxConstraintValueChars = 384;
inline constexpr int64_t kMaxGrantsPerKey = 50000;

// The grantee strings that denote `principal`: its ARN; for an assumed role
// also the role ARN; for the EC2 infrastructure principal also
// "<account>:aws:ec2-infrastructure:<instance-id>".
std::vector<std::string> GranteeCandidates(const iam::Principal& principal);
bool PrincipalMatches(const std::string& grant_principal, const iam::Principal& principal);

// EncryptionContextEquals: exact equality; EncryptionContextSubset: every pair present.
bool ConstraintsAdmit(const std::optional<GrantConstraints>& constraints, const EncryptionContext& context);

// Whether `grant` allows `op` for a request with `context` (constraints are
// ignored for DescribeKey and RetireGrant).
bool GrantAllows(const Grant& grant, GrantOperation op, const EncryptionContext& context);

// A grant created through `parent`'s CreateGrant permission may only grant a
// subset of its operations with equal or stricter constraints.
bool WithinParentGrant(const Grant& parent, const std::vector<GrantOperation>& operations,
                       const std::optional<GrantConstraints>& constraints);

// Operations meaningful for a SYMMETRIC_DEFAULT ENCRYPT_DECRYPT key.
bool ValidForSymmetricKey(GrantOperation op);

// Sorted, without duplicates.
std::vector<GrantOperation> NormalizeOperations(std::vector<GrantOperation> ops);

// Same key, grantee, operations, constraints, retiring principal and name.
bool SameGrantParameters(const Grant& a, const Grant& b);

// Grant tokens: base64url(0x01 || grant id (32 bytes) || 16 random bytes ||
// first 16 bytes of HMAC-SHA256(token key, preceding bytes)).
class GrantTokenCodec {
 public:
  // `token_key` is derived from the material-sealing key.
  explicit GrantTokenCodec(crypto::SecretBytes token_key);
  base::Result<std::string> Issue(const std::string& grant_id) const;
  // The grant id inside a token; InvalidGrantTokenException when the token is not ours.
  base::Result<std::string> GrantIdOf(const std::string& token) const;
  // At most 10 tokens (ValidationException), each valid (InvalidGrantTokenException).
  base::Status Validate(const std::vector<std::string>& tokens) const;

 private:
  crypto::SecretBytes key_;
};

}  // namespace kura::kms
