// Audit lines (one per call, no secrets) and metering through the service.
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "kms/test_fixture.h"

namespace kura::kms::testing {
namespace {

using AuditMeterTest = KmsTest;

TEST(AuditFormatTest, Fields) {
  AuditRecord r;
  r.time = 1700000000;
  r.request_id = "req-9";
  r.region = "us-east-1";
  r.account_id = "111122223333";
  r.principal_arn = "arn:aws:iam::111122223333:user/alice";
  r.operation = "Decrypt";
  r.key_arn = "arn:aws:kms:us-east-1:111122223333:key/k";
  r.encryption_context_keys = {"aws:ebs:id"};
  r.via_service = "ec2.us-east-1.amazonaws.com";
  r.result = "Ok";
  auto j = nlohmann::json::parse(FormatAuditLine(r));
  EXPECT_EQ(j["time"], 1700000000);
  EXPECT_EQ(j["requestId"], "req-9");
  EXPECT_EQ(j["account"], "111122223333");
  EXPECT_EQ(j["principal"], "arn:aws:iam::111122223333:user/alice");
  EXPECT_EQ(j["operation"], "Decrypt");
  EXPECT_EQ(j["keyArn"], "arn:aws:kms:us-east-1:111122223333:key/k");
  EXPECT_EQ(j["encryptionContextKeys"], nlohmann::json::array({"aws:ebs:id"}));
  EXPECT_EQ(j["viaService"], "ec2.us-east-1.amazonaws.com");
  EXPECT_EQ(j["result"], "Ok");
  EXPECT_EQ(FormatAuditLine(r).find('\n'), std::string::npos);
}

// The line as nlohmann formats it, which FormatAuditLine matches byte for byte.
std::string ReferenceAuditLine(const AuditRecord& r) {
  nlohmann::ordered_json j;
  j["time"] = r.time;
  j["requestId"] = r.request_id;
  j["region"] = r.region;
  j["account"] = r.account_id;
  j["principal"] = r.principal_arn;
  j["operation"] = r.operation;
  if (!r.key_arn.empty()) j["keyArn"] = r.key_arn;
  if (!r.encryption_context_keys.empty()) j["encryptionContextKeys"] = r.encryption_context_keys;
  if (!r.via_service.empty()) j["viaService"] = r.via_service;
  if (!r.grant_id.empty()) j["grantId"] = r.grant_id;
  j["result"] = r.result;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TEST(FormatAuditLineTest, SameBytesAsJsonLibraryForAwkwardValues) {
  AuditRecord minimal;
  minimal.time = -5;
  EXPECT_EQ(FormatAuditLine(minimal), ReferenceAuditLine(minimal));

  AuditRecord r;
  r.time = 1700000000;
  r.request_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  r.region = "eu-west-1";
  r.account_id = "111122223333";
  r.principal_arn = "arn:aws:iam::111122223333:user/a\"b\\c";
  r.operation = "GenerateDataKey";
  r.key_arn = "arn:aws:kms:eu-west-1:111122223333:key/k";
  r.encryption_context_keys = {"plain", "tab\there", "new\nline", "caf\xc3\xa9", "bad\xff\xfeutf8", "del\x7f", ""};
  r.via_service = "ec2.eu-west-1.amazonaws.com";
  r.grant_id = "g-1";
  r.result = "AccessDenied";
  EXPECT_EQ(FormatAuditLine(r), ReferenceAuditLine(r));
}

TEST_F(AuditMeterTest, OneLinePerCallWithoutSecrets) {
  auto k = NewKey();
  auto as = As(Root(kAlice));
  const std::string plaintext = "TOP-SECRET-PLAINTEXT";
  const EncryptionContext ctx{{"tenant", "context-value-should-not-appear"}};
  EncryptRequest enc;
  enc.key_id = k.key_id;
  enc.plaintext = Secret(plaintext);
  enc.encryption_context = ctx;
  auto blob = svc_->Encrypt(as, enc);
  ASSERT_TRUE(blob.ok());
  auto dec = DecryptAs(as, blob->ciphertext_blob, ctx);
  ASSERT_TRUE(dec.ok());
  DataKeyRequest dk;
  dk.key_id = k.key_id;
  dk.number_of_bytes = 32;
  auto data_key = svc_->GenerateDataKey(as, dk);
  ASSERT_TRUE(data_key.ok());
  CreateGrantRequest g;
  g.key_id = k.key_id;
  g.grantee_principal = User(kAlice, "bob").arn;
  g.operations = {GrantOperation::kDecrypt};
  auto grant = svc_->CreateGrant(as, g);
  ASSERT_TRUE(grant.ok());
  EXPECT_KMS_ERROR(DecryptAs(As(User(kAlice, "eve")), blob->ciphertext_blob, ctx), KmsError::kAccessDenied);

  const auto lines = audit_->lines();
  ASSERT_EQ(lines.size(), 6u);  // CreateKey, Encrypt, Decrypt, GenerateDataKey, CreateGrant, Decrypt
  const std::string blob_hex = base::HexEncode(blob->ciphertext_blob);
  const std::string dk_hex = base::HexEncode(data_key->plaintext.span());
  for (const auto& line : lines) {
    EXPECT_EQ(line.find(plaintext), std::string::npos) << line;
    EXPECT_EQ(line.find("context-value-should-not-appear"), std::string::npos) << line;
    EXPECT_EQ(line.find(grant->grant_token), std::string::npos) << line;
    EXPECT_EQ(line.find(blob_hex.substr(0, 32)), std::string::npos) << line;
    EXPECT_EQ(line.find(dk_hex.substr(0, 16)), std::string::npos) << line;
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    EXPECT_EQ(j["requestId"], "req-1");
  }
  auto enc_line = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(enc_line["operation"], "Encrypt");
  EXPECT_EQ(enc_line["keyArn"], k.arn);
  EXPECT_EQ(enc_line["encryptionContextKeys"], nlohmann::json::array({"tenant"}));
  EXPECT_EQ(enc_line["result"], "Ok");
  auto grant_line = nlohmann::json::parse(lines[4]);
  EXPECT_EQ(grant_line["grantId"], grant->grant_id);
  auto denied = nlohmann::json::parse(lines[5]);
  EXPECT_EQ(denied["result"], "AccessDenied");
  EXPECT_EQ(denied["principal"], "arn:aws:iam::111122223333:user/eve");
}

TEST_F(AuditMeterTest, BillFromServiceUsage) {
  now_ = 1704067200;  // 2024-01-01
  auto k = NewKey();
  NewKey(kAlice, kTokyo);
  auto as = As(Root(kAlice));
  for (int i = 0; i < 10; ++i) EncryptAs(as, k.key_id, "x");
  EncryptRequest denied;
  denied.key_id = k.arn;
  denied.plaintext = Secret("x");
  EXPECT_KMS_ERROR(svc_->Encrypt(As(Root(kBob)), denied), KmsError::kAccessDenied);  // billed to Bob
  ASSERT_TRUE(svc_->RotateKeyOnDemand(as, k.key_id).ok());
  auto bill = svc_->ComputeBill(kAlice, "2024-01");
  ASSERT_TRUE(bill.ok()) << bill.status().ToString();
  EXPECT_EQ(bill->requests, 13);  // 2 CreateKey + 10 Encrypt + 1 RotateKeyOnDemand
  EXPECT_EQ(bill->billable_requests, 0);
  EXPECT_NEAR(bill->key_months, 3.0, 1e-9);  // two keys all month + one rotation of k
  EXPECT_NEAR(bill->total_usd, 3.0, 1e-9);
  EXPECT_EQ(svc_->ComputeBill(kBob, "2024-01")->requests, 1);
  // Counts survive a restart of the service (flushed to the store).
  Reopen();
  EXPECT_EQ(svc_->ComputeBill(kAlice, "2024-01")->requests, 13);
}

}  // namespace
}  // namespace kura::kms::testing
