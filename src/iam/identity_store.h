// IdentityStore: accounts, IAM users, access keys and inline user policies,
// kept in the metadata store (tables iam_*). Secret access keys are stored
// only sealed (AES-256-GCM, crypto::WrapKey) under a key derived from the
// root key; they are returned once, at creation, as AWS does.
// Thread-safety: safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "crypto/secret_bytes.h"
#include "iam/policy.h"
#include "iam/principal.h"
#include "meta/database.h"

namespace kura::iam {

// Status::detail() values, mapped to AWS codes by the API layer.
enum class IamError {
  kNone = 0,
  kNoSuchEntity = 1,        // NoSuchEntity (404)
  kEntityAlreadyExists = 2, // EntityAlreadyExists (409)
  kDeleteConflict = 3,      // DeleteConflict (409): user still has keys or policies
  kLimitExceeded = 4,       // LimitExceeded (409): e.g. more than 2 access keys
  kMalformedPolicy = 5,     // MalformedPolicyDocument (400)
  kInvalidInput = 6,        // ValidationError / InvalidInput (400)
};

struct Account {
  std::string id;    // 12 digits
  std::string name;
  int64_t created_at = 0;
};

struct User {
  std::string account_id;
  std::string name;
  std::string user_id;  // AIDA + 17 upper-case alphanumerics
  std::string arn;      // arn:aws:iam::<account>:user<path><name>
  std::string path = "/";
  int64_t created_at = 0;
};

struct AccessKey {
  std::string access_key_id;  // AKIA + 16
  std::string account_id;
  std::string user_name;      // empty: the account's root
  std::string status = "Active";
  int64_t created_at = 0;
};

struct NewAccessKey {
  AccessKey key;
  std::string secret_access_key;  // 40 characters; shown once
};

class IdentityStore {
 public:
  // `sealing_key`: 32 bytes derived from the root key for sealing secrets.
  static base::Result<std::unique_ptr<IdentityStore>> Open(std::shared_ptr<meta::Database> db,
                                                           crypto::SecretBytes sealing_key);
  ~IdentityStore();

  // Accounts. An empty id picks a random unused 12-digit id.
  base::Result<Account> CreateAccount(const std::string& account_id, const std::string& name);
  base::Result<Account> GetAccount(const std::string& account_id);
  base::Result<std::vector<Account>> ListAccounts();

  // Users of an account.
  base::Result<User> CreateUser(const std::string& account_id, const std::string& user_name, const std::string& path);
  base::Result<User> GetUser(const std::string& account_id, const std::string& user_name);
  base::Result<std::vector<User>> ListUsers(const std::string& account_id);
  base::Status DeleteUser(const std::string& account_id, const std::string& user_name);

  // Access keys; empty user_name = the account root. Chosen id/secret for test harnesses;
  // empty ones are generated. At most 2 per user (LimitExceeded), as AWS.
  base::Result<NewAccessKey> CreateAccessKey(const std::string& account_id, const std::string& user_name,
                                             const std::string& access_key_id = "",
                                             const std::string& secret_access_key = "");
  base::Result<std::vector<AccessKey>> ListAccessKeys(const std::string& account_id, const std::string& user_name);
  base::Status DeleteAccessKey(const std::string& account_id, const std::string& user_name,
                               const std::string& access_key_id);

  // Inline user policies (identity policies).
  base::Status PutUserPolicy(const std::string& account_id, const std::string& user_name,
                             const std::string& policy_name, const std::string& document);
  base::Result<std::string> GetUserPolicy(const std::string& account_id, const std::string& user_name,
                                          const std::string& policy_name);
  base::Result<std::vector<std::string>> ListUserPolicies(const std::string& account_id,
                                                          const std::string& user_name);
  base::Status DeleteUserPolicy(const std::string& account_id, const std::string& user_name,
                                const std::string& policy_name);
  // The parsed inline policies of a principal (none for a root).
  base::Result<std::vector<std::shared_ptr<const PolicyDocument>>> PoliciesOf(const Principal& principal);

  // Authentication: the principal and secret behind an active access key; nullopt when unknown.
  struct Credential {
    Principal principal;
    std::string secret_access_key;
  };
  base::Result<std::optional<Credential>> LookupAccessKey(const std::string& access_key_id);

  // Test harnesses (`kura serve --auth open`, POST /_kura/reset): deletes every
  // inline policy, access key (root keys included) and user, and every account
  // but `account_id`, which is kept (name, creation time) or created empty
  // ("default") when absent; all in one transaction. Clears the caches.
  base::Status ResetExcept(const std::string& account_id);

 private:
  IdentityStore(std::shared_ptr<meta::Database> db, crypto::SecretBytes sealing_key);
  std::shared_ptr<meta::Database> db_;
  crypto::SecretBytes sealing_key_;
  struct Caches;  // unsealed credentials and parsed policies (identity_store.cc)
  std::unique_ptr<Caches> caches_;
};

}  // namespace kura::iam
