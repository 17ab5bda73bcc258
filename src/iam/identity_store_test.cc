#include "iam/identity_store.h"
#include "base/temp_dir.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "crypto/random.h"
#include "meta/sqlite/sqlite_database.h"
#include "meta/testing/backend_test.h"

namespace kura::iam {
namespace {

using base::TempDir;

constexpr char kAccount[] = "111122223333";
constexpr char kOtherAccount[] = "444455556666";
constexpr char kAllowAll[] = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})";
constexpr char kAllowGetUser[] =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]})";

int Detail(const base::Status& s) { return s.detail(); }
int Detail(IamError e) { return static_cast<int>(e); }

bool AllOf(const std::string& s, std::string_view alphabet) {
  return std::all_of(s.begin(), s.end(), [&](char c) { return alphabet.find(c) != std::string_view::npos; });
}


crypto::SecretBytes NewSealingKey() {
  auto key = crypto::RandomSecret(32);
  EXPECT_TRUE(key.ok());
  return std::move(key).value();
}

std::unique_ptr<IdentityStore> OpenStore(std::shared_ptr<meta::Database> db, crypto::SecretBytes key) {
  auto store = IdentityStore::Open(std::move(db), std::move(key));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return std::move(store).value();
}

class IdentityStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test_db_ = meta::CreateEnvironmentTestDatabase();
    if (!test_db_) return;
    auto db = test_db_->Open();
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::shared_ptr<meta::Database>(std::move(db).value());
    store_ = OpenStore(db_, NewSealingKey());
    ASSERT_TRUE(store_->CreateAccount(kAccount, "main").ok());
  }

  User MustCreateUser(const std::string& name, const std::string& path = "") {
    auto user = store_->CreateUser(kAccount, name, path);
    EXPECT_TRUE(user.ok()) << user.status().ToString();
    return user.ok() ? *user : User{};
  }

  std::unique_ptr<meta::TestDatabase> test_db_;  // outlives db_ and store_
  std::shared_ptr<meta::Database> db_;
  std::unique_ptr<IdentityStore> store_;
};

TEST(IdentityStoreOpenTest, RejectsWrongSealingKeySize) {
  auto db = meta::OpenSqliteDatabase(":memory:");
  ASSERT_TRUE(db.ok());
  auto store = IdentityStore::Open(std::shared_ptr<meta::Database>(std::move(db).value()), crypto::SecretBytes(16));
  EXPECT_FALSE(store.ok());
}

TEST_F(IdentityStoreTest, Accounts) {
  auto random = store_->CreateAccount("", "generated");
  ASSERT_TRUE(random.ok()) << random.status().ToString();
  EXPECT_EQ(random->id.size(), 12u);
  EXPECT_TRUE(AllOf(random->id, "0123456789"));
  EXPECT_EQ(random->name, "generated");
  EXPECT_GT(random->created_at, 0);

  auto dup = store_->CreateAccount(kAccount, "again");
  EXPECT_EQ(Detail(dup.status()), Detail(IamError::kEntityAlreadyExists));
  EXPECT_EQ(Detail(store_->CreateAccount("12345", "short").status()), Detail(IamError::kInvalidInput));
  EXPECT_EQ(Detail(store_->CreateAccount("12345678901a", "alpha").status()), Detail(IamError::kInvalidInput));

  auto got = store_->GetAccount(kAccount);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "main");
  EXPECT_EQ(Detail(store_->GetAccount("999999999999").status()), Detail(IamError::kNoSuchEntity));

  auto all = store_->ListAccounts();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_LT((*all)[0].id, (*all)[1].id);
}

TEST_F(IdentityStoreTest, CreateGetListUsers) {
  User alice = MustCreateUser("alice");
  EXPECT_EQ(alice.account_id, kAccount);
  EXPECT_EQ(alice.name, "alice");
  EXPECT_EQ(alice.path, "/");
  EXPECT_EQ(alice.arn, "arn:aws:iam::111122223333:user/alice");
  ASSERT_EQ(alice.user_id.size(), 21u);
  EXPECT_EQ(alice.user_id.substr(0, 4), "AIDA");
  EXPECT_TRUE(AllOf(alice.user_id.substr(4), "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"));
  EXPECT_GT(alice.created_at, 0);

  User bob = MustCreateUser("Bob+ops=x,y.z@corp-1_", "/eng/team/");
  EXPECT_EQ(bob.arn, "arn:aws:iam::111122223333:user/eng/team/Bob+ops=x,y.z@corp-1_");
  EXPECT_NE(bob.user_id, alice.user_id);

  auto got = store_->GetUser(kAccount, "alice");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->user_id, alice.user_id);
  EXPECT_EQ(got->arn, alice.arn);
  // IAM names are case-insensitive.
  auto upper = store_->GetUser(kAccount, "ALICE");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(upper->name, "alice");

  auto missing = store_->GetUser(kAccount, "carol");
  EXPECT_EQ(Detail(missing.status()), Detail(IamError::kNoSuchEntity));
  EXPECT_EQ(missing.status().message(), "The user with name carol cannot be found.");
  // Users belong to one account.
  EXPECT_EQ(Detail(store_->GetUser(kOtherAccount, "alice").status()), Detail(IamError::kNoSuchEntity));

  auto list = store_->ListUsers(kAccount);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "alice");
  EXPECT_EQ((*list)[1].name, "Bob+ops=x,y.z@corp-1_");
}

TEST_F(IdentityStoreTest, UserValidationAndDuplicates) {
  MustCreateUser("alice");
  auto dup = store_->CreateUser(kAccount, "alice", "/");
  EXPECT_EQ(Detail(dup.status()), Detail(IamError::kEntityAlreadyExists));
  EXPECT_EQ(dup.status().message(), "User with name alice already exists.");
  EXPECT_EQ(Detail(store_->CreateUser(kAccount, "Alice", "/").status()), Detail(IamError::kEntityAlreadyExists));

  for (const std::string& bad : {std::string(), std::string("has space"), std::string("slash/"), std::string(65, 'a'),
                                std::string("caf\xc3\xa9")}) {
    auto r = store_->CreateUser(kAccount, bad, "/");
    EXPECT_EQ(Detail(r.status()), Detail(IamError::kInvalidInput)) << bad;
  }
  EXPECT_TRUE(store_->CreateUser(kAccount, std::string(64, 'a'), "/").ok());
  for (const std::string bad_path : {"eng", "/eng", "eng/", "/e ng/"}) {
    EXPECT_EQ(Detail(store_->CreateUser(kAccount, "pathy", bad_path).status()), Detail(IamError::kInvalidInput))
        << bad_path;
  }
  // An unknown account has no users.
  EXPECT_EQ(Detail(store_->CreateUser("999999999999", "x", "/").status()), Detail(IamError::kNoSuchEntity));
  // The same name in another account is fine.
  ASSERT_TRUE(store_->CreateAccount(kOtherAccount, "other").ok());
  EXPECT_TRUE(store_->CreateUser(kOtherAccount, "alice", "/").ok());
}

TEST_F(IdentityStoreTest, GeneratedAccessKeysAndLookup) {
  User alice = MustCreateUser("alice", "/eng/");
  auto key = store_->CreateAccessKey(kAccount, "alice");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  const std::string& id = key->key.access_key_id;
  ASSERT_EQ(id.size(), 20u);
  EXPECT_EQ(id.substr(0, 4), "AKIA");
  EXPECT_TRUE(AllOf(id.substr(4), "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"));
  ASSERT_EQ(key->secret_access_key.size(), 40u);
  EXPECT_TRUE(AllOf(key->secret_access_key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"));
  EXPECT_EQ(key->key.user_name, "alice");
  EXPECT_EQ(key->key.account_id, kAccount);
  EXPECT_EQ(key->key.status, "Active");

  for (int pass = 0; pass < 2; ++pass) {  // database, then cache
    auto cred = store_->LookupAccessKey(id);
    ASSERT_TRUE(cred.ok()) << cred.status().ToString();
    ASSERT_TRUE(cred->has_value());
    const auto& c = **cred;
    EXPECT_EQ(c.secret_access_key, key->secret_access_key);
    EXPECT_EQ(c.principal.account_id, kAccount);
    EXPECT_EQ(c.principal.user_name, "alice");
    EXPECT_EQ(c.principal.user_id, alice.user_id);
    EXPECT_EQ(c.principal.arn, "arn:aws:iam::111122223333:user/eng/alice");
    EXPECT_FALSE(c.principal.is_root());
  }

  auto unknown = store_->LookupAccessKey("AKIAAAAAAAAAAAAAAAAA");
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());

  auto list = store_->ListAccessKeys(kAccount, "ALICE");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].access_key_id, id);
  EXPECT_EQ((*list)[0].user_name, "alice");

  // Deleting invalidates the cached credential.
  EXPECT_EQ(Detail(store_->DeleteAccessKey(kAccount, "", id)), Detail(IamError::kNoSuchEntity));  // not the root's
  auto wrong = store_->DeleteAccessKey(kAccount, "alice", "AKIAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(Detail(wrong), Detail(IamError::kNoSuchEntity));
  EXPECT_EQ(wrong.message(), "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.");
  ASSERT_TRUE(store_->DeleteAccessKey(kAccount, "alice", id).ok());
  auto gone = store_->LookupAccessKey(id);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  EXPECT_TRUE(store_->ListAccessKeys(kAccount, "alice")->empty());
}

TEST_F(IdentityStoreTest, RootKeys) {
  auto key = store_->CreateAccessKey(kAccount, "");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->key.user_name, "");
  auto cred = store_->LookupAccessKey(key->key.access_key_id);
  ASSERT_TRUE(cred.ok());
  ASSERT_TRUE(cred->has_value());
  EXPECT_TRUE((*cred)->principal.is_root());
  EXPECT_EQ((*cred)->principal.arn, "arn:aws:iam::111122223333:root");
  EXPECT_EQ((*cred)->principal.user_id, kAccount);
  EXPECT_EQ((*cred)->principal.account_id, kAccount);

  ASSERT_TRUE(store_->CreateAccessKey(kAccount, "").ok());
  auto third = store_->CreateAccessKey(kAccount, "");
  EXPECT_EQ(Detail(third.status()), Detail(IamError::kLimitExceeded));
  EXPECT_EQ(third.status().message(), "Cannot exceed quota for AccessKeysPerUser: 2");
  EXPECT_EQ(store_->ListAccessKeys(kAccount, "")->size(), 2u);

  // Keys of an unknown account or user.
  EXPECT_EQ(Detail(store_->CreateAccessKey("999999999999", "").status()), Detail(IamError::kNoSuchEntity));
  auto nouser = store_->CreateAccessKey(kAccount, "nobody");
  EXPECT_EQ(Detail(nouser.status()), Detail(IamError::kNoSuchEntity));
  EXPECT_EQ(nouser.status().message(), "The user with name nobody cannot be found.");
  EXPECT_EQ(Detail(store_->ListAccessKeys(kAccount, "nobody").status()), Detail(IamError::kNoSuchEntity));
}

TEST_F(IdentityStoreTest, UserKeyLimit) {
  MustCreateUser("alice");
  MustCreateUser("bob");
  ASSERT_TRUE(store_->CreateAccessKey(kAccount, "alice").ok());
  ASSERT_TRUE(store_->CreateAccessKey(kAccount, "alice").ok());
  auto third = store_->CreateAccessKey(kAccount, "alice");
  EXPECT_EQ(Detail(third.status()), Detail(IamError::kLimitExceeded));
  EXPECT_EQ(third.status().message(), "Cannot exceed quota for AccessKeysPerUser: 2");
  // Other users and the root have their own quota.
  EXPECT_TRUE(store_->CreateAccessKey(kAccount, "bob").ok());
  EXPECT_TRUE(store_->CreateAccessKey(kAccount, "").ok());
}

TEST_F(IdentityStoreTest, ChosenAccessKeys) {
  MustCreateUser("alice");
  auto key = store_->CreateAccessKey(kAccount, "alice", "AKIAKURATEST0000ALICE", "alice-secret/with+chars");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->key.access_key_id, "AKIAKURATEST0000ALICE");
  EXPECT_EQ(key->secret_access_key, "alice-secret/with+chars");
  auto cred = store_->LookupAccessKey("AKIAKURATEST0000ALICE");
  ASSERT_TRUE(cred.ok());
  ASSERT_TRUE(cred->has_value());
  EXPECT_EQ((*cred)->secret_access_key, "alice-secret/with+chars");
  EXPECT_EQ((*cred)->principal.user_name, "alice");

  // A chosen id alone gets a generated secret.
  auto id_only = store_->CreateAccessKey(kAccount, "", "AKIAKURAROOT00000001");
  ASSERT_TRUE(id_only.ok()) << id_only.status().ToString();
  EXPECT_EQ(id_only->secret_access_key.size(), 40u);

  // Unique across all accounts.
  ASSERT_TRUE(store_->CreateAccount(kOtherAccount, "other").ok());
  auto dup = store_->CreateAccessKey(kOtherAccount, "", "AKIAKURATEST0000ALICE", "x");
  EXPECT_EQ(Detail(dup.status()), Detail(IamError::kEntityAlreadyExists));

  for (const std::string& bad : {std::string("AKIASHORT"), std::string("akiakuratest0000lower"),
                                 std::string("AKIA-KURA-TEST-00000"), std::string(129, 'A')}) {
    EXPECT_EQ(Detail(store_->CreateAccessKey(kOtherAccount, "", bad, "secret").status()),
              Detail(IamError::kInvalidInput))
        << bad;
  }
  EXPECT_EQ(Detail(store_->CreateAccessKey(kOtherAccount, "", "AKIAKURAOTHER0000001", "has space").status()),
            Detail(IamError::kInvalidInput));
  EXPECT_TRUE(store_->CreateAccessKey(kOtherAccount, "", std::string(128, 'A'), "s").ok());
}

TEST(IdentityStoreSealingTest, SecretsAreStoredOnlySealed) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string db_path = dir.path() + "/meta.db";
  const std::string chosen_secret = "KuraPlainSecretMarker+0123456789/abcdefgh";
  crypto::SecretBytes key = NewSealingKey();
  std::string generated_secret, generated_id;
  {
    auto db = meta::OpenSqliteDatabase(db_path);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto store = OpenStore(std::shared_ptr<meta::Database>(std::move(db).value()), key.Clone());
    ASSERT_TRUE(store->CreateAccount(kAccount, "main").ok());
    ASSERT_TRUE(store->CreateUser(kAccount, "alice", "/").ok());
    ASSERT_TRUE(store->CreateAccessKey(kAccount, "alice", "AKIAKURASEALTEST0001", chosen_secret).ok());
    auto generated = store->CreateAccessKey(kAccount, "");
    ASSERT_TRUE(generated.ok());
    generated_secret = generated->secret_access_key;
    generated_id = generated->key.access_key_id;
  }

  // Every byte the database wrote (main file, WAL, journal).
  std::string bytes;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    std::ifstream in(entry.path(), std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_NE(bytes.find("AKIAKURASEALTEST0001"), std::string::npos);  // the scan sees the data
  ASSERT_NE(bytes.find(generated_id), std::string::npos);
  EXPECT_EQ(bytes.find(chosen_secret), std::string::npos);
  EXPECT_EQ(bytes.find(generated_secret), std::string::npos);
  EXPECT_EQ(bytes.find(chosen_secret.substr(0, 20)), std::string::npos);
  EXPECT_EQ(bytes.find(generated_secret.substr(0, 20)), std::string::npos);

  // Reopened with the same key, the secrets come back.
  {
    auto db = meta::OpenSqliteDatabase(db_path);
    ASSERT_TRUE(db.ok());
    auto store = OpenStore(std::shared_ptr<meta::Database>(std::move(db).value()), key.Clone());
    auto cred = store->LookupAccessKey("AKIAKURASEALTEST0001");
    ASSERT_TRUE(cred.ok()) << cred.status().ToString();
    ASSERT_TRUE(cred->has_value());
    EXPECT_EQ((*cred)->secret_access_key, chosen_secret);
    auto root = store->LookupAccessKey(generated_id);
    ASSERT_TRUE(root.ok() && root->has_value());
    EXPECT_EQ((*root)->secret_access_key, generated_secret);
  }
  // Under another sealing key they do not open.
  {
    auto db = meta::OpenSqliteDatabase(db_path);
    ASSERT_TRUE(db.ok());
    auto store = OpenStore(std::shared_ptr<meta::Database>(std::move(db).value()), NewSealingKey());
    auto cred = store->LookupAccessKey("AKIAKURASEALTEST0001");
    EXPECT_FALSE(cred.ok());
  }
}

TEST_F(IdentityStoreTest, UserPolicies) {
  MustCreateUser("alice");
  ASSERT_TRUE(store_->PutUserPolicy(kAccount, "alice", "read", kAllowGetUser).ok());
  auto got = store_->GetUserPolicy(kAccount, "alice", "read");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, kAllowGetUser);

  // Put replaces.
  ASSERT_TRUE(store_->PutUserPolicy(kAccount, "ALICE", "read", kAllowAll).ok());
  EXPECT_EQ(*store_->GetUserPolicy(kAccount, "alice", "read"), kAllowAll);
  ASSERT_TRUE(store_->PutUserPolicy(kAccount, "alice", "admin", kAllowAll).ok());
  auto names = store_->ListUserPolicies(kAccount, "alice");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"admin", "read"}));

  auto missing = store_->GetUserPolicy(kAccount, "alice", "nope");
  EXPECT_EQ(Detail(missing.status()), Detail(IamError::kNoSuchEntity));
  EXPECT_EQ(missing.status().message(), "The user policy with name nope cannot be found.");
  EXPECT_EQ(Detail(store_->DeleteUserPolicy(kAccount, "alice", "nope")), Detail(IamError::kNoSuchEntity));
  EXPECT_EQ(Detail(store_->PutUserPolicy(kAccount, "nobody", "p", kAllowAll)), Detail(IamError::kNoSuchEntity));
  EXPECT_EQ(Detail(store_->ListUserPolicies(kAccount, "nobody").status()), Detail(IamError::kNoSuchEntity));
  EXPECT_EQ(Detail(store_->PutUserPolicy(kAccount, "alice", "bad name", kAllowAll)), Detail(IamError::kInvalidInput));
  EXPECT_EQ(Detail(store_->PutUserPolicy(kAccount, "alice", std::string(129, 'p'), kAllowAll)),
            Detail(IamError::kInvalidInput));
  EXPECT_TRUE(store_->PutUserPolicy(kAccount, "alice", std::string(128, 'p'), kAllowAll).ok());
  ASSERT_TRUE(store_->DeleteUserPolicy(kAccount, "alice", std::string(128, 'p')).ok());

  ASSERT_TRUE(store_->DeleteUserPolicy(kAccount, "alice", "read").ok());
  EXPECT_EQ(*store_->ListUserPolicies(kAccount, "alice"), (std::vector<std::string>{"admin"}));
}

TEST_F(IdentityStoreTest, PolicyValidation) {
  MustCreateUser("alice");
  const char* malformed[] = {
      "not json",
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]})",
      // Principal belongs in resource policies only.
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]})",
  };
  for (const char* doc : malformed) {
    auto st = store_->PutUserPolicy(kAccount, "alice", "p", doc);
    EXPECT_EQ(Detail(st), Detail(IamError::kMalformedPolicy)) << doc;
    EXPECT_FALSE(st.message().empty());
  }
  EXPECT_EQ(Detail(store_->PutUserPolicy(kAccount, "alice", "p", "")), Detail(IamError::kInvalidInput));
  EXPECT_TRUE(store_->ListUserPolicies(kAccount, "alice")->empty());
}

TEST_F(IdentityStoreTest, PoliciesOfFollowsPutAndDelete) {
  User alice = MustCreateUser("alice");
  Principal p{kAccount, alice.arn, alice.user_id, "alice"};
  auto none = store_->PoliciesOf(p);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  ASSERT_TRUE(store_->PutUserPolicy(kAccount, "alice", "a", kAllowGetUser).ok());
  auto one = store_->PoliciesOf(p);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0]->text(), kAllowGetUser);
  EXPECT_EQ(store_->PoliciesOf(p)->at(0).get(), (*one)[0].get());  // cached

  ASSERT_TRUE(store_->PutUserPolicy(kAccount, "alice", "b", kAllowAll).ok());
  EXPECT_EQ(store_->PoliciesOf(p)->size(), 2u);
  ASSERT_TRUE(store_->PutUserPolicy(kAccount, "alice", "a", kAllowAll).ok());
  EXPECT_EQ(store_->PoliciesOf(p)->at(0)->text(), kAllowAll);
  ASSERT_TRUE(store_->DeleteUserPolicy(kAccount, "alice", "a").ok());
  ASSERT_TRUE(store_->DeleteUserPolicy(kAccount, "alice", "b").ok());
  EXPECT_TRUE(store_->PoliciesOf(p)->empty());

  Principal root{kAccount, AccountRootArn(kAccount), kAccount, ""};
  EXPECT_TRUE(store_->PoliciesOf(root)->empty());
}

TEST_F(IdentityStoreTest, DeleteUserConflicts) {
  MustCreateUser("alice");
  auto key = store_->CreateAccessKey(kAccount, "alice");
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(store_->PutUserPolicy(kAccount, "alice", "p", kAllowAll).ok());

  auto st = store_->DeleteUser(kAccount, "alice");
  EXPECT_EQ(Detail(st), Detail(IamError::kDeleteConflict));
  EXPECT_EQ(st.message(), "Cannot delete entity, must delete access keys first.");
  ASSERT_TRUE(store_->DeleteAccessKey(kAccount, "alice", key->key.access_key_id).ok());

  st = store_->DeleteUser(kAccount, "alice");
  EXPECT_EQ(Detail(st), Detail(IamError::kDeleteConflict));
  EXPECT_EQ(st.message(), "Cannot delete entity, must delete policies first.");
  ASSERT_TRUE(store_->DeleteUserPolicy(kAccount, "alice", "p").ok());

  ASSERT_TRUE(store_->DeleteUser(kAccount, "Alice").ok());
  EXPECT_EQ(Detail(store_->GetUser(kAccount, "alice").status()), Detail(IamError::kNoSuchEntity));
  auto again = store_->DeleteUser(kAccount, "alice");
  EXPECT_EQ(Detail(again), Detail(IamError::kNoSuchEntity));
  EXPECT_EQ(again.message(), "The user with name alice cannot be found.");
  // The name can be reused; the new user gets a new id.
  EXPECT_TRUE(store_->CreateUser(kAccount, "alice", "/").ok());
}

TEST_F(IdentityStoreTest, ResetExceptKeepsOnlyTheEmptiedAccount) {
  ASSERT_TRUE(store_->CreateAccount(kOtherAccount, "other").ok());
  User alice = MustCreateUser("alice");
  ASSERT_TRUE(store_->CreateUser(kOtherAccount, "carol", "/").ok());
  auto root_key = store_->CreateAccessKey(kAccount, "");
  auto alice_key = store_->CreateAccessKey(kAccount, "alice");
  auto other_key = store_->CreateAccessKey(kOtherAccount, "carol");
  ASSERT_TRUE(root_key.ok() && alice_key.ok() && other_key.ok());
  ASSERT_TRUE(store_->PutUserPolicy(kAccount, "alice", "p", kAllowAll).ok());
  // Fill the caches.
  Principal p{kAccount, alice.arn, alice.user_id, "alice"};
  ASSERT_EQ(store_->PoliciesOf(p)->size(), 1u);
  for (const auto* key : {&*root_key, &*alice_key, &*other_key}) {
    auto cred = store_->LookupAccessKey(key->key.access_key_id);
    ASSERT_TRUE(cred.ok() && cred->has_value());
  }

  ASSERT_TRUE(store_->ResetExcept(kAccount).ok());

  auto accounts = store_->ListAccounts();
  ASSERT_TRUE(accounts.ok());
  ASSERT_EQ(accounts->size(), 1u);
  EXPECT_EQ((*accounts)[0].id, kAccount);
  EXPECT_EQ((*accounts)[0].name, "main");  // kept as it was
  EXPECT_TRUE(store_->ListUsers(kAccount)->empty());
  EXPECT_TRUE(store_->ListAccessKeys(kAccount, "")->empty());
  EXPECT_EQ(Detail(store_->GetAccount(kOtherAccount).status()), Detail(IamError::kNoSuchEntity));
  for (const auto* key : {&*root_key, &*alice_key, &*other_key}) {
    auto cred = store_->LookupAccessKey(key->key.access_key_id);
    ASSERT_TRUE(cred.ok());
    EXPECT_FALSE(cred->has_value()) << key->key.access_key_id;  // not served from the cache
  }
  EXPECT_TRUE(store_->PoliciesOf(p)->empty());
  for (const char* table : {"iam_user_policies", "iam_access_keys", "iam_users"}) {
    auto rows = db_->Query(std::string("SELECT COUNT(*) FROM ") + table);
    ASSERT_TRUE(rows.ok());
    EXPECT_EQ((*rows)[0].Int(0), 0) << table;
  }

  // The account works as before; names and chosen key ids are free again.
  User again = MustCreateUser("alice");
  EXPECT_NE(again.user_id, alice.user_id);
  EXPECT_TRUE(store_->CreateAccessKey(kAccount, "alice", alice_key->key.access_key_id, "s").ok());
  EXPECT_TRUE(store_->CreateAccount(kOtherAccount, "other").ok());
}

TEST_F(IdentityStoreTest, ResetExceptCreatesTheAccountWhenAbsent) {
  ASSERT_TRUE(store_->ResetExcept(kOtherAccount).ok());
  auto accounts = store_->ListAccounts();
  ASSERT_TRUE(accounts.ok());
  ASSERT_EQ(accounts->size(), 1u);
  EXPECT_EQ((*accounts)[0].id, kOtherAccount);
  EXPECT_EQ((*accounts)[0].name, "default");
  EXPECT_EQ(Detail(store_->ResetExcept("12345")), Detail(IamError::kInvalidInput));
  EXPECT_TRUE(store_->GetAccount(kOtherAccount).ok());  // a refused reset changes nothing
}

TEST_F(IdentityStoreTest, ConcurrentLookups) {
  auto key = store_->CreateAccessKey(kAccount, "");
  ASSERT_TRUE(key.ok());
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto cred = store_->LookupAccessKey(key->key.access_key_id);
        if (cred.ok() && cred->has_value() && (*cred)->secret_access_key == key->secret_access_key) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 800);
}

}  // namespace
}  // namespace kura::iam
