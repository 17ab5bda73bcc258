// KmsService grants: create (idempotent names, tokens), grant-based
// authorization with constraints, list, retire, revoke, grants through grants.
#include "kms/test_fixture.h"

namespace kura::kms::testing {
namespace {

class GrantOpsTest : public KmsTest {
 protected:
  CreateGrantRequest GrantFor(const std::string& key, const iam::Principal& grantee,
                              std::vector<GrantOperation> ops) {
    CreateGrantRequest r;
    r.key_id = key;
    r.grantee_principal = grantee.arn;
    r.operations = std::move(ops);
    return r;
  }
};

TEST_F(GrantOpsTest, GrantAuthorizesItsOperationsOnly) {
  auto k = NewKey();
  const auto bob = User(kAlice, "bob");
  auto blob = EncryptAs(As(Root(kAlice)), k.key_id, "for bob", {{"app", "x"}});
  EXPECT_KMS_ERROR(DecryptAs(As(bob), blob, {{"app", "x"}}), KmsError::kAccessDenied);
  auto g = svc_->CreateGrant(As(Root(kAlice)), GrantFor(k.key_id, bob, {GrantOperation::kDecrypt}));
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->grant_id.size(), 64u);
  EXPECT_FALSE(g->grant_token.empty());
  auto dec = DecryptAs(As(bob), blob, {{"app", "x"}});
  ASSERT_TRUE(dec.ok()) << dec.status().ToString();
  EXPECT_EQ(Text(dec->plaintext), "for bob");
  // Not granted: Encrypt, DescribeKey.
  EncryptRequest enc;
  enc.key_id = k.arn;
  enc.plaintext = Secret("x");
  EXPECT_KMS_ERROR(svc_->Encrypt(As(bob), enc), KmsError::kAccessDenied);
  EXPECT_KMS_ERROR(svc_->DescribeKey(As(bob), k.arn), KmsError::kAccessDenied);
  // The token is accepted immediately.
  DecryptRequest with_token;
  with_token.ciphertext_blob = blob;
  with_token.encryption_context = {{"app", "x"}};
  with_token.grant_tokens = {g->grant_token};
  EXPECT_TRUE(svc_->Decrypt(As(bob), with_token).ok());
}

TEST_F(GrantOpsTest, ConstraintsLimitTheGrant) {
  auto k = NewKey();
  const auto bob = User(kAlice, "bob");
  auto as = As(Root(kAlice));
  auto req = GrantFor(k.key_id, bob, {GrantOperation::kDecrypt, GrantOperation::kDescribeKey});
  GrantConstraints c;
  c.encryption_context_subset = EncryptionContext{{"aws:ebs:id", "vol-1"}};
  req.constraints = c;
  ASSERT_TRUE(svc_->CreateGrant(as, req).ok());
  auto ok_blob = EncryptAs(as, k.key_id, "a", {{"aws:ebs:id", "vol-1"}, {"extra", "y"}});
  auto other_blob = EncryptAs(as, k.key_id, "b", {{"aws:ebs:id", "vol-2"}});
  EXPECT_TRUE(DecryptAs(As(bob), ok_blob, {{"aws:ebs:id", "vol-1"}, {"extra", "y"}}).ok());
  EXPECT_KMS_ERROR(DecryptAs(As(bob), other_blob, {{"aws:ebs:id", "vol-2"}}), KmsError::kAccessDenied);
  EXPECT_TRUE(svc_->DescribeKey(As(bob), k.arn).ok());  // constraints do not apply to DescribeKey

  const auto carol = User(kAlice, "carol");
  auto eq = GrantFor(k.key_id, carol, {GrantOperation::kDecrypt});
  GrantConstraints ce;
  ce.encryption_context_equals = EncryptionContext{{"aws:ebs:id", "vol-1"}};
  eq.constraints = ce;
  ASSERT_TRUE(svc_->CreateGrant(as, eq).ok());
  EXPECT_KMS_ERROR(DecryptAs(As(carol), ok_blob, {{"aws:ebs:id", "vol-1"}, {"extra", "y"}}),
                   KmsError::kAccessDenied);
  auto exact = EncryptAs(as, k.key_id, "c", {{"aws:ebs:id", "vol-1"}});
  EXPECT_TRUE(DecryptAs(As(carol), exact, {{"aws:ebs:id", "vol-1"}}).ok());
}

TEST_F(GrantOpsTest, ListGrantsEntriesAndFilters) {
  auto k = NewKey();
  auto as = As(Root(kAlice));
  auto req = GrantFor(k.key_id, User(kAlice, "bob"), {GrantOperation::kEncrypt, GrantOperation::kDecrypt});
  req.retiring_principal = User(kAlice, "ops").arn;
  req.name = "my-grant";
  GrantConstraints c;
  c.encryption_context_equals = EncryptionContext{{"k", "v"}};
  req.constraints = c;
  now_ += 5;
  auto g = svc_->CreateGrant(as, req);
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE(svc_->CreateGrant(as, GrantFor(k.key_id, User(kAlice, "carol"), {GrantOperation::kDescribeKey})).ok());

  ListGrantsRequest list;
  list.key_id = k.arn;
  auto all = svc_->ListGrants(as, list);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->items.size(), 2u);
  list.grant_id = g->grant_id;
  auto one = svc_->ListGrants(as, list);
  ASSERT_EQ(one->items.size(), 1u);
  const Grant& e = one->items[0];
  EXPECT_EQ(e.key_arn, k.arn);
  EXPECT_EQ(e.grant_id, g->grant_id);
  EXPECT_EQ(e.name, "my-grant");
  EXPECT_EQ(e.creation_date, now_);
  EXPECT_EQ(e.grantee_principal, "arn:aws:iam::111122223333:user/bob");
  EXPECT_EQ(e.retiring_principal, "arn:aws:iam::111122223333:user/ops");
  EXPECT_EQ(e.issuing_account, "arn:aws:iam::111122223333:root");
  EXPECT_EQ(e.operations, (std::vector<GrantOperation>{GrantOperation::kDecrypt, GrantOperation::kEncrypt}));
  ASSERT_TRUE(e.constraints.has_value());
  EXPECT_EQ(e.constraints->encryption_context_equals, (EncryptionContext{{"k", "v"}}));
  list.grant_id.reset();
  list.grantee_principal = "arn:aws:iam::111122223333:user/carol";
  EXPECT_EQ(svc_->ListGrants(as, list)->items.size(), 1u);
  list.grantee_principal.reset();
  list.grant_id = "not valid!";
  EXPECT_KMS_ERROR(svc_->ListGrants(as, list), KmsError::kInvalidGrantId);

  // Pagination.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(svc_->CreateGrant(as, GrantFor(k.key_id, User(kAlice, "u" + std::to_string(i)),
                                               {GrantOperation::kDecrypt}))
                    .ok());
  }
  ListGrantsRequest paged;
  paged.key_id = k.key_id;
  paged.page.limit = 3;
  size_t total = 0;
  for (int guard = 0; guard < 10; ++guard) {
    auto p = svc_->ListGrants(as, paged);
    ASSERT_TRUE(p.ok());
    total += p->items.size();
    if (!p->truncated) break;
    paged.page.marker = p->next_marker;
  }
  EXPECT_EQ(total, 7u);
}

TEST_F(GrantOpsTest, NamedGrantsAreIdempotent) {
  auto k = NewKey();
  auto as = As(Root(kAlice));
  auto req = GrantFor(k.key_id, User(kAlice, "bob"), {GrantOperation::kDecrypt, GrantOperation::kEncrypt});
  req.name = "attach-vol-1";
  auto g1 = svc_->CreateGrant(as, req);
  req.operations = {GrantOperation::kEncrypt, GrantOperation::kDecrypt};  // same set, other order
  auto g2 = svc_->CreateGrant(as, req);
  ASSERT_TRUE(g1.ok() && g2.ok());
  EXPECT_EQ(g1->grant_id, g2->grant_id);
  EXPECT_NE(g1->grant_token, g2->grant_token);
  req.operations = {GrantOperation::kDecrypt};  // different parameters: a new grant
  auto g3 = svc_->CreateGrant(as, req);
  ASSERT_TRUE(g3.ok());
  EXPECT_NE(g3->grant_id, g1->grant_id);
  auto unnamed1 = svc_->CreateGrant(as, GrantFor(k.key_id, User(kAlice, "bob"), {GrantOperation::kDecrypt}));
  auto unnamed2 = svc_->CreateGrant(as, GrantFor(k.key_id, User(kAlice, "bob"), {GrantOperation::kDecrypt}));
  EXPECT_NE(unnamed1->grant_id, unnamed2->grant_id);
}

TEST_F(GrantOpsTest, CreateGrantValidation) {
  auto k = NewKey();
  auto as = As(Root(kAlice));
  EXPECT_KMS_ERROR(svc_->CreateGrant(as, GrantFor(k.key_id, User(kAlice, "bob"), {GrantOperation::kSign})),
                   KmsError::kValidation);
  EXPECT_KMS_ERROR(svc_->CreateGrant(as, GrantFor(k.key_id, User(kAlice, "bob"), {})), KmsError::kValidation);
  auto bad_grantee = GrantFor(k.key_id, User(kAlice, "bob"), {GrantOperation::kDecrypt});
  bad_grantee.grantee_principal = "has spaces";
  EXPECT_KMS_ERROR(svc_->CreateGrant(as, bad_grantee), KmsError::kValidation);
  auto bad_name = GrantFor(k.key_id, User(kAlice, "bob"), {GrantOperation::kDecrypt});
  bad_name.name = "bad name";
  EXPECT_KMS_ERROR(svc_->CreateGrant(as, bad_name), KmsError::kValidation);
  auto too_many = GrantFor(k.key_id, User(kAlice, "bob"), {GrantOperation::kDecrypt});
  GrantConstraints c;
  c.encryption_context_subset = EncryptionContext{};
  for (int i = 0; i < 9; ++i) (*c.encryption_context_subset)["k" + std::to_string(i)] = "v";
  too_many.constraints = c;
  EXPECT_KMS_ERROR(svc_->CreateGrant(as, too_many), KmsError::kValidation);
  auto tokens = GrantFor(k.key_id, User(kAlice, "bob"), {GrantOperation::kDecrypt});
  tokens.grant_tokens = {"forged"};
  EXPECT_KMS_ERROR(svc_->CreateGrant(as, tokens), KmsError::kInvalidGrantToken);
  EXPECT_KMS_ERROR(svc_->CreateGrant(as, GrantFor("alias/x", User(kAlice, "bob"), {GrantOperation::kDecrypt})),
                   KmsError::kNotFound);
}

TEST_F(GrantOpsTest, RetireByTokenByIdAndRevoke) {
  auto k = NewKey();
  auto as = As(Root(kAlice));
  const auto bob = User(kAlice, "bob");
  const auto ops = User(kAlice, "ops");
  const auto eve = User(kAlice, "eve");

  // Retiring principal retires by token.
  auto req = GrantFor(k.key_id, bob, {GrantOperation::kDecrypt});
  req.retiring_principal = ops.arn;
  auto g = svc_->CreateGrant(as, req);
  ASSERT_TRUE(g.ok());
  RetireGrantRequest by_token;
  by_token.grant_token = g->grant_token;
  EXPECT_KMS_ERROR(svc_->RetireGrant(As(eve), by_token), KmsError::kAccessDenied);
  EXPECT_KMS_ERROR(svc_->RetireGrant(As(bob), by_token), KmsError::kAccessDenied);  // no RetireGrant op
  ASSERT_TRUE(svc_->RetireGrant(As(ops), by_token).ok());
  EXPECT_KMS_ERROR(svc_->RetireGrant(As(ops), by_token), KmsError::kNotFound);
  RetireGrantRequest forged;
  forged.grant_token = "AAAA";
  EXPECT_KMS_ERROR(svc_->RetireGrant(As(ops), forged), KmsError::kInvalidGrantToken);

  // The grantee retires when the grant includes RetireGrant; KeyId must be the key ARN.
  auto g2 = svc_->CreateGrant(as, GrantFor(k.key_id, bob, {GrantOperation::kDecrypt, GrantOperation::kRetireGrant}));
  ASSERT_TRUE(g2.ok());
  RetireGrantRequest by_id;
  by_id.key_id = k.key_id;
  by_id.grant_id = g2->grant_id;
  EXPECT_KMS_ERROR(svc_->RetireGrant(As(bob), by_id), KmsError::kInvalidArn);
  by_id.key_id = k.arn;
  ASSERT_TRUE(svc_->RetireGrant(As(bob), by_id).ok());
  EXPECT_KMS_ERROR(svc_->RetireGrant(As(bob), by_id), KmsError::kNotFound);
  RetireGrantRequest neither;
  EXPECT_KMS_ERROR(svc_->RetireGrant(As(bob), neither), KmsError::kValidation);

  // The key's account retires any grant (root here).
  auto g3 = svc_->CreateGrant(as, GrantFor(k.key_id, bob, {GrantOperation::kDecrypt}));
  RetireGrantRequest owner;
  owner.key_id = k.arn;
  owner.grant_id = g3->grant_id;
  ASSERT_TRUE(svc_->RetireGrant(as, owner).ok());

  // RevokeGrant needs kms:RevokeGrant by policy.
  auto g4 = svc_->CreateGrant(as, GrantFor(k.key_id, bob, {GrantOperation::kDecrypt}));
  EXPECT_KMS_ERROR(svc_->RevokeGrant(As(bob), k.key_id, g4->grant_id), KmsError::kAccessDenied);
  EXPECT_KMS_ERROR(svc_->RevokeGrant(as, k.key_id, "zz zz"), KmsError::kInvalidGrantId);
  EXPECT_KMS_ERROR(svc_->RevokeGrant(as, k.key_id, std::string(64, 'f')), KmsError::kNotFound);
  ASSERT_TRUE(svc_->RevokeGrant(as, k.key_id, g4->grant_id).ok());
  ListGrantsRequest list;
  list.key_id = k.key_id;
  EXPECT_TRUE(svc_->ListGrants(as, list)->items.empty());
}

TEST_F(GrantOpsTest, ListRetirableGrants) {
  auto k1 = NewKey();
  auto k2 = NewKey();
  auto as = As(Root(kAlice));
  const std::string retirer = User(kAlice, "ops").arn;
  for (const auto& k : {k1, k2}) {
    auto req = GrantFor(k.key_id, User(kAlice, "bob"), {GrantOperation::kDecrypt});
    req.retiring_principal = retirer;
    ASSERT_TRUE(svc_->CreateGrant(as, req).ok());
  }
  ASSERT_TRUE(svc_->CreateGrant(as, GrantFor(k1.key_id, User(kAlice, "bob"), {GrantOperation::kDecrypt})).ok());
  auto r = svc_->ListRetirableGrants(as, retirer, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->items.size(), 2u);
  PageRequest page;
  page.limit = 1;
  auto p1 = svc_->ListRetirableGrants(as, retirer, page);
  ASSERT_TRUE(p1->truncated);
  page.marker = p1->next_marker;
  auto p2 = svc_->ListRetirableGrants(as, retirer, page);
  EXPECT_FALSE(p2->truncated);
  EXPECT_NE(p1->items[0].grant_id, p2->items[0].grant_id);
  EXPECT_TRUE(svc_->ListRetirableGrants(As(Root(kAlice), kTokyo), retirer, {})->items.empty());
  EXPECT_KMS_ERROR(svc_->ListRetirableGrants(As(User(kAlice, "nobody")), retirer, {}), KmsError::kAccessDenied);
}

TEST_F(GrantOpsTest, GrantsThroughGrantsAreNoWider) {
  auto k = NewKey();
  auto as = As(Root(kAlice));
  const auto bob = User(kAlice, "bob");
  auto parent = GrantFor(k.key_id, bob, {GrantOperation::kDecrypt, GrantOperation::kCreateGrant});
  GrantConstraints c;
  c.encryption_context_subset = EncryptionContext{{"tenant", "t1"}};
  parent.constraints = c;
  ASSERT_TRUE(svc_->CreateGrant(as, parent).ok());
  // Bob may delegate Decrypt with the same or stricter constraints...
  auto child = GrantFor(k.key_id, User(kAlice, "carol"), {GrantOperation::kDecrypt});
  GrantConstraints stricter;
  stricter.encryption_context_subset = EncryptionContext{{"tenant", "t1"}, {"app", "a"}};
  child.constraints = stricter;
  EXPECT_TRUE(svc_->CreateGrant(As(bob), child).ok());
  // ...but not wider operations or looser constraints.
  child.operations = {GrantOperation::kEncrypt};
  EXPECT_KMS_ERROR(svc_->CreateGrant(As(bob), child), KmsError::kAccessDenied);
  child.operations = {GrantOperation::kDecrypt};
  child.constraints.reset();
  EXPECT_KMS_ERROR(svc_->CreateGrant(As(bob), child), KmsError::kAccessDenied);
}

TEST_F(GrantOpsTest, CrossAccountGrantee) {
  auto k = NewKey();
  const auto bob_user = User(kBob, "worker");
  auto blob = EncryptAs(As(Root(kAlice)), k.key_id, "shared");
  ASSERT_TRUE(svc_->CreateGrant(As(Root(kAlice)), GrantFor(k.arn, bob_user, {GrantOperation::kDecrypt})).ok());
  auto dec = DecryptAs(As(bob_user), blob);
  ASSERT_TRUE(dec.ok()) << dec.status().ToString();
  EXPECT_EQ(Text(dec->plaintext), "shared");
}

TEST_F(GrantOpsTest, GrantQuotaIsChecked) {
  // Only the counting path: fill the table directly to the quota.
  auto k = NewKey();
  auto txn = db_->Begin();
  ASSERT_TRUE(txn.ok());
  for (int i = 0; i < kMaxGrantsPerKey; ++i) {
    char id[65];
    std::snprintf(id, sizeof id, "%064d", i);
    ASSERT_TRUE((*txn)->Exec("INSERT INTO kms_grants (grant_id, key_arn, name, grantee_principal, issuing_account, "
                             "operations, created_at) VALUES (?, ?, '', 'x', 'y', 'Decrypt', 0)",
                             {std::string(id), k.arn})
                    .ok());
  }
  ASSERT_TRUE((*txn)->Commit().ok());
  EXPECT_KMS_ERROR(svc_->CreateGrant(As(Root(kAlice)), GrantFor(k.key_id, User(kAlice, "bob"),
                                                                {GrantOperation::kDecrypt})),
                   KmsError::kLimitExceeded);
}

}  // namespace
}  // namespace kura::kms::testing
