// KmsService cryptographic operations: Encrypt/Decrypt/GenerateDataKey*/ReEncrypt,
// context binding, tamper detection, KeyId checks.
#include <atomic>
#include <thread>

#include "kms/ciphertext.h"
#include "kms/test_fixture.h"

namespace kura::kms::testing {
namespace {

using CryptoOpsTest = KmsTest;

TEST_F(CryptoOpsTest, EncryptDecryptRoundTrip) {
  auto k = NewKey();
  auto as = As(Root(kAlice));
  EncryptRequest req;
  req.key_id = k.key_id;
  req.plaintext = Secret("hello");
  req.encryption_context = {{"purpose", "test"}};
  auto enc = svc_->Encrypt(as, req);
  ASSERT_TRUE(enc.ok()) << enc.status().ToString();
  EXPECT_EQ(enc->key_arn, k.arn);
  EXPECT_EQ(enc->encryption_algorithm, "SYMMETRIC_DEFAULT");
  EXPECT_LE(enc->ciphertext_blob.size(), kMaxCiphertextSize);
  auto dec = DecryptAs(as, enc->ciphertext_blob, {{"purpose", "test"}});
  ASSERT_TRUE(dec.ok()) << dec.status().ToString();
  EXPECT_EQ(Text(dec->plaintext), "hello");
  EXPECT_EQ(dec->key_arn, k.arn);
  EXPECT_EQ(dec->encryption_algorithm, "SYMMETRIC_DEFAULT");
  // KeyId may be given in any accepted form when it names the encrypting key.
  ASSERT_TRUE(svc_->CreateAlias(as, "alias/enc", k.key_id).ok());
  for (const std::string& id : {k.key_id, k.arn, std::string("alias/enc")}) {
    EXPECT_TRUE(DecryptAs(as, enc->ciphertext_blob, {{"purpose", "test"}}, id).ok()) << id;
  }
  // Encrypt through the alias.
  auto via_alias = EncryptAs(as, "alias/enc", "x");
  EXPECT_EQ(PeekCiphertextHeader(via_alias)->key_arn, k.arn);
  // Largest plaintext.
  EXPECT_FALSE(EncryptAs(as, k.key_id, std::string(4096, 'p')).empty());
}

TEST_F(CryptoOpsTest, WrongKeyIdIsIncorrectKey) {
  auto k1 = NewKey();
  auto k2 = NewKey();
  auto as = As(Root(kAlice));
  auto blob = EncryptAs(as, k1.key_id, "data");
  auto r = DecryptAs(as, blob, {}, k2.key_id);
  EXPECT_EQ(ErrorOf(r.status()), KmsError::kIncorrectKey);
  // A KeyId that does not exist is NotFound.
  EXPECT_KMS_ERROR(DecryptAs(as, blob, {}, "00000000-0000-4000-8000-000000000000"), KmsError::kNotFound);
}

TEST_F(CryptoOpsTest, ContextMismatchIsInvalidCiphertextWithEmptyMessage) {
  auto k = NewKey();
  auto as = As(Root(kAlice));
  auto blob = EncryptAs(as, k.key_id, "data", {{"aws:ebs:id", "vol-1"}});
  for (const EncryptionContext& wrong : {EncryptionContext{}, EncryptionContext{{"aws:ebs:id", "vol-2"}},
                                         EncryptionContext{{"aws:ebs:id", "vol-1"}, {"x", "y"}},
                                         EncryptionContext{{"AWS:EBS:ID", "vol-1"}}}) {
    auto r = DecryptAs(as, blob, wrong);
    EXPECT_EQ(ErrorOf(r.status()), KmsError::kInvalidCiphertext);
    EXPECT_EQ(r.status().message(), "");
  }
  EXPECT_TRUE(DecryptAs(as, blob, {{"aws:ebs:id", "vol-1"}}).ok());
}

TEST_F(CryptoOpsTest, TamperedBlobsAreInvalidCiphertext) {
  auto k = NewKey();
  auto as = As(Root(kAlice));
  auto blob = EncryptAs(as, k.key_id, "data");
  for (size_t i = 0; i < blob.size(); ++i) {  // the key id and version included
    for (uint8_t flip : {0x01, 0x80}) {
      auto t = blob;
      t[i] ^= flip;
      auto r = DecryptAs(as, t);
      EXPECT_EQ(ErrorOf(r.status()), KmsError::kInvalidCiphertext) << "byte " << i;
      EXPECT_EQ(r.status().message(), "");
    }
  }
  EXPECT_KMS_ERROR(DecryptAs(as, Bytes("garbage garbage garbage garbage garbage")), KmsError::kInvalidCiphertext);
  EXPECT_KMS_ERROR(DecryptAs(as, {}), KmsError::kValidation);
  // A blob made in another region cannot be opened here.
  auto tokyo_key = NewKey(kAlice, kTokyo);
  auto tokyo_blob = EncryptAs(As(Root(kAlice), kTokyo), tokyo_key.key_id, "data");
  EXPECT_KMS_ERROR(DecryptAs(as, tokyo_blob), KmsError::kInvalidCiphertext);
}

TEST_F(CryptoOpsTest, EncryptValidation) {
  auto k = NewKey();
  auto as = As(Root(kAlice));
  EncryptRequest req;
  req.key_id = k.key_id;
  req.plaintext = Secret(std::string(4097, 'x'));
  EXPECT_KMS_ERROR(svc_->Encrypt(as, req), KmsError::kValidation);
  req.plaintext = crypto::SecretBytes();
  EXPECT_KMS_ERROR(svc_->Encrypt(as, req), KmsError::kValidation);
  req.plaintext = Secret("x");
  req.encryption_algorithm = "RSAES_OAEP_SHA_256";
  EXPECT_KMS_ERROR(svc_->Encrypt(as, req), KmsError::kInvalidKeyUsage);
  req.encryption_algorithm = "SYMMETRIC_DEFAULT";
  req.grant_tokens = {"not-a-token"};
  EXPECT_KMS_ERROR(svc_->Encrypt(as, req), KmsError::kInvalidGrantToken);
  req.grant_tokens.clear();
  req.key_id = "";
  EXPECT_KMS_ERROR(svc_->Encrypt(as, req), KmsError::kValidation);
}

TEST_F(CryptoOpsTest, GenerateDataKeys) {
  auto k = NewKey();
  auto as = As(Root(kAlice));
  DataKeyRequest req;
  req.key_id = k.arn;
  req.encryption_context = {{"aws:ebs:id", "vol-0abc"}};
  req.number_of_bytes = 64;
  auto dk = svc_->GenerateDataKey(as, req);
  ASSERT_TRUE(dk.ok()) << dk.status().ToString();
  EXPECT_EQ(dk->plaintext.size(), 64u);
  EXPECT_EQ(dk->key_arn, k.arn);
  auto dec = DecryptAs(as, dk->ciphertext_blob, req.encryption_context);
  ASSERT_TRUE(dec.ok());
  EXPECT_TRUE(dec->plaintext.Equals(dk->plaintext));

  auto wp = svc_->GenerateDataKeyWithoutPlaintext(as, req);
  ASSERT_TRUE(wp.ok());
  EXPECT_TRUE(wp->plaintext.empty());
  auto wdec = DecryptAs(as, wp->ciphertext_blob, req.encryption_context);
  ASSERT_TRUE(wdec.ok());
  EXPECT_EQ(wdec->plaintext.size(), 64u);
  EXPECT_FALSE(wdec->plaintext.Equals(dk->plaintext));

  req.number_of_bytes.reset();
  req.key_spec = "AES_256";
  EXPECT_EQ(svc_->GenerateDataKey(as, req)->plaintext.size(), 32u);
  req.key_spec = "AES_128";
  EXPECT_EQ(svc_->GenerateDataKey(as, req)->plaintext.size(), 16u);
  req.key_spec = "AES_512";
  EXPECT_KMS_ERROR(svc_->GenerateDataKey(as, req), KmsError::kValidation);
  req.key_spec = "AES_256";
  req.number_of_bytes = 32;
  EXPECT_KMS_ERROR(svc_->GenerateDataKey(as, req), KmsError::kValidation);  // both
  req.key_spec.reset();
  req.number_of_bytes.reset();
  EXPECT_KMS_ERROR(svc_->GenerateDataKey(as, req), KmsError::kValidation);  // neither
  req.number_of_bytes = 0;
  EXPECT_KMS_ERROR(svc_->GenerateDataKey(as, req), KmsError::kValidation);
  req.number_of_bytes = 1025;
  EXPECT_KMS_ERROR(svc_->GenerateDataKeyWithoutPlaintext(as, req), KmsError::kValidation);
  req.number_of_bytes = 1024;
  EXPECT_EQ(svc_->GenerateDataKey(as, req)->plaintext.size(), 1024u);
  req.number_of_bytes = 1;
  EXPECT_EQ(svc_->GenerateDataKey(as, req)->plaintext.size(), 1u);
}

TEST_F(CryptoOpsTest, ReEncryptMovesBetweenKeysAndContexts) {
  auto k1 = NewKey();
  auto k2 = NewKey();
  auto as = As(Root(kAlice));
  auto blob = EncryptAs(as, k1.key_id, "moving", {{"from", "1"}});
  ReEncryptRequest req;
  req.ciphertext_blob = blob;
  req.source_encryption_context = {{"from", "1"}};
  req.destination_key_id = k2.key_id;
  req.destination_encryption_context = {{"to", "2"}};
  auto r = svc_->ReEncrypt(as, req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->source_key_arn, k1.arn);
  EXPECT_EQ(r->key_arn, k2.arn);
  EXPECT_EQ(r->source_encryption_algorithm, "SYMMETRIC_DEFAULT");
  EXPECT_EQ(r->destination_encryption_algorithm, "SYMMETRIC_DEFAULT");
  EXPECT_EQ(Text(DecryptAs(as, r->ciphertext_blob, {{"to", "2"}})->plaintext), "moving");
  EXPECT_KMS_ERROR(DecryptAs(as, r->ciphertext_blob, {{"from", "1"}}), KmsError::kInvalidCiphertext);

  req.source_key_id = k2.key_id;
  EXPECT_KMS_ERROR(svc_->ReEncrypt(as, req), KmsError::kIncorrectKey);
  req.source_key_id = k1.arn;
  req.source_encryption_context = {};
  EXPECT_KMS_ERROR(svc_->ReEncrypt(as, req), KmsError::kInvalidCiphertext);
  req.source_encryption_context = {{"from", "1"}};
  ASSERT_TRUE(svc_->DisableKey(as, k2.key_id).ok());
  auto disabled = svc_->ReEncrypt(as, req);
  EXPECT_EQ(disabled.status().message(), k2.arn + " is disabled.");
}

TEST_F(CryptoOpsTest, GenerateRandom) {
  auto as = As(Root(kAlice));
  auto r = svc_->GenerateRandom(as, 32);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 32u);
  EXPECT_KMS_ERROR(svc_->GenerateRandom(as, 0), KmsError::kValidation);
  EXPECT_KMS_ERROR(svc_->GenerateRandom(as, 1025), KmsError::kValidation);
  EXPECT_KMS_ERROR(svc_->GenerateRandom(As(User(kAlice, "nobody")), 8), KmsError::kAccessDenied);
}

TEST_F(CryptoOpsTest, ConcurrentCallsDoNotInterfere) {
  auto k = NewKey();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const Caller as = As(Root(kAlice));
      for (int i = 0; i < 25; ++i) {
        const std::string text = "t" + std::to_string(t) + "-" + std::to_string(i);
        EncryptRequest enc;
        enc.key_id = k.key_id;
        enc.plaintext = Secret(text);
        enc.encryption_context = {{"i", text}};
        auto blob = svc_->Encrypt(as, enc);
        if (!blob.ok()) {
          ++failures;
          continue;
        }
        DecryptRequest dec;
        dec.ciphertext_blob = blob->ciphertext_blob;
        dec.encryption_context = {{"i", text}};
        auto plain = svc_->Decrypt(as, dec);
        if (!plain.ok() || Text(plain->plaintext) != text) ++failures;
        CreateGrantRequest g;
        g.key_id = k.key_id;
        g.grantee_principal = User(kAlice, "u" + std::to_string(t)).arn;
        g.operations = {GrantOperation::kDecrypt};
        if (!svc_->CreateGrant(as, g).ok()) ++failures;
        if (!svc_->DescribeKey(as, "alias/aws/ebs").ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  ListGrantsRequest list;
  list.key_id = k.key_id;
  list.page.limit = 100;
  EXPECT_EQ(svc_->ListGrants(As(Root(kAlice)), list)->items.size(), 100u);
  // Exactly one AWS managed key was created despite the races.
  EXPECT_EQ(svc_->ListKeys(As(Root(kAlice)), {})->items.size(), 2u);
}

}  // namespace
}  // namespace kura::kms::testing
