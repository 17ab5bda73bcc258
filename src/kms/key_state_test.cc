// The operation x key state matrix of kms.md §5.1, with its exact messages.
#include <functional>

#include "kms/test_fixture.h"

namespace kura::kms::testing {
namespace {

enum class State { kEnabled, kDisabled, kPending };

struct Prepared {
  KeyMetadata key;    // in the state under test
  KeyMetadata other;  // always Enabled
  std::vector<uint8_t> blob;
  std::string grant_id;
};

class KeyStateTest : public KmsTest {
 protected:
  Prepared Prepare(State state) {
    Prepared s;
    auto as = As(Root(kAlice));
    s.key = NewKey();
    s.other = NewKey();
    s.blob = EncryptAs(as, s.key.key_id, "payload");
    EXPECT_TRUE(svc_->CreateAlias(as, "alias/state-" + s.key.key_id, s.key.key_id).ok());
    EXPECT_TRUE(svc_->CreateAlias(as, "alias/other-" + s.key.key_id, s.other.key_id).ok());
    CreateGrantRequest g;
    g.key_id = s.key.key_id;
    g.grantee_principal = User(kAlice, "bob").arn;
    g.operations = {GrantOperation::kDecrypt};
    auto grant = svc_->CreateGrant(as, g);
    EXPECT_TRUE(grant.ok());
    s.grant_id = grant.ok() ? grant->grant_id : "";
    EXPECT_TRUE(svc_->TagResource(as, s.key.key_id, {{"t", "v"}}).ok());
    if (state == State::kDisabled) {
      EXPECT_TRUE(svc_->DisableKey(as, s.key.key_id).ok());
    }
    if (state == State::kPending) {
      EXPECT_TRUE(svc_->ScheduleKeyDeletion(as, s.key.key_id, 7).ok());
    }
    return s;
  }

  base::Status Run(const std::string& op, const Prepared& s) {
    auto as = As(Root(kAlice));
    const std::string& id = s.key.key_id;
    auto st = [](const auto& r) { return StatusOf(r); };
    if (op == "CancelKeyDeletion") return st(svc_->CancelKeyDeletion(as, id));
    if (op == "CreateAlias") return svc_->CreateAlias(as, "alias/new-" + id, id);
    if (op == "CreateGrant") {
      CreateGrantRequest g;
      g.key_id = id;
      g.grantee_principal = User(kAlice, "carol").arn;
      g.operations = {GrantOperation::kEncrypt};
      return st(svc_->CreateGrant(as, g));
    }
    if (op == "Decrypt") return st(DecryptAs(as, s.blob));
    if (op == "Encrypt") {
      EncryptRequest r;
      r.key_id = id;
      r.plaintext = Secret("x");
      return st(svc_->Encrypt(as, r));
    }
    if (op == "GenerateDataKey" || op == "GenerateDataKeyWithoutPlaintext") {
      DataKeyRequest r;
      r.key_id = id;
      r.key_spec = "AES_256";
      return op == "GenerateDataKey" ? st(svc_->GenerateDataKey(as, r))
                                     : st(svc_->GenerateDataKeyWithoutPlaintext(as, r));
    }
    if (op == "ReEncrypt") {
      ReEncryptRequest r;
      r.ciphertext_blob = s.blob;
      r.destination_key_id = id;
      return st(svc_->ReEncrypt(as, r));
    }
    if (op == "DeleteAlias") return svc_->DeleteAlias(as, "alias/state-" + id);
    if (op == "DescribeKey") return st(svc_->DescribeKey(as, id));
    if (op == "DisableKey") return svc_->DisableKey(as, id);
    if (op == "EnableKey") return svc_->EnableKey(as, id);
    if (op == "EnableKeyRotation") return svc_->EnableKeyRotation(as, id);
    if (op == "DisableKeyRotation") return svc_->DisableKeyRotation(as, id);
    if (op == "GetKeyPolicy") return st(svc_->GetKeyPolicy(as, id));
    if (op == "PutKeyPolicy") return svc_->PutKeyPolicy(as, id, "default", DefaultKeyPolicyText());
    if (op == "ListGrants") {
      ListGrantsRequest r;
      r.key_id = id;
      return st(svc_->ListGrants(as, r));
    }
    if (op == "ListKeyPolicies") return st(svc_->ListKeyPolicies(as, id, {}));
    if (op == "ListResourceTags") return st(svc_->ListResourceTags(as, id, {}));
    if (op == "ListAliases") return st(svc_->ListAliases(as, id, {}));
    if (op == "GetKeyRotationStatus") return st(svc_->GetKeyRotationStatus(as, id));
    if (op == "RetireGrant") {
      RetireGrantRequest r;
      r.key_id = s.key.arn;
      r.grant_id = s.grant_id;
      return svc_->RetireGrant(as, r);
    }
    if (op == "RevokeGrant") return svc_->RevokeGrant(as, id, s.grant_id);
    if (op == "ScheduleKeyDeletion") return st(svc_->ScheduleKeyDeletion(as, id, 7));
    if (op == "TagResource") return svc_->TagResource(as, id, {{"x", "y"}});
    if (op == "UntagResource") return svc_->UntagResource(as, id, {"t"});
    if (op == "UpdateKeyDescription") return svc_->UpdateKeyDescription(as, id, "d");
    if (op == "UpdateAlias") return svc_->UpdateAlias(as, "alias/other-" + id, id);  // new target in the state
    if (op == "UpdateAliasAway") return svc_->UpdateAlias(as, "alias/state-" + id, s.other.key_id);  // old one in it
    ADD_FAILURE() << "unknown op " << op;
    return base::Status::Ok();
  }

  static std::string DefaultKeyPolicyText() {
    return R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]})";
  }
};

constexpr KmsError OK = KmsError::kNone;
constexpr KmsError E1 = KmsError::kDisabled;      // "<ARN> is disabled."
constexpr KmsError E3 = KmsError::kInvalidState;  // "<ARN> is pending deletion."
constexpr KmsError E4 = KmsError::kInvalidState;  // "<ARN> is not pending deletion."

struct Row {
  const char* op;
  KmsError enabled, disabled, pending;
};

constexpr Row kMatrix[] = {
    {"CancelKeyDeletion", E4, E4, OK},
    {"CreateAlias", OK, OK, E3},
    {"CreateGrant", OK, E1, E3},
    {"Decrypt", OK, E1, E3},
    {"Encrypt", OK, E1, E3},
    {"GenerateDataKey", OK, E1, E3},
    {"GenerateDataKeyWithoutPlaintext", OK, E1, E3},
    {"ReEncrypt", OK, E1, E3},
    {"DeleteAlias", OK, OK, OK},
    {"DescribeKey", OK, OK, OK},
    {"DisableKey", OK, OK, E3},
    {"EnableKey", OK, OK, E3},
    {"EnableKeyRotation", OK, E1, E3},
    {"DisableKeyRotation", OK, E1, E3},
    {"GetKeyPolicy", OK, OK, OK},
    {"PutKeyPolicy", OK, OK, OK},
    {"ListGrants", OK, OK, OK},
    {"ListKeyPolicies", OK, OK, OK},
    {"ListResourceTags", OK, OK, OK},
    {"ListAliases", OK, OK, OK},
    {"GetKeyRotationStatus", OK, OK, OK},
    {"RetireGrant", OK, OK, OK},
    {"RevokeGrant", OK, OK, OK},
    {"ScheduleKeyDeletion", OK, OK, E3},
    {"TagResource", OK, OK, E3},
    {"UntagResource", OK, OK, E3},
    {"UpdateKeyDescription", OK, OK, E3},
    {"UpdateAlias", OK, OK, E3},
    {"UpdateAliasAway", OK, OK, OK},
};

TEST_F(KeyStateTest, Matrix) {
  for (const Row& row : kMatrix) {
    for (State state : {State::kEnabled, State::kDisabled, State::kPending}) {
      const KmsError want = state == State::kEnabled ? row.enabled : state == State::kDisabled ? row.disabled : row.pending;
      Prepared s = Prepare(state);
      const base::Status got = Run(row.op, s);
      const char* state_name = state == State::kEnabled ? "Enabled" : state == State::kDisabled ? "Disabled" : "PendingDeletion";
      EXPECT_EQ(ErrorOf(got), want) << row.op << " on " << state_name << ": " << got.ToString();
      if (want == E1) {
        EXPECT_EQ(got.message(), s.key.arn + " is disabled.") << row.op;
      }
      if (want == KmsError::kInvalidState) {
        const bool e4 = std::string(row.op) == "CancelKeyDeletion";
        EXPECT_EQ(got.message(), s.key.arn + (e4 ? " is not pending deletion." : " is pending deletion.")) << row.op;
      }
    }
  }
}

}  // namespace
}  // namespace kura::kms::testing
