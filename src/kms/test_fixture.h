// Shared fixture for the KMS unit tests: a KmsService over an in-memory
// SQLite database, a settable clock, in-memory identity policies and audit sink.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "iam/policy.h"
#include "iam/principal.h"
#include "iam/test_principals.h"
#include "kms/audit.h"
#include "kms/kms_error.h"
#include "kms/kms_service.h"
#include "meta/testing/backend_test.h"

namespace kura::kms::testing {

inline constexpr char kAlice[] = "111122223333";  // the main account
inline constexpr char kBob[] = "444455556666";    // another account
inline constexpr char kEast[] = "us-east-1";
inline constexpr char kTokyo[] = "ap-northeast-1";

using iam::testing::Root;
using iam::testing::User;

inline std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }
inline crypto::SecretBytes Secret(std::string_view s) {
  return crypto::SecretBytes(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}
inline std::string Text(const crypto::SecretBytes& s) { return std::string(s.data(), s.data() + s.size()); }

#define EXPECT_KMS_ERROR(expr, kind)                                   \
  do {                                                                 \
    auto kura_st_ = (expr);                                            \
    EXPECT_EQ(::kura::kms::ErrorOf(::kura::kms::testing::StatusOf(kura_st_)), (kind)) \
        << ::kura::kms::testing::StatusOf(kura_st_).ToString();        \
  } while (0)

inline base::Status StatusOf(const base::Status& s) { return s; }
template <typename T>
base::Status StatusOf(const base::Result<T>& r) {
  return r.ok() ? base::Status::Ok() : r.status();
}

class KmsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test_db_ = meta::CreateEnvironmentTestDatabase();
    if (test_db_) Reopen();
  }

  void Reopen() {
    svc_.reset();
    if (!db_) {
      auto db = test_db_->Open();
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      db_ = std::shared_ptr<meta::Database>(std::move(db).value());
    }
    KmsOptions o;
    o.db = db_;
    o.sealing_key = crypto::SecretBytes(32);
    for (size_t i = 0; i < 32; ++i) o.sealing_key.data()[i] = static_cast<uint8_t>(0xa0 + i);
    o.clock = [this] { return now_; };
    o.regions = {kEast, kTokyo};
    o.identity_policies = [this](const iam::Principal& p)
        -> base::Result<std::vector<std::shared_ptr<const iam::PolicyDocument>>> {
      auto it = policies_.find(p.arn);
      if (it == policies_.end()) return std::vector<std::shared_ptr<const iam::PolicyDocument>>{};
      return it->second;
    };
    o.audit = audit_;
    auto svc = KmsService::Open(std::move(o));
    ASSERT_TRUE(svc.ok()) << svc.status().ToString();
    svc_ = std::move(svc).value();
  }

  // Gives `p` an inline IAM policy.
  void Allow(const iam::Principal& p, const std::string& policy) {
    auto doc = iam::PolicyDocument::Parse(policy, iam::PolicyKind::kIdentity);
    ASSERT_TRUE(doc.ok()) << doc.status().ToString();
    policies_[p.arn].push_back(std::make_shared<const iam::PolicyDocument>(std::move(doc).value()));
  }
  void AllowAllKms(const iam::Principal& p) {
    Allow(p, R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]})");
  }

  Caller As(const iam::Principal& p, const std::string& region = kEast) { return Caller::Direct(p, region, "req-1"); }

  KeyMetadata NewKey(const std::string& account = kAlice, const std::string& region = kEast) {
    auto k = svc_->CreateKey(As(Root(account), region), CreateKeyRequest{});
    EXPECT_TRUE(k.ok()) << k.status().ToString();
    return k.ok() ? *k : KeyMetadata{};
  }

  std::vector<uint8_t> EncryptAs(const Caller& c, const std::string& key, std::string_view plaintext,
                                 EncryptionContext ctx = {}) {
    EncryptRequest req;
    req.key_id = key;
    req.plaintext = Secret(plaintext);
    req.encryption_context = std::move(ctx);
    auto r = svc_->Encrypt(c, req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->ciphertext_blob : std::vector<uint8_t>{};
  }

  base::Result<DecryptResult> DecryptAs(const Caller& c, const std::vector<uint8_t>& blob, EncryptionContext ctx = {},
                                        std::string key_id = "") {
    DecryptRequest req;
    req.ciphertext_blob = blob;
    req.encryption_context = std::move(ctx);
    req.key_id = std::move(key_id);
    return svc_->Decrypt(c, req);
  }

  int64_t now_ = 1700000000;  // 2023-11-14
  std::unique_ptr<meta::TestDatabase> test_db_;  // outlives every user of db_
  std::shared_ptr<meta::Database> db_;
  std::shared_ptr<MemoryAuditSink> audit_ = std::make_shared<MemoryAuditSink>();
  std::map<std::string, std::vector<std::shared_ptr<const iam::PolicyDocument>>> policies_;
  std::unique_ptr<KmsService> svc_;
};

}  // namespace kura::kms::testing
