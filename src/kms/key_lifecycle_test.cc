// KmsService key lifecycle: CreateKey/DescribeKey/ListKeys, policies, tags,
// deletion (really deleting), rotation.
#include <set>

#include "kms/ciphertext.h"
#include "kms/identifiers.h"
#include "kms/key_policy.h"
#include "kms/test_fixture.h"

namespace kura::kms::testing {
namespace {

using KeyLifecycleTest = KmsTest;

TEST_F(KeyLifecycleTest, CreateKeyDefaults) {
  auto k = svc_->CreateKey(As(Root(kAlice)), CreateKeyRequest{});
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->aws_account_id, kAlice);
  EXPECT_TRUE(IsKeyIdSyntax(k->key_id));
  EXPECT_EQ(k->arn, std::string("arn:aws:kms:us-east-1:") + kAlice + ":key/" + k->key_id);
  EXPECT_EQ(k->creation_date, now_);
  EXPECT_TRUE(k->enabled);
  EXPECT_EQ(k->description, "");
  EXPECT_EQ(k->key_usage, "ENCRYPT_DECRYPT");
  EXPECT_EQ(k->key_state, KeyState::kEnabled);
  EXPECT_EQ(k->origin, "AWS_KMS");
  EXPECT_EQ(k->key_manager, KeyManager::kCustomer);
  EXPECT_EQ(k->key_spec, "SYMMETRIC_DEFAULT");
  EXPECT_EQ(k->encryption_algorithms, std::vector<std::string>{"SYMMETRIC_DEFAULT"});
  EXPECT_FALSE(k->multi_region);
  EXPECT_EQ(k->current_key_material_id.size(), 64u);
  EXPECT_FALSE(k->deletion_date.has_value());

  auto policy = svc_->GetKeyPolicy(As(Root(kAlice)), k->key_id, "default");
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ(*policy,
            R"({"Version" : "2012-10-17", "Id" : "key-default-1", "Statement" : [ {"Sid" : "Enable IAM User )"
            R"(Permissions", "Effect" : "Allow", "Principal" : {"AWS" : "arn:aws:iam::111122223333:root"}, )"
            R"("Action" : "kms:*", "Resource" : "*"} ]})");
  EXPECT_EQ(ErrorOf(svc_->GetKeyPolicy(As(Root(kAlice)), k->key_id, "other").status()), KmsError::kNotFound);
  auto names = svc_->ListKeyPolicies(As(Root(kAlice)), k->arn, {});
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->items, std::vector<std::string>{"default"});
  EXPECT_FALSE(names->truncated);
}

TEST_F(KeyLifecycleTest, CreateKeyWithDescriptionTagsAndPolicy) {
  CreateKeyRequest req;
  req.description = "my key";
  req.tags = {{"env", "prod"}, {"team", "storage"}};
  req.policy = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::)" +
               std::string(kAlice) + R"(:root"},"Action":"kms:*","Resource":"*"}]})";
  auto k = svc_->CreateKey(As(Root(kAlice)), req);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->description, "my key");
  EXPECT_EQ(*svc_->GetKeyPolicy(As(Root(kAlice)), k->key_id), *req.policy);
  auto tags = svc_->ListResourceTags(As(Root(kAlice)), k->key_id, {});
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(tags->items, (std::vector<Tag>{{"env", "prod"}, {"team", "storage"}}));
}

TEST_F(KeyLifecycleTest, CreateKeyRejects) {
  auto as = As(Root(kAlice));
  CreateKeyRequest req;
  req.key_spec = "RSA_2048";
  EXPECT_KMS_ERROR(svc_->CreateKey(as, req), KmsError::kUnsupportedOperation);
  req = {};
  req.key_spec = "NOPE";
  EXPECT_KMS_ERROR(svc_->CreateKey(as, req), KmsError::kValidation);
  req = {};
  req.key_usage = "SIGN_VERIFY";
  EXPECT_KMS_ERROR(svc_->CreateKey(as, req), KmsError::kUnsupportedOperation);
  req = {};
  req.origin = "EXTERNAL";
  EXPECT_KMS_ERROR(svc_->CreateKey(as, req), KmsError::kUnsupportedOperation);
  req = {};
  req.multi_region = true;
  EXPECT_KMS_ERROR(svc_->CreateKey(as, req), KmsError::kUnsupportedOperation);
  req = {};
  req.description = std::string(8193, 'x');
  EXPECT_KMS_ERROR(svc_->CreateKey(as, req), KmsError::kValidation);
  req = {};
  req.tags = {{"aws:reserved", "x"}};
  EXPECT_KMS_ERROR(svc_->CreateKey(as, req), KmsError::kTag);
  req = {};
  req.policy = "{not json";
  EXPECT_KMS_ERROR(svc_->CreateKey(as, req), KmsError::kMalformedPolicyDocument);
  req.policy = std::string(kMaxKeyPolicyBytes + 1, ' ');
  EXPECT_KMS_ERROR(svc_->CreateKey(as, req), KmsError::kLimitExceeded);
  req.policy = std::string("{\"Version\":\"2012-10-17\",\"Statement\":[]}\x01");
  EXPECT_KMS_ERROR(svc_->CreateKey(as, req), KmsError::kValidation);
  // No key was created by any of these.
  EXPECT_TRUE(svc_->ListKeys(as, {})->items.empty());
}

TEST_F(KeyLifecycleTest, LockoutSafetyCheck) {
  const std::string other_only = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":)"
                                 R"("arn:aws:iam::444455556666:root"},"Action":"kms:*","Resource":"*"}]})";
  CreateKeyRequest req;
  req.policy = other_only;
  auto r = svc_->CreateKey(As(Root(kAlice)), req);
  EXPECT_EQ(ErrorOf(r.status()), KmsError::kMalformedPolicyDocument);
  EXPECT_EQ(r.status().message(), "The new key policy will not allow you to update the key policy in the future.");
  req.bypass_policy_lockout_safety_check = true;
  auto k = svc_->CreateKey(As(Root(kAlice)), req);
  ASSERT_TRUE(k.ok());
  // Alice can no longer manage it.
  EXPECT_KMS_ERROR(svc_->GetKeyPolicy(As(Root(kAlice)), k->key_id), KmsError::kAccessDenied);

  auto k2 = NewKey();
  auto put = svc_->PutKeyPolicy(As(Root(kAlice)), k2.key_id, "default", other_only);
  EXPECT_EQ(put.message(), "The new key policy will not allow you to update the key policy in the future.");
  EXPECT_TRUE(svc_->PutKeyPolicy(As(Root(kAlice)), k2.key_id, "default", other_only, true).ok());
  EXPECT_KMS_ERROR(svc_->DescribeKey(As(Root(kAlice)), k2.key_id), KmsError::kAccessDenied);
}

TEST_F(KeyLifecycleTest, PutKeyPolicyReplacesAndTakesEffect) {
  auto k = NewKey();
  const auto alice_user = User(kAlice, "alice");
  EXPECT_KMS_ERROR(svc_->DescribeKey(As(alice_user), k.key_id), KmsError::kAccessDenied);
  const std::string policy = R"({"Version":"2012-10-17","Statement":[)"
                             R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},)"
                             R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:DescribeKey","Resource":"*"}]})";
  ASSERT_TRUE(svc_->PutKeyPolicy(As(Root(kAlice)), k.arn, "default", policy).ok());
  EXPECT_EQ(*svc_->GetKeyPolicy(As(Root(kAlice)), k.key_id), policy);
  EXPECT_TRUE(svc_->DescribeKey(As(alice_user), k.key_id).ok());
  EXPECT_KMS_ERROR(svc_->PutKeyPolicy(As(Root(kAlice)), k.arn, "custom", policy), KmsError::kNotFound);
}

TEST_F(KeyLifecycleTest, DescribeKeyIdentifiersAndLookupErrors) {
  auto k = NewKey();
  auto as = As(Root(kAlice));
  ASSERT_TRUE(svc_->CreateAlias(as, "alias/app", k.key_id).ok());
  for (const std::string& id : {k.key_id, k.arn, std::string("alias/app"),
                                std::string("arn:aws:kms:us-east-1:111122223333:alias/app")}) {
    auto d = svc_->DescribeKey(as, id);
    ASSERT_TRUE(d.ok()) << id << ": " << d.status().ToString();
    EXPECT_EQ(d->arn, k.arn);
  }
  const std::string missing = "00000000-0000-4000-8000-000000000000";
  auto nf = svc_->DescribeKey(as, missing);
  EXPECT_EQ(ErrorOf(nf.status()), KmsError::kNotFound);
  EXPECT_EQ(nf.status().message(), "Key 'arn:aws:kms:us-east-1:111122223333:key/" + missing + "' does not exist");
  auto na = svc_->DescribeKey(as, "alias/nope");
  EXPECT_EQ(na.status().message(), "Alias arn:aws:kms:us-east-1:111122223333:alias/nope is not found.");
  auto other_region = svc_->DescribeKey(as, "arn:aws:kms:ap-northeast-1:111122223333:key/" + k.key_id);
  EXPECT_EQ(ErrorOf(other_region.status()), KmsError::kNotFound);
  EXPECT_EQ(other_region.status().message(), "Invalid arn");
  // Keys are regional: the same id is unknown in Tokyo.
  EXPECT_KMS_ERROR(svc_->DescribeKey(As(Root(kAlice), kTokyo), k.key_id), KmsError::kNotFound);
  auto bad = svc_->DescribeKey(as, "bogus");
  EXPECT_EQ(bad.status().message(), "Invalid keyId bogus");
  EXPECT_KMS_ERROR(svc_->EnableKey(as, "alias/app"), KmsError::kNotFound);  // aliases not accepted
  EXPECT_KMS_ERROR(svc_->DescribeKey(Caller::Direct(Root(kAlice), "eu-west-1"), k.key_id), KmsError::kValidation);
}

TEST_F(KeyLifecycleTest, ListKeysPaginatesPerAccountAndRegion) {
  std::set<std::string> created;
  for (int i = 0; i < 7; ++i) created.insert(NewKey().key_id);
  NewKey(kBob);
  NewKey(kAlice, kTokyo);
  std::set<std::string> seen;
  PageRequest page;
  page.limit = 3;
  int pages = 0;
  while (true) {
    auto p = svc_->ListKeys(As(Root(kAlice)), page);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    ++pages;
    for (const auto& e : p->items) {
      EXPECT_EQ(e.key_arn, "arn:aws:kms:us-east-1:111122223333:key/" + e.key_id);
      EXPECT_TRUE(seen.insert(e.key_id).second);
    }
    if (!p->truncated) {
      EXPECT_TRUE(p->next_marker.empty());
      break;
    }
    EXPECT_EQ(p->items.size(), 3u);
    page.marker = p->next_marker;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, created);
  PageRequest bad;
  bad.marker = "not-a-marker";
  EXPECT_KMS_ERROR(svc_->ListKeys(As(Root(kAlice)), bad), KmsError::kInvalidMarker);
  bad = {};
  bad.limit = 0;
  EXPECT_KMS_ERROR(svc_->ListKeys(As(Root(kAlice)), bad), KmsError::kValidation);
  bad.limit = 1001;
  EXPECT_KMS_ERROR(svc_->ListKeys(As(Root(kAlice)), bad), KmsError::kValidation);
}

TEST_F(KeyLifecycleTest, EnableDisableAndDescription) {
  auto k = NewKey();
  auto as = As(Root(kAlice));
  ASSERT_TRUE(svc_->DisableKey(as, k.key_id).ok());
  auto d = svc_->DescribeKey(as, k.key_id);
  EXPECT_EQ(d->key_state, KeyState::kDisabled);
  EXPECT_FALSE(d->enabled);
  EXPECT_TRUE(svc_->DisableKey(as, k.key_id).ok());  // no-op
  ASSERT_TRUE(svc_->EnableKey(as, k.arn).ok());
  EXPECT_TRUE(svc_->DescribeKey(as, k.key_id)->enabled);
  ASSERT_TRUE(svc_->UpdateKeyDescription(as, k.key_id, "new text").ok());
  EXPECT_EQ(svc_->DescribeKey(as, k.key_id)->description, "new text");
}

TEST_F(KeyLifecycleTest, ScheduleAndCancelDeletion) {
  auto k = NewKey();
  auto as = As(Root(kAlice));
  EXPECT_KMS_ERROR(svc_->ScheduleKeyDeletion(as, k.key_id, 6), KmsError::kValidation);
  EXPECT_KMS_ERROR(svc_->ScheduleKeyDeletion(as, k.key_id, 31), KmsError::kValidation);
  auto s = svc_->ScheduleKeyDeletion(as, k.key_id, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->key_arn, k.arn);
  EXPECT_EQ(s->pending_window_in_days, 30);
  EXPECT_EQ(s->deletion_date, now_ + 30 * 86400);
  EXPECT_EQ(s->key_state, KeyState::kPendingDeletion);
  auto d = svc_->DescribeKey(as, k.key_id);
  EXPECT_EQ(d->key_state, KeyState::kPendingDeletion);
  EXPECT_EQ(d->deletion_date, now_ + 30 * 86400);
  EXPECT_EQ(d->pending_deletion_window_in_days, 30);
  EXPECT_FALSE(d->enabled);
  auto again = svc_->ScheduleKeyDeletion(as, k.key_id, 7);
  EXPECT_EQ(again.status().message(), k.arn + " is pending deletion.");
  auto cancelled = svc_->CancelKeyDeletion(as, k.key_id);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(*cancelled, k.arn);
  d = svc_->DescribeKey(as, k.key_id);
  EXPECT_EQ(d->key_state, KeyState::kDisabled);  // always lands in Disabled
  EXPECT_FALSE(d->deletion_date.has_value());
  auto not_pending = svc_->CancelKeyDeletion(as, k.key_id);
  EXPECT_EQ(ErrorOf(not_pending.status()), KmsError::kInvalidState);
  EXPECT_EQ(not_pending.status().message(), k.arn + " is not pending deletion.");
  // Scheduling from Disabled works too, with a 7-day window.
  auto s7 = svc_->ScheduleKeyDeletion(as, k.key_id, 7);
  ASSERT_TRUE(s7.ok());
  EXPECT_EQ(s7->deletion_date, now_ + 7 * 86400);
}

TEST_F(KeyLifecycleTest, ProcessDueReallyDeletes) {
  auto k = NewKey();
  auto keep = NewKey();
  auto as = As(Root(kAlice));
  auto blob = EncryptAs(as, k.key_id, "secret data");
  ASSERT_TRUE(svc_->CreateAlias(as, "alias/doomed", k.key_id).ok());
  CreateGrantRequest g;
  g.key_id = k.key_id;
  g.grantee_principal = User(kAlice, "bob").arn;
  g.operations = {GrantOperation::kDecrypt};
  ASSERT_TRUE(svc_->CreateGrant(as, g).ok());
  ASSERT_TRUE(svc_->TagResource(as, k.key_id, {{"a", "b"}}).ok());
  ASSERT_TRUE(svc_->ScheduleKeyDeletion(as, k.key_id, 7).ok());

  now_ += 7 * 86400 - 1;
  auto early = svc_->ProcessDue(now_);
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->deleted, 0);
  EXPECT_TRUE(svc_->DescribeKey(as, k.key_id).ok());

  now_ += 1;
  auto due = svc_->ProcessDue(now_);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(due->deleted, 1);
  auto gone = svc_->DescribeKey(as, k.key_id);
  EXPECT_EQ(ErrorOf(gone.status()), KmsError::kNotFound);
  EXPECT_EQ(gone.status().message(), "Key '" + k.arn + "' does not exist");
  EXPECT_KMS_ERROR(svc_->DescribeKey(as, "alias/doomed"), KmsError::kNotFound);
  EXPECT_KMS_ERROR(DecryptAs(as, blob), KmsError::kNotFound);
  // Nothing of the key is left in the store.
  for (const char* table : {"kms_keys", "kms_key_versions", "kms_aliases", "kms_grants", "kms_tags"}) {
    const std::string col = std::string(table) == "kms_keys" ? "arn" : std::string(table) == "kms_aliases" ? "target_key_arn" : "key_arn";
    auto rows = db_->Query(std::string("SELECT COUNT(*) FROM ") + table + " WHERE " + col + " = ?", {k.arn});
    ASSERT_TRUE(rows.ok());
    EXPECT_EQ((*rows)[0].Int(0), 0) << table;
  }
  EXPECT_TRUE(svc_->DescribeKey(as, keep.key_id).ok());
  auto listed = svc_->ListKeys(as, {});
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].key_id, keep.key_id);
}

TEST_F(KeyLifecycleTest, MaterialIsStoredSealedOnly) {
  auto k = NewKey();
  auto rows = db_->Query("SELECT sealed_material FROM kms_key_versions WHERE key_arn = ?", {k.arn});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].BlobAt(0).size(), 12u + 32u + 16u);  // nonce || sealed 32 bytes || tag
}

TEST_F(KeyLifecycleTest, AutomaticRotationKeepsOldCiphertextsWorking) {
  auto k = NewKey();
  auto as = As(Root(kAlice));
  auto status = svc_->GetKeyRotationStatus(as, k.key_id);
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE(status->key_rotation_enabled);
  auto old_blob = EncryptAs(as, k.key_id, "before rotation", {{"c", "1"}});
  EXPECT_KMS_ERROR(svc_->EnableKeyRotation(as, k.key_id, 89), KmsError::kValidation);
  ASSERT_TRUE(svc_->EnableKeyRotation(as, k.key_id).ok());
  status = svc_->GetKeyRotationStatus(as, k.key_id);
  EXPECT_TRUE(status->key_rotation_enabled);
  EXPECT_EQ(status->rotation_period_in_days, 365);
  EXPECT_EQ(status->next_rotation_date, now_ + 365 * 86400);
  const auto material_before = svc_->DescribeKey(as, k.key_id)->current_key_material_id;

  now_ += 365 * 86400;
  auto work = svc_->ProcessDue(now_);
  ASSERT_TRUE(work.ok());
  EXPECT_EQ(work->rotated, 1);
  EXPECT_NE(svc_->DescribeKey(as, k.key_id)->current_key_material_id, material_before);
  auto new_blob = EncryptAs(as, k.key_id, "after rotation");
  auto h_old = PeekCiphertextHeader(old_blob);
  auto h_new = PeekCiphertextHeader(new_blob);
  ASSERT_TRUE(h_old.ok() && h_new.ok());
  EXPECT_EQ(h_old->key_version, 1u);
  EXPECT_EQ(h_new->key_version, 2u);
  auto old_plain = DecryptAs(as, old_blob, {{"c", "1"}});
  ASSERT_TRUE(old_plain.ok()) << old_plain.status().ToString();
  EXPECT_EQ(Text(old_plain->plaintext), "before rotation");
  EXPECT_EQ(Text(DecryptAs(as, new_blob)->plaintext), "after rotation");
  EXPECT_EQ(svc_->GetKeyRotationStatus(as, k.key_id)->next_rotation_date, now_ + 365 * 86400);
  // Not due again yet.
  EXPECT_EQ(svc_->ProcessDue(now_ + 10)->rotated, 0);

  ASSERT_TRUE(svc_->DisableKeyRotation(as, k.key_id).ok());
  EXPECT_FALSE(svc_->GetKeyRotationStatus(as, k.key_id)->key_rotation_enabled);
}

TEST_F(KeyLifecycleTest, OnDemandRotationAndPendingDeletionStatus) {
  auto k = NewKey();
  auto as = As(Root(kAlice));
  auto v1 = EncryptAs(as, k.key_id, "v1");
  for (int i = 0; i < kMaxOnDemandRotations; ++i) ASSERT_TRUE(svc_->RotateKeyOnDemand(as, k.key_id).ok());
  EXPECT_KMS_ERROR(svc_->RotateKeyOnDemand(as, k.key_id), KmsError::kLimitExceeded);
  EXPECT_EQ(PeekCiphertextHeader(EncryptAs(as, k.key_id, "v11"))->key_version, 11u);
  EXPECT_EQ(Text(DecryptAs(as, v1)->plaintext), "v1");

  ASSERT_TRUE(svc_->EnableKeyRotation(as, k.key_id).ok());
  ASSERT_TRUE(svc_->ScheduleKeyDeletion(as, k.key_id, 7).ok());
  EXPECT_FALSE(svc_->GetKeyRotationStatus(as, k.key_id)->key_rotation_enabled);
  ASSERT_TRUE(svc_->CancelKeyDeletion(as, k.key_id).ok());
  EXPECT_TRUE(svc_->GetKeyRotationStatus(as, k.key_id)->key_rotation_enabled);
  // Disabled keys do not rotate.
  now_ += 400 * 86400;
  EXPECT_EQ(svc_->ProcessDue(now_)->rotated, 0);
}

TEST_F(KeyLifecycleTest, TagsUpsertUntagPaginate) {
  auto k = NewKey();
  auto as = As(Root(kAlice));
  ASSERT_TRUE(svc_->TagResource(as, k.key_id, {{"b", "1"}, {"a", "2"}}).ok());
  ASSERT_TRUE(svc_->TagResource(as, k.key_id, {{"b", "3"}}).ok());
  auto tags = svc_->ListResourceTags(as, k.key_id, {});
  EXPECT_EQ(tags->items, (std::vector<Tag>{{"a", "2"}, {"b", "3"}}));
  ASSERT_TRUE(svc_->UntagResource(as, k.key_id, {"a", "missing"}).ok());
  EXPECT_EQ(svc_->ListResourceTags(as, k.key_id, {})->items, (std::vector<Tag>{{"b", "3"}}));
  EXPECT_KMS_ERROR(svc_->TagResource(as, k.key_id, {{"", "x"}}), KmsError::kTag);
  EXPECT_KMS_ERROR(svc_->TagResource(as, k.key_id, {{std::string(129, 'k'), "x"}}), KmsError::kTag);
  EXPECT_KMS_ERROR(svc_->TagResource(as, k.key_id, {{"k", std::string(257, 'v')}}), KmsError::kTag);
  std::vector<Tag> many;
  for (int i = 0; i < 49; ++i) many.push_back({"t" + std::to_string(100 + i), "v"});
  ASSERT_TRUE(svc_->TagResource(as, k.key_id, many).ok());  // 50 in all
  EXPECT_KMS_ERROR(svc_->TagResource(as, k.key_id, {{"one-more", "v"}}), KmsError::kLimitExceeded);
  PageRequest page;
  page.limit = 20;
  size_t total = 0;
  for (int guard = 0; guard < 10; ++guard) {
    auto p = svc_->ListResourceTags(as, k.key_id, page);
    ASSERT_TRUE(p.ok());
    total += p->items.size();
    if (!p->truncated) break;
    page.marker = p->next_marker;
  }
  EXPECT_EQ(total, 50u);
  page = {};
  page.limit = 51;
  EXPECT_KMS_ERROR(svc_->ListResourceTags(as, k.key_id, page), KmsError::kValidation);
}

}  // namespace
}  // namespace kura::kms::testing
