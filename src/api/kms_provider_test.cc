#include "api/kms_provider.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "iam/policy.h"
#include "kms/audit.h"
#include "kms/kms_error.h"
#include "meta/sqlite/sqlite_database.h"

namespace kura::api {
namespace {

using nlohmann::json;

constexpr char kAccount[] = "111122223333";

json Bin(std::string_view s) { return json::binary(std::vector<uint8_t>(s.begin(), s.end())); }
std::string Str(const json& binary) {
  const auto& b = binary.get_binary();
  return std::string(b.begin(), b.end());
}

class KmsProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = meta::OpenSqliteDatabase(":memory:");
    ASSERT_TRUE(db.ok());
    kms::KmsOptions o;
    o.db = std::shared_ptr<meta::Database>(std::move(db).value());
    o.sealing_key = crypto::SecretBytes(32);
    o.clock = [this] { return now_; };
    o.regions = {"us-east-1", "ap-northeast-1"};
    o.identity_policies = [](const iam::Principal&)
        -> base::Result<std::vector<std::shared_ptr<const iam::PolicyDocument>>> {
      return std::vector<std::shared_ptr<const iam::PolicyDocument>>{};
    };
    o.audit = std::make_shared<kms::MemoryAuditSink>();
    auto svc = kms::KmsService::Open(std::move(o));
    ASSERT_TRUE(svc.ok()) << svc.status().ToString();
    provider_ = std::make_unique<KmsProvider>(std::shared_ptr<kms::KmsService>(std::move(svc).value()));
    root_.request_id = "req-1";
    root_.caller = iam::Principal{kAccount, iam::AccountRootArn(kAccount), kAccount, ""};
    root_.region = "us-east-1";
    user_ = root_;
    user_.caller = iam::Principal{kAccount, "arn:aws:iam::111122223333:user/alice", "AIDAALICE", "alice"};
  }

  json MustCall(std::string_view op, const json& input, const CallContext* ctx = nullptr) {
    auto r = provider_->Call(op, input, ctx ? *ctx : root_);
    EXPECT_TRUE(r.ok()) << op << ": " << r.status().ToString();
    return r.ok() ? *r : json();
  }
  WireError CallError(std::string_view op, const json& input, const CallContext* ctx = nullptr) {
    auto r = provider_->Call(op, input, ctx ? *ctx : root_);
    EXPECT_FALSE(r.ok()) << op << " unexpectedly succeeded";
    return r.ok() ? WireError{} : provider_->MapError(r.status());
  }
  std::string NewKey() { return MustCall("CreateKey", json::object())["KeyMetadata"]["KeyId"]; }

  int64_t now_ = 1700000000;
  std::unique_ptr<KmsProvider> provider_;
  CallContext root_, user_;
};

TEST_F(KmsProviderTest, CreateAndDescribeKeyDocuments) {
  EXPECT_EQ(provider_->service(), "kms");
  json out = MustCall("CreateKey", {{"Description", "d"}, {"Tags", {{{"TagKey", "a"}, {"TagValue", "b"}}}}});
  const json& m = out["KeyMetadata"];
  EXPECT_EQ(m["AWSAccountId"], kAccount);
  EXPECT_EQ(m["Arn"], "arn:aws:kms:us-east-1:111122223333:key/" + m["KeyId"].get<std::string>());
  EXPECT_EQ(m["CreationDate"], now_);
  EXPECT_EQ(m["Enabled"], true);
  EXPECT_EQ(m["Description"], "d");
  EXPECT_EQ(m["KeyUsage"], "ENCRYPT_DECRYPT");
  EXPECT_EQ(m["KeyState"], "Enabled");
  EXPECT_EQ(m["Origin"], "AWS_KMS");
  EXPECT_EQ(m["KeyManager"], "CUSTOMER");
  EXPECT_EQ(m["CustomerMasterKeySpec"], "SYMMETRIC_DEFAULT");
  EXPECT_EQ(m["KeySpec"], "SYMMETRIC_DEFAULT");
  EXPECT_EQ(m["EncryptionAlgorithms"], json::array({"SYMMETRIC_DEFAULT"}));
  EXPECT_EQ(m["MultiRegion"], false);
  EXPECT_FALSE(m.contains("DeletionDate"));
  json d = MustCall("DescribeKey", {{"KeyId", m["Arn"]}});
  EXPECT_EQ(d["KeyMetadata"], m);
  json tags = MustCall("ListResourceTags", {{"KeyId", m["KeyId"]}});
  EXPECT_EQ(tags["Tags"], json::parse(R"([{"TagKey":"a","TagValue":"b"}])"));
  EXPECT_EQ(tags["Truncated"], false);
  json pol = MustCall("GetKeyPolicy", {{"KeyId", m["KeyId"]}, {"PolicyName", "default"}});
  EXPECT_NE(pol["Policy"].get<std::string>().find("key-default-1"), std::string::npos);
  EXPECT_EQ(MustCall("ListKeyPolicies", {{"KeyId", m["KeyId"]}})["PolicyNames"], json::array({"default"}));
}

TEST_F(KmsProviderTest, EncryptDecryptBlobs) {
  const std::string key = NewKey();
  json enc = MustCall("Encrypt", {{"KeyId", key}, {"Plaintext", Bin("hello")}, {"EncryptionContext", {{"a", "1"}}}});
  ASSERT_TRUE(enc["CiphertextBlob"].is_binary());
  EXPECT_EQ(enc["KeyId"], "arn:aws:kms:us-east-1:111122223333:key/" + key);
  EXPECT_EQ(enc["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
  json dec = MustCall("Decrypt", {{"CiphertextBlob", enc["CiphertextBlob"]}, {"EncryptionContext", {{"a", "1"}}}});
  EXPECT_EQ(Str(dec["Plaintext"]), "hello");
  EXPECT_EQ(dec["KeyId"], enc["KeyId"]);
  WireError bad = CallError("Decrypt", {{"CiphertextBlob", enc["CiphertextBlob"]}});
  EXPECT_EQ(bad.code, "InvalidCiphertextException");
  EXPECT_EQ(bad.message, "");
  EXPECT_EQ(bad.http_status, 400);
  const std::string other = NewKey();
  EXPECT_EQ(CallError("Decrypt", {{"CiphertextBlob", enc["CiphertextBlob"]}, {"KeyId", other},
                                  {"EncryptionContext", {{"a", "1"}}}})
                .code,
            "IncorrectKeyException");

  json dk = MustCall("GenerateDataKey", {{"KeyId", key}, {"NumberOfBytes", 64},
                                         {"EncryptionContext", {{"aws:ebs:id", "vol-1"}}}});
  EXPECT_EQ(dk["Plaintext"].get_binary().size(), 64u);
  json wp = MustCall("GenerateDataKeyWithoutPlaintext", {{"KeyId", key}, {"KeySpec", "AES_256"}});
  EXPECT_FALSE(wp.contains("Plaintext"));
  EXPECT_EQ(CallError("GenerateDataKey", {{"KeyId", key}}).code, "ValidationException");
  json re = MustCall("ReEncrypt", {{"CiphertextBlob", wp["CiphertextBlob"]}, {"DestinationKeyId", other}});
  EXPECT_EQ(re["SourceKeyId"], wp["KeyId"]);
  EXPECT_EQ(re["KeyId"], "arn:aws:kms:us-east-1:111122223333:key/" + other);
  EXPECT_EQ(MustCall("GenerateRandom", {{"NumberOfBytes", 16}})["Plaintext"].get_binary().size(), 16u);
}

TEST_F(KmsProviderTest, ErrorMapping) {
  const std::string key = NewKey();
  WireError nf = CallError("DescribeKey", {{"KeyId", "00000000-0000-4000-8000-000000000000"}});
  EXPECT_EQ(nf.code, "NotFoundException");
  EXPECT_EQ(nf.message, "Key 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000' does not exist");
  EXPECT_EQ(nf.http_status, 400);
  EXPECT_TRUE(nf.sender_fault);
  WireError denied = CallError("DescribeKey", {{"KeyId", key}}, &user_);
  EXPECT_EQ(denied.code, "AccessDeniedException");
  EXPECT_EQ(denied.http_status, 400);
  MustCall("DisableKey", {{"KeyId", key}});
  WireError disabled = CallError("Encrypt", {{"KeyId", key}, {"Plaintext", Bin("x")}});
  EXPECT_EQ(disabled.code, "DisabledException");
  EXPECT_EQ(disabled.message, "arn:aws:kms:us-east-1:111122223333:key/" + key + " is disabled.");
  json sched = MustCall("ScheduleKeyDeletion", {{"KeyId", key}, {"PendingWindowInDays", 7}});
  EXPECT_EQ(sched["KeyState"], "PendingDeletion");
  EXPECT_EQ(sched["PendingWindowInDays"], 7);
  EXPECT_EQ(sched["DeletionDate"], now_ + 7 * 86400);
  EXPECT_EQ(sched["KeyId"], "arn:aws:kms:us-east-1:111122223333:key/" + key);
  EXPECT_EQ(CallError("Encrypt", {{"KeyId", key}, {"Plaintext", Bin("x")}}).code, "KMSInvalidStateException");
  EXPECT_EQ(MustCall("CancelKeyDeletion", {{"KeyId", key}})["KeyId"], sched["KeyId"]);
  EXPECT_EQ(CallError("CancelKeyDeletion", {{"KeyId", key}}).code, "KMSInvalidStateException");
  EXPECT_EQ(CallError("CreateAlias", {{"AliasName", "nope"}, {"TargetKeyId", key}}).code, "ValidationException");
  EXPECT_EQ(CallError("CreateAlias", {{"AliasName", "alias/aws/x"}, {"TargetKeyId", key}}).code,
            "NotAuthorizedException");
  MustCall("CreateAlias", {{"AliasName", "alias/x"}, {"TargetKeyId", key}});
  EXPECT_EQ(CallError("CreateAlias", {{"AliasName", "alias/x"}, {"TargetKeyId", key}}).code, "AlreadyExistsException");
  EXPECT_EQ(CallError("ListKeys", {{"Marker", "junk"}}).code, "InvalidMarkerException");
  EXPECT_EQ(CallError("CreateKey", {{"Policy", "{"}}).code, "MalformedPolicyDocumentException");
  EXPECT_EQ(CallError("CreateKey", {{"KeySpec", "RSA_2048"}}).code, "UnsupportedOperationException");
  EXPECT_EQ(CallError("TagResource", {{"KeyId", key}, {"Tags", {{{"TagKey", "aws:x"}, {"TagValue", "v"}}}}}).code,
            "TagException");
  EXPECT_EQ(CallError("RetireGrant", {{"GrantToken", "bogus"}}).code, "InvalidGrantTokenException");
  EXPECT_EQ(CallError("RevokeGrant", {{"KeyId", key}, {"GrantId", "bad id"}}).code, "InvalidGrantIdException");
  EXPECT_EQ(CallError("Frobnicate", json::object()).code, "UnknownOperationException");
  EXPECT_EQ(CallError("DescribeKey", json::object()).code, "ValidationException");
  EXPECT_EQ(CallError("DescribeKey", {{"KeyId", 5}}).code, "ValidationException");

  WireError internal = provider_->MapError(base::InternalError("sqlite said /var/lib/secret"));
  EXPECT_EQ(internal.code, "KMSInternalException");
  EXPECT_EQ(internal.http_status, 500);
  EXPECT_FALSE(internal.sender_fault);
  EXPECT_EQ(internal.message.find("sqlite"), std::string::npos);
  EXPECT_EQ(provider_->MapError(kms::KmsStatus(kms::KmsError::kDependencyTimeout, "")).http_status, 503);
  EXPECT_EQ(provider_->MapError(kms::KmsStatus(kms::KmsError::kKeyUnavailable, "")).http_status, 500);
  EXPECT_EQ(provider_->MapError(kms::KmsStatus(kms::KmsError::kIncorrectKey, "m")).code, "IncorrectKeyException");
  EXPECT_EQ(provider_->MapError(kms::KmsStatus(kms::KmsError::kLimitExceeded, "m")).code, "LimitExceededException");
}

TEST_F(KmsProviderTest, AliasesAndPagination) {
  const std::string key = NewKey();
  for (int i = 0; i < 4; ++i) {
    MustCall("CreateAlias", {{"AliasName", "alias/k" + std::to_string(i)}, {"TargetKeyId", key}});
  }
  json page1 = MustCall("ListAliases", {{"Limit", 2}});
  EXPECT_EQ(page1["Aliases"].size(), 2u);
  EXPECT_EQ(page1["Truncated"], true);
  ASSERT_TRUE(page1["NextMarker"].is_string());
  EXPECT_EQ(page1["Aliases"][0]["AliasArn"], "arn:aws:kms:us-east-1:111122223333:alias/aws/ebs");
  EXPECT_FALSE(page1["Aliases"][0].contains("TargetKeyId"));
  json page2 = MustCall("ListAliases", {{"Limit", 2}, {"Marker", page1["NextMarker"]}});
  json page3 = MustCall("ListAliases", {{"Limit", 2}, {"Marker", page2["NextMarker"]}});
  EXPECT_EQ(page3["Aliases"].size(), 1u);
  EXPECT_EQ(page3["Truncated"], false);
  EXPECT_FALSE(page3.contains("NextMarker"));
  EXPECT_EQ(page3["Aliases"][0]["TargetKeyId"], key);
  EXPECT_TRUE(page3["Aliases"][0]["CreationDate"].is_number());
  json filtered = MustCall("ListAliases", {{"KeyId", key}});
  EXPECT_EQ(filtered["Aliases"].size(), 4u);
  MustCall("UpdateAlias", {{"AliasName", "alias/k0"}, {"TargetKeyId", NewKey()}});
  MustCall("DeleteAlias", {{"AliasName", "alias/k1"}});
  EXPECT_EQ(MustCall("ListAliases", {{"KeyId", key}})["Aliases"].size(), 2u);
  json keys = MustCall("ListKeys", {{"Limit", 1}});
  EXPECT_EQ(keys["Keys"].size(), 1u);
  EXPECT_EQ(keys["Truncated"], true);
  EXPECT_TRUE(keys["Keys"][0].contains("KeyArn"));
}

TEST_F(KmsProviderTest, GrantsDocuments) {
  const std::string key = NewKey();
  json g = MustCall("CreateGrant",
                    {{"KeyId", key},
                     {"GranteePrincipal", "arn:aws:iam::111122223333:user/alice"},
                     {"RetiringPrincipal", "arn:aws:iam::111122223333:user/ops"},
                     {"Operations", {"Decrypt", "DescribeKey"}},
                     {"Constraints", {{"EncryptionContextSubset", {{"aws:ebs:id", "vol-1"}}}}},
                     {"Name", "g1"}});
  ASSERT_TRUE(g["GrantId"].is_string());
  ASSERT_TRUE(g["GrantToken"].is_string());
  json again = MustCall("CreateGrant", {{"KeyId", key},
                                        {"GranteePrincipal", "arn:aws:iam::111122223333:user/alice"},
                                        {"RetiringPrincipal", "arn:aws:iam::111122223333:user/ops"},
                                        {"Operations", {"DescribeKey", "Decrypt"}},
                                        {"Constraints", {{"EncryptionContextSubset", {{"aws:ebs:id", "vol-1"}}}}},
                                        {"Name", "g1"}});
  EXPECT_EQ(again["GrantId"], g["GrantId"]);
  EXPECT_NE(again["GrantToken"], g["GrantToken"]);
  // The grantee uses the grant right away.
  EXPECT_EQ(MustCall("DescribeKey", {{"KeyId", "arn:aws:kms:us-east-1:111122223333:key/" + key},
                                     {"GrantTokens", {g["GrantToken"]}}},
                     &user_)["KeyMetadata"]["KeyId"],
            key);
  json list = MustCall("ListGrants", {{"KeyId", key}});
  ASSERT_EQ(list["Grants"].size(), 1u);
  const json& e = list["Grants"][0];
  EXPECT_EQ(e["KeyId"], "arn:aws:kms:us-east-1:111122223333:key/" + key);
  EXPECT_EQ(e["GrantId"], g["GrantId"]);
  EXPECT_EQ(e["Name"], "g1");
  EXPECT_EQ(e["CreationDate"], now_);
  EXPECT_EQ(e["GranteePrincipal"], "arn:aws:iam::111122223333:user/alice");
  EXPECT_EQ(e["RetiringPrincipal"], "arn:aws:iam::111122223333:user/ops");
  EXPECT_EQ(e["IssuingAccount"], "arn:aws:iam::111122223333:root");
  EXPECT_EQ(e["Operations"], json::array({"Decrypt", "DescribeKey"}));
  EXPECT_EQ(e["Constraints"], json::parse(R"({"EncryptionContextSubset":{"aws:ebs:id":"vol-1"}})"));
  EXPECT_EQ(MustCall("ListRetirableGrants", {{"RetiringPrincipal", "arn:aws:iam::111122223333:user/ops"}})["Grants"],
            list["Grants"]);
  EXPECT_EQ(CallError("CreateGrant", {{"KeyId", key}, {"GranteePrincipal", "x"}, {"Operations", {"Fly"}}}).code,
            "ValidationException");
  MustCall("RetireGrant", {{"KeyId", e["KeyId"]}, {"GrantId", e["GrantId"]}});
  EXPECT_TRUE(MustCall("ListGrants", {{"KeyId", key}})["Grants"].empty());
  json g2 = MustCall("CreateGrant", {{"KeyId", key}, {"GranteePrincipal", "arn:aws:iam::111122223333:user/alice"},
                                     {"Operations", {"Encrypt"}}});
  EXPECT_EQ(MustCall("RevokeGrant", {{"KeyId", key}, {"GrantId", g2["GrantId"]}}), json::object());
}

TEST_F(KmsProviderTest, RotationAndDescriptionDocuments) {
  const std::string key = NewKey();
  EXPECT_EQ(MustCall("GetKeyRotationStatus", {{"KeyId", key}})["KeyRotationEnabled"], false);
  EXPECT_EQ(MustCall("EnableKeyRotation", {{"KeyId", key}}), json::object());
  json s = MustCall("GetKeyRotationStatus", {{"KeyId", key}});
  EXPECT_EQ(s["KeyRotationEnabled"], true);
  EXPECT_EQ(s["RotationPeriodInDays"], 365);
  MustCall("DisableKeyRotation", {{"KeyId", key}});
  MustCall("UpdateKeyDescription", {{"KeyId", key}, {"Description", "new"}});
  EXPECT_EQ(MustCall("DescribeKey", {{"KeyId", key}})["KeyMetadata"]["Description"], "new");
  MustCall("PutKeyPolicy", {{"KeyId", key}, {"PolicyName", "default"},
                            {"Policy", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]})"}});
  MustCall("UntagResource", {{"KeyId", key}, {"TagKeys", {"none"}}});
  json ebs = MustCall("DescribeKey", {{"KeyId", "alias/aws/ebs"}});
  EXPECT_EQ(ebs["KeyMetadata"]["KeyManager"], "AWS");
  EXPECT_EQ(ebs["KeyMetadata"]["Description"], "Default key that protects my EBS volumes when no other key is defined");
}

}  // namespace
}  // namespace kura::api
