// KeyCache, and that KmsService's use of it never serves a stale key: every
// mutation takes effect on the very next call, even right after the key, its
// alias and its material were cached by a cryptographic call.
#include "kms/key_cache.h"

#include "kms/ciphertext.h"
#include "kms/test_fixture.h"

namespace kura::kms::testing {
namespace {

KeyRecord Record(const std::string& arn, KeyState state) {
  KeyRecord k;
  k.arn = arn;
  k.state = state;
  return k;
}

TEST(KeyCacheTest, FindsWhatWasPut) {
  KeyCache cache;
  EXPECT_FALSE(cache.FindKey("arn:k").has_value());
  cache.PutKey(Record("arn:k", KeyState::kEnabled), cache.generation());
  ASSERT_TRUE(cache.FindKey("arn:k").has_value());
  EXPECT_EQ(cache.FindKey("arn:k")->state, KeyState::kEnabled);

  cache.PutAlias(AliasRecord{"111122223333", "us-east-1", "alias/a", "arn:k", 0, 0}, cache.generation());
  EXPECT_EQ(cache.FindAlias("111122223333", "us-east-1", "alias/a").value_or(""), "arn:k");
  EXPECT_FALSE(cache.FindAlias("111122223333", "us-east-1", "alias/b").has_value());

  cache.PutMaterial("arn:k", 1, std::make_shared<const crypto::SecretBytes>(32), cache.generation());
  EXPECT_NE(cache.FindMaterial("arn:k", 1), nullptr);
  EXPECT_EQ(cache.FindMaterial("arn:k", 2), nullptr);
}

TEST(KeyCacheTest, ClearDropsEverythingAndReleasesMaterial) {
  KeyCache cache;
  auto material = std::make_shared<const crypto::SecretBytes>(32);
  std::weak_ptr<const crypto::SecretBytes> watch = material;
  cache.PutKey(Record("arn:k", KeyState::kEnabled), cache.generation());
  cache.PutAlias(AliasRecord{"111122223333", "us-east-1", "alias/a", "arn:k", 0, 0}, cache.generation());
  cache.PutMaterial("arn:k", 1, std::move(material), cache.generation());
  cache.Clear();
  EXPECT_FALSE(cache.FindKey("arn:k").has_value());
  EXPECT_FALSE(cache.FindAlias("111122223333", "us-east-1", "alias/a").has_value());
  EXPECT_EQ(cache.FindMaterial("arn:k", 1), nullptr);
  EXPECT_TRUE(watch.expired());  // destroyed, so wiped (SecretBytes)
}

TEST(KeyCacheTest, AReadFromBeforeAClearIsNotStored) {
  KeyCache cache;
  const uint64_t before = cache.generation();
  // A reader loaded the key, then a writer committed and cleared...
  cache.Clear();
  // ...so what the reader loaded may be stale and must not be cached.
  cache.PutKey(Record("arn:k", KeyState::kEnabled), before);
  cache.PutAlias(AliasRecord{"111122223333", "us-east-1", "alias/a", "arn:k", 0, 0}, before);
  cache.PutMaterial("arn:k", 1, std::make_shared<const crypto::SecretBytes>(32), before);
  EXPECT_FALSE(cache.FindKey("arn:k").has_value());
  EXPECT_FALSE(cache.FindAlias("111122223333", "us-east-1", "alias/a").has_value());
  EXPECT_EQ(cache.FindMaterial("arn:k", 1), nullptr);
}

TEST(KeyCacheTest, StaysBounded) {
  KeyCache cache;
  for (size_t i = 0; i < KeyCache::kMaxEntries + 10; ++i) {
    cache.PutKey(Record("arn:" + std::to_string(i), KeyState::kEnabled), cache.generation());
  }
  EXPECT_TRUE(cache.FindKey("arn:" + std::to_string(KeyCache::kMaxEntries + 9)).has_value());
  EXPECT_FALSE(cache.FindKey("arn:0").has_value());
}

// ---- through KmsService: writes are seen by the next call

class KeyCacheServiceTest : public KmsTest {
 protected:
  // Warms the cache for `key_id` (record, alias when named, material).
  void Warm(const std::string& key_id) {
    auto as = As(Root(kAlice));
    DataKeyRequest req;
    req.key_id = key_id;
    req.key_spec = "AES_256";
    auto r = svc_->GenerateDataKey(as, req);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto d = DecryptAs(as, r->ciphertext_blob);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
  }
  base::Status Generate(const std::string& key_id, const Caller& caller) {
    DataKeyRequest req;
    req.key_id = key_id;
    req.key_spec = "AES_256";
    return StatusOf(svc_->GenerateDataKey(caller, req));
  }
};

TEST_F(KeyCacheServiceTest, DisableAndEnableTakeEffectAtOnce) {
  auto as = As(Root(kAlice));
  auto k = NewKey();
  auto blob = EncryptAs(as, k.key_id, "secret");
  Warm(k.key_id);
  ASSERT_TRUE(svc_->DisableKey(as, k.key_id).ok());
  EXPECT_KMS_ERROR(Generate(k.key_id, as), KmsError::kDisabled);
  EXPECT_KMS_ERROR(DecryptAs(as, blob), KmsError::kDisabled);
  ASSERT_TRUE(svc_->EnableKey(as, k.key_id).ok());
  EXPECT_TRUE(Generate(k.key_id, as).ok());
  auto d = DecryptAs(as, blob);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(Text(d->plaintext), "secret");
}

TEST_F(KeyCacheServiceTest, ScheduledDeletionAndDeletionTakeEffectAtOnce) {
  auto as = As(Root(kAlice));
  auto k = NewKey();
  auto blob = EncryptAs(as, k.key_id, "secret");
  Warm(k.key_id);
  ASSERT_TRUE(svc_->ScheduleKeyDeletion(as, k.key_id, 7).ok());
  EXPECT_KMS_ERROR(Generate(k.key_id, as), KmsError::kInvalidState);
  EXPECT_KMS_ERROR(DecryptAs(as, blob), KmsError::kInvalidState);
  now_ += 8 * 86400;
  auto due = svc_->ProcessDue(now_);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(due->deleted, 1);
  EXPECT_KMS_ERROR(Generate(k.key_id, as), KmsError::kNotFound);
  EXPECT_FALSE(DecryptAs(as, blob).ok());
}

TEST_F(KeyCacheServiceTest, KeyPolicyChangeTakesEffectAtOnce) {
  auto as = As(Root(kAlice));
  auto k = NewKey();
  const auto alice_user = User(kAlice, "alice");
  AllowAllKms(alice_user);
  Warm(k.key_id);
  EXPECT_TRUE(Generate(k.key_id, As(alice_user)).ok());  // the default policy defers to IAM
  // The root keeps everything; alice is denied GenerateDataKey explicitly.
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[)"
      R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},)"
      R"({"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:GenerateDataKey","Resource":"*"}]})";
  ASSERT_TRUE(svc_->PutKeyPolicy(as, k.key_id, "default", policy).ok());
  EXPECT_KMS_ERROR(Generate(k.key_id, As(alice_user)), KmsError::kAccessDenied);
  EXPECT_TRUE(Generate(k.key_id, as).ok());
}

TEST_F(KeyCacheServiceTest, AliasRetargetAndDeletionTakeEffectAtOnce) {
  auto as = As(Root(kAlice));
  auto k1 = NewKey();
  auto k2 = NewKey();
  ASSERT_TRUE(svc_->CreateAlias(as, "alias/app", k1.key_id).ok());
  Warm("alias/app");
  ASSERT_TRUE(svc_->UpdateAlias(as, "alias/app", k2.key_id).ok());
  DataKeyRequest req;
  req.key_id = "alias/app";
  req.key_spec = "AES_256";
  auto r = svc_->GenerateDataKey(as, req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->key_arn, k2.arn);
  ASSERT_TRUE(svc_->DeleteAlias(as, "alias/app").ok());
  EXPECT_KMS_ERROR(Generate("alias/app", as), KmsError::kNotFound);
}

TEST_F(KeyCacheServiceTest, RotationSealsUnderTheNewVersionAtOnce) {
  auto as = As(Root(kAlice));
  auto k = NewKey();
  auto old_blob = EncryptAs(as, k.key_id, "old");
  Warm(k.key_id);
  ASSERT_TRUE(svc_->RotateKeyOnDemand(as, k.key_id).ok());
  auto new_blob = EncryptAs(as, k.key_id, "new");
  auto header = PeekCiphertextHeader(new_blob);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->key_version, 2u);
  auto old_plain = DecryptAs(as, old_blob);
  ASSERT_TRUE(old_plain.ok());
  EXPECT_EQ(Text(old_plain->plaintext), "old");
  auto new_plain = DecryptAs(as, new_blob);
  ASSERT_TRUE(new_plain.ok());
  EXPECT_EQ(Text(new_plain->plaintext), "new");
}

TEST_F(KeyCacheServiceTest, ResetTakesEffectAtOnce) {
  auto as = As(Root(kAlice));
  auto k = NewKey();
  Warm(k.key_id);
  ASSERT_TRUE(svc_->Reset().ok());
  EXPECT_KMS_ERROR(Generate(k.key_id, as), KmsError::kNotFound);
}

}  // namespace
}  // namespace kura::kms::testing
