#include "iam/identity_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <ctime>
#include <map>
#include <mutex>
#include <string_view>
#include <utility>

#include "base/bytes.h"
#include "crypto/gcm.h"
#include "crypto/random.h"
#include "meta/migrations.h"

namespace kura::iam {

namespace {

constexpr meta::Migration kMigrations[] = {
    {1, "iam accounts, users, access keys and inline user policies",
     R"sql(
CREATE TABLE iam_accounts (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE iam_users (
  account_id TEXT NOT NULL REFERENCES iam_accounts(id),
  name_key TEXT NOT NULL,
  name TEXT NOT NULL,
  user_id TEXT NOT NULL UNIQUE,
  path TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, name_key)
);
CREATE TABLE iam_access_keys (
  access_key_id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES iam_accounts(id),
  user_name TEXT NOT NULL,
  status TEXT NOT NULL,
  sealed_secret BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX iam_access_keys_owner ON iam_access_keys(account_id, user_name);
CREATE TABLE iam_user_policies (
  account_id TEXT NOT NULL REFERENCES iam_accounts(id),
  user_name TEXT NOT NULL,
  policy_name TEXT NOT NULL,
  document TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, user_name, policy_name)
);
)sql"},
};

constexpr std::string_view kSealAad = "kura iam secret v1";
constexpr size_t kMaxAccessKeysPerUser = 2;
constexpr size_t kMaxPolicyDocumentSize = 131072;

constexpr std::string_view kDigits = "0123456789";
constexpr std::string_view kUpperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kSecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

base::Status Err(base::StatusCode code, IamError kind, std::string message) {
  return base::Status(code, static_cast<int>(kind), std::move(message));
}
base::Status NoSuchEntity(std::string message) {
  return Err(base::StatusCode::kNotFound, IamError::kNoSuchEntity, std::move(message));
}
base::Status InvalidInput(std::string message) {
  return Err(base::StatusCode::kInvalidArgument, IamError::kInvalidInput, std::move(message));
}
base::Status NoSuchUser(const std::string& name) {
  return NoSuchEntity(fmt::format("The user with name {} cannot be found.", name));
}

// Uniform characters from `alphabet` (rejection sampling over CSPRNG bytes).
base::Result<std::string> RandomString(std::string_view alphabet, size_t length) {
  const size_t limit = 256 - 256 % alphabet.size();
  std::string out;
  out.reserve(length);
  uint8_t buf[64];
  while (out.size() < length) {
    KURA_RETURN_IF_ERROR(crypto::RandomBytes(buf));
    for (uint8_t b : buf) {
      if (out.size() == length) break;
      if (b < limit) out.push_back(alphabet[b % alphabet.size()]);
    }
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsWordOrPunct(char c) {  // [\w+=,.@-] with Java's ASCII \w
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '=' || c == ',' || c == '.' ||
         c == '@' || c == '-';
}

// AWS's validation-error text for a member failing a model constraint.
std::string ConstraintMessage(std::string_view value, std::string_view member, std::string_view constraint) {
  return fmt::format("1 validation error detected: Value '{}' at '{}' failed to satisfy constraint: Member must {}",
                     value, member, constraint);
}

base::Status ValidateName(const std::string& value, std::string_view member, size_t max) {
  if (value.empty()) return InvalidInput(ConstraintMessage(value, member, "have length greater than or equal to 1"));
  if (value.size() > max) {
    return InvalidInput(ConstraintMessage(value, member, fmt::format("have length less than or equal to {}", max)));
  }
  if (!std::all_of(value.begin(), value.end(), IsWordOrPunct)) {
    return InvalidInput(ConstraintMessage(value, member, "satisfy regular expression pattern: [\\w+=,.@-]+"));
  }
  return base::Status::Ok();
}

base::Status ValidatePath(const std::string& path) {
  bool ok = !path.empty() && path.size() <= 512 && path.front() == '/' && path.back() == '/';
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7f) ok = false;
  }
  if (!ok) {
    return InvalidInput(ConstraintMessage(
        path, "path", "satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F)"));
  }
  return base::Status::Ok();
}

bool IsAccountId(std::string_view id) {
  return id.size() == 12 && std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string UserArn(const std::string& account_id, const std::string& path, const std::string& name) {
  return fmt::format("arn:aws:iam::{}:user{}{}", account_id, path, name);
}

std::vector<uint8_t> SealAad(const std::string& access_key_id) {
  std::vector<uint8_t> aad(kSealAad.size() + access_key_id.size());
  std::copy(kSealAad.begin(), kSealAad.end(), aad.begin());
  std::copy(access_key_id.begin(), access_key_id.end(), aad.begin() + static_cast<std::ptrdiff_t>(kSealAad.size()));
  return aad;
}

constexpr std::string_view kUserColumns = "account_id, name, user_id, path, created_at";
User UserFromRow(const meta::Row& row) {
  User u;
  u.account_id = row.Text(0);
  u.name = row.Text(1);
  u.user_id = row.Text(2);
  u.path = row.Text(3);
  u.created_at = row.Int(4);
  u.arn = UserArn(u.account_id, u.path, u.name);
  return u;
}

constexpr std::string_view kAccountColumns = "id, name, created_at";
Account AccountFromRow(const meta::Row& row) { return Account{row.Text(0), row.Text(1), row.Int(2)}; }

constexpr std::string_view kKeyColumns = "access_key_id, account_id, user_name, status, created_at";
AccessKey KeyFromRow(const meta::Row& row) {
  AccessKey k;
  k.access_key_id = row.Text(0);
  k.account_id = row.Text(1);
  k.user_name = row.Text(2);
  k.status = row.Text(3);
  k.created_at = row.Int(4);
  return k;
}

base::Result<std::optional<User>> FindUser(meta::Transaction& txn, const std::string& account_id,
                                           const std::string& user_name) {
  KURA_ASSIGN_OR_RETURN(
      auto rows, txn.Query(fmt::format("SELECT {} FROM iam_users WHERE account_id = ? AND name_key = ?", kUserColumns),
                           {account_id, Lower(user_name)}));
  if (rows.empty()) return std::optional<User>();
  return std::optional<User>(UserFromRow(rows[0]));
}

base::Result<User> RequireUser(meta::Transaction& txn, const std::string& account_id, const std::string& user_name) {
  KURA_ASSIGN_OR_RETURN(auto user, FindUser(txn, account_id, user_name));
  if (!user) return NoSuchUser(user_name);
  return *std::move(user);
}

base::Status RequireAccount(meta::Transaction& txn, const std::string& account_id) {
  KURA_ASSIGN_OR_RETURN(auto rows, txn.Query("SELECT id FROM iam_accounts WHERE id = ?", {account_id}));
  if (rows.empty()) return NoSuchEntity(fmt::format("The account with id {} cannot be found.", account_id));
  return base::Status::Ok();
}

// The canonical owner name of access keys: "" for the root, the stored user name otherwise.
base::Result<std::string> ResolveKeyOwner(meta::Transaction& txn, const std::string& account_id,
                                          const std::string& user_name) {
  KURA_RETURN_IF_ERROR(RequireAccount(txn, account_id));
  if (user_name.empty()) return std::string();
  KURA_ASSIGN_OR_RETURN(auto user, RequireUser(txn, account_id, user_name));
  return user.name;
}

base::Status ValidateChosenKeyId(const std::string& id) {
  const bool ok = id.size() >= 16 && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
                    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                  });
  if (!ok) return InvalidInput(fmt::format("The access key id '{}' is not 16 to 128 characters [A-Z0-9].", id));
  return base::Status::Ok();
}

base::Status ValidateChosenSecret(const std::string& secret) {
  const bool ok = !secret.empty() && secret.size() <= 128 && std::all_of(secret.begin(), secret.end(), [](char c) {
                    return c > 0x20 && c < 0x7f;
                  });
  if (!ok) return InvalidInput("A chosen secret access key must be 1 to 128 printable characters without spaces.");
  return base::Status::Ok();
}

}  // namespace

struct IdentityStore::Caches {
  std::mutex mu;
  // Bumped on every invalidation: a lookup that read the database before an
  // invalidation must not put what it read into the cache.
  uint64_t generation = 0;
  std::map<std::string, Credential, std::less<>> credentials;  // access key id ->
  // "<account>/<lower-case user name>" -> parsed inline policies.
  std::map<std::string, std::vector<std::shared_ptr<const PolicyDocument>>, std::less<>> policies;

  void InvalidateKey(const std::string& access_key_id) {
    std::lock_guard lock(mu);
    ++generation;
    credentials.erase(access_key_id);
  }
  void InvalidatePolicies(const std::string& account_id, const std::string& user_name) {
    std::lock_guard lock(mu);
    ++generation;
    policies.erase(PolicyKey(account_id, user_name));
  }
  void InvalidateAll() {
    std::lock_guard lock(mu);
    ++generation;
    credentials.clear();
    policies.clear();
  }
  static std::string PolicyKey(const std::string& account_id, const std::string& user_name) {
    return account_id + "/" + Lower(user_name);
  }
};

IdentityStore::IdentityStore(std::shared_ptr<meta::Database> db, crypto::SecretBytes sealing_key)
    : db_(std::move(db)), sealing_key_(std::move(sealing_key)), caches_(std::make_unique<Caches>()) {}

IdentityStore::~IdentityStore() = default;

base::Result<std::unique_ptr<IdentityStore>> IdentityStore::Open(std::shared_ptr<meta::Database> db,
                                                                 crypto::SecretBytes sealing_key) {
  if (db == nullptr) return base::InvalidArgumentError("identity store: no database");
  if (sealing_key.size() != crypto::kGcmKeySize) {
    return base::InvalidArgumentError(
        fmt::format("identity store: sealing key must be {} bytes, got {}", crypto::kGcmKeySize, sealing_key.size()));
  }
  KURA_RETURN_IF_ERROR(meta::ApplyMigrations(*db, "iam", kMigrations));
  return std::unique_ptr<IdentityStore>(new IdentityStore(std::move(db), std::move(sealing_key)));
}

// ---- Accounts ----

base::Result<Account> IdentityStore::CreateAccount(const std::string& account_id, const std::string& name) {
  if (!account_id.empty() && !IsAccountId(account_id)) {
    return InvalidInput(fmt::format("The account id '{}' is not 12 digits.", account_id));
  }
  if (name.size() > 256) return InvalidInput("The account name is longer than 256 characters.");
  KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
  std::string id = account_id;
  if (id.empty()) {
    for (int attempt = 0; id.empty(); ++attempt) {
      if (attempt == 100) return base::InternalError("could not pick an unused account id");
      // No leading zero: some tools read account ids as numbers.
      KURA_ASSIGN_OR_RETURN(auto first, RandomString("123456789", 1));
      KURA_ASSIGN_OR_RETURN(auto rest, RandomString(kDigits, 11));
      std::string candidate = first + rest;
      KURA_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT id FROM iam_accounts WHERE id = ?", {candidate}));
      if (rows.empty()) id = std::move(candidate);
    }
  } else {
    KURA_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT id FROM iam_accounts WHERE id = ?", {id}));
    if (!rows.empty()) {
      return Err(base::StatusCode::kAlreadyExists, IamError::kEntityAlreadyExists,
                 fmt::format("Account with id {} already exists.", id));
    }
  }
  Account account{id, name, Now()};
  KURA_RETURN_IF_ERROR(txn->Exec("INSERT INTO iam_accounts (id, name, created_at) VALUES (?, ?, ?)",
                                 {account.id, account.name, account.created_at}));
  KURA_RETURN_IF_ERROR(txn->Commit());
  return account;
}

base::Result<Account> IdentityStore::GetAccount(const std::string& account_id) {
  KURA_ASSIGN_OR_RETURN(
      auto rows, db_->Query(fmt::format("SELECT {} FROM iam_accounts WHERE id = ?", kAccountColumns), {account_id}));
  if (rows.empty()) return NoSuchEntity(fmt::format("The account with id {} cannot be found.", account_id));
  return AccountFromRow(rows[0]);
}

base::Result<std::vector<Account>> IdentityStore::ListAccounts() {
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query(fmt::format("SELECT {} FROM iam_accounts ORDER BY id", kAccountColumns)));
  std::vector<Account> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(AccountFromRow(row));
  return out;
}

base::Status IdentityStore::ResetExcept(const std::string& account_id) {
  if (!IsAccountId(account_id)) {
    return InvalidInput(fmt::format("The account id '{}' is not 12 digits.", account_id));
  }
  KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
  KURA_RETURN_IF_ERROR(txn->Exec("DELETE FROM iam_user_policies"));
  KURA_RETURN_IF_ERROR(txn->Exec("DELETE FROM iam_access_keys"));
  KURA_RETURN_IF_ERROR(txn->Exec("DELETE FROM iam_users"));
  KURA_RETURN_IF_ERROR(txn->Exec("DELETE FROM iam_accounts WHERE id <> ?", {account_id}));
  KURA_ASSIGN_OR_RETURN(auto kept, txn->Query("SELECT id FROM iam_accounts WHERE id = ?", {account_id}));
  if (kept.empty()) {
    KURA_RETURN_IF_ERROR(txn->Exec("INSERT INTO iam_accounts (id, name, created_at) VALUES (?, ?, ?)",
                                   {account_id, std::string("default"), Now()}));
  }
  KURA_RETURN_IF_ERROR(txn->Commit());
  caches_->InvalidateAll();
  return base::Status::Ok();
}

// ---- Users ----

base::Result<User> IdentityStore::CreateUser(const std::string& account_id, const std::string& user_name,
                                             const std::string& path) {
  KURA_RETURN_IF_ERROR(ValidateName(user_name, "userName", 64));
  const std::string user_path = path.empty() ? "/" : path;
  KURA_RETURN_IF_ERROR(ValidatePath(user_path));
  KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
  KURA_RETURN_IF_ERROR(RequireAccount(*txn, account_id));
  KURA_ASSIGN_OR_RETURN(auto existing, FindUser(*txn, account_id, user_name));
  if (existing) {
    return Err(base::StatusCode::kAlreadyExists, IamError::kEntityAlreadyExists,
               fmt::format("User with name {} already exists.", user_name));
  }
  User user;
  user.account_id = account_id;
  user.name = user_name;
  user.path = user_path;
  user.created_at = Now();
  user.arn = UserArn(account_id, user_path, user_name);
  for (int attempt = 0; user.user_id.empty(); ++attempt) {
    if (attempt == 100) return base::InternalError("could not pick an unused user id");
    KURA_ASSIGN_OR_RETURN(auto suffix, RandomString(kUpperAlnum, 17));
    std::string candidate = "AIDA" + suffix;
    KURA_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT user_id FROM iam_users WHERE user_id = ?", {candidate}));
    if (rows.empty()) user.user_id = std::move(candidate);
  }
  KURA_RETURN_IF_ERROR(txn->Exec(
      "INSERT INTO iam_users (account_id, name_key, name, user_id, path, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      {user.account_id, Lower(user.name), user.name, user.user_id, user.path, user.created_at}));
  KURA_RETURN_IF_ERROR(txn->Commit());
  return user;
}

base::Result<User> IdentityStore::GetUser(const std::string& account_id, const std::string& user_name) {
  KURA_ASSIGN_OR_RETURN(
      auto rows, db_->Query(fmt::format("SELECT {} FROM iam_users WHERE account_id = ? AND name_key = ?", kUserColumns),
                            {account_id, Lower(user_name)}));
  if (rows.empty()) return NoSuchUser(user_name);
  return UserFromRow(rows[0]);
}

base::Result<std::vector<User>> IdentityStore::ListUsers(const std::string& account_id) {
  KURA_ASSIGN_OR_RETURN(
      auto rows,
      db_->Query(fmt::format("SELECT {} FROM iam_users WHERE account_id = ? ORDER BY name_key", kUserColumns),
                 {account_id}));
  std::vector<User> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(UserFromRow(row));
  return out;
}

base::Status IdentityStore::DeleteUser(const std::string& account_id, const std::string& user_name) {
  KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
  KURA_ASSIGN_OR_RETURN(auto user, RequireUser(*txn, account_id, user_name));
  KURA_ASSIGN_OR_RETURN(auto keys, txn->Query("SELECT COUNT(*) FROM iam_access_keys WHERE account_id = ? AND user_name = ?",
                                              {account_id, user.name}));
  if (keys[0].Int(0) > 0) {
    return Err(base::StatusCode::kFailedPrecondition, IamError::kDeleteConflict,
               "Cannot delete entity, must delete access keys first.");
  }
  KURA_ASSIGN_OR_RETURN(auto policies,
                        txn->Query("SELECT COUNT(*) FROM iam_user_policies WHERE account_id = ? AND user_name = ?",
                                   {account_id, user.name}));
  if (policies[0].Int(0) > 0) {
    return Err(base::StatusCode::kFailedPrecondition, IamError::kDeleteConflict,
               "Cannot delete entity, must delete policies first.");
  }
  KURA_RETURN_IF_ERROR(
      txn->Exec("DELETE FROM iam_users WHERE account_id = ? AND name_key = ?", {account_id, Lower(user.name)}));
  KURA_RETURN_IF_ERROR(txn->Commit());
  caches_->InvalidatePolicies(account_id, user.name);
  return base::Status::Ok();
}

// ---- Access keys ----

base::Result<NewAccessKey> IdentityStore::CreateAccessKey(const std::string& account_id, const std::string& user_name,
                                                          const std::string& access_key_id,
                                                          const std::string& secret_access_key) {
  if (!access_key_id.empty()) KURA_RETURN_IF_ERROR(ValidateChosenKeyId(access_key_id));
  if (!secret_access_key.empty()) KURA_RETURN_IF_ERROR(ValidateChosenSecret(secret_access_key));

  NewAccessKey out;
  out.secret_access_key = secret_access_key;
  if (out.secret_access_key.empty()) {
    KURA_ASSIGN_OR_RETURN(out.secret_access_key, RandomString(kSecretAlphabet, 40));
  }

  KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
  KURA_ASSIGN_OR_RETURN(std::string owner, ResolveKeyOwner(*txn, account_id, user_name));
  KURA_ASSIGN_OR_RETURN(auto count, txn->Query("SELECT COUNT(*) FROM iam_access_keys WHERE account_id = ? AND user_name = ?",
                                               {account_id, owner}));
  if (static_cast<size_t>(count[0].Int(0)) >= kMaxAccessKeysPerUser) {
    return Err(base::StatusCode::kResourceExhausted, IamError::kLimitExceeded,
               fmt::format("Cannot exceed quota for AccessKeysPerUser: {}", kMaxAccessKeysPerUser));
  }

  std::string id = access_key_id;
  if (!id.empty()) {
    KURA_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT access_key_id FROM iam_access_keys WHERE access_key_id = ?", {id}));
    if (!rows.empty()) {
      return Err(base::StatusCode::kAlreadyExists, IamError::kEntityAlreadyExists,
                 fmt::format("Access key with id {} already exists.", id));
    }
  }
  for (int attempt = 0; id.empty(); ++attempt) {
    if (attempt == 100) return base::InternalError("could not pick an unused access key id");
    KURA_ASSIGN_OR_RETURN(auto suffix, RandomString(kBase32, 16));
    std::string candidate = "AKIA" + suffix;
    KURA_ASSIGN_OR_RETURN(auto rows,
                          txn->Query("SELECT access_key_id FROM iam_access_keys WHERE access_key_id = ?", {candidate}));
    if (rows.empty()) id = std::move(candidate);
  }

  const crypto::SecretBytes plain(base::AsBytes(out.secret_access_key));
  KURA_ASSIGN_OR_RETURN(auto sealed, crypto::WrapKey(sealing_key_, plain, SealAad(id)));

  out.key.access_key_id = id;
  out.key.account_id = account_id;
  out.key.user_name = owner;
  out.key.status = "Active";
  out.key.created_at = Now();
  KURA_RETURN_IF_ERROR(txn->Exec(
      "INSERT INTO iam_access_keys (access_key_id, account_id, user_name, status, sealed_secret, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {out.key.access_key_id, out.key.account_id, out.key.user_name, out.key.status, meta::Blob(std::move(sealed)),
       out.key.created_at}));
  KURA_RETURN_IF_ERROR(txn->Commit());
  return out;
}

base::Result<std::vector<AccessKey>> IdentityStore::ListAccessKeys(const std::string& account_id,
                                                                   const std::string& user_name) {
  KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
  KURA_ASSIGN_OR_RETURN(std::string owner, ResolveKeyOwner(*txn, account_id, user_name));
  KURA_ASSIGN_OR_RETURN(
      auto rows,
      txn->Query(fmt::format("SELECT {} FROM iam_access_keys WHERE account_id = ? AND user_name = ? "
                             "ORDER BY created_at, access_key_id",
                             kKeyColumns),
                 {account_id, owner}));
  std::vector<AccessKey> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(KeyFromRow(row));
  return out;
}

base::Status IdentityStore::DeleteAccessKey(const std::string& account_id, const std::string& user_name,
                                            const std::string& access_key_id) {
  KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
  KURA_ASSIGN_OR_RETURN(std::string owner, ResolveKeyOwner(*txn, account_id, user_name));
  KURA_RETURN_IF_ERROR(
      txn->Exec("DELETE FROM iam_access_keys WHERE access_key_id = ? AND account_id = ? AND user_name = ?",
                {access_key_id, account_id, owner}));
  if (txn->ChangedRows() == 0) {
    return NoSuchEntity(fmt::format("The Access Key with id {} cannot be found.", access_key_id));
  }
  KURA_RETURN_IF_ERROR(txn->Commit());
  caches_->InvalidateKey(access_key_id);
  return base::Status::Ok();
}

// ---- Inline user policies ----

base::Status IdentityStore::PutUserPolicy(const std::string& account_id, const std::string& user_name,
                                          const std::string& policy_name, const std::string& document) {
  KURA_RETURN_IF_ERROR(ValidateName(policy_name, "policyName", 128));
  if (document.empty()) {
    return InvalidInput(ConstraintMessage(document, "policyDocument", "have length greater than or equal to 1"));
  }
  if (document.size() > kMaxPolicyDocumentSize) {
    return Err(base::StatusCode::kResourceExhausted, IamError::kLimitExceeded,
               fmt::format("Maximum policy size of {} bytes exceeded for user {}", kMaxPolicyDocumentSize, user_name));
  }
  auto parsed = PolicyDocument::Parse(document, PolicyKind::kIdentity);
  if (!parsed.ok()) {
    const auto& st = parsed.status();
    if (st.detail() == static_cast<int>(PolicyError::kMalformed) ||
        st.code() == base::StatusCode::kInvalidArgument) {
      return Err(base::StatusCode::kInvalidArgument, IamError::kMalformedPolicy, st.message());
    }
    return st;
  }

  KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
  KURA_ASSIGN_OR_RETURN(auto user, RequireUser(*txn, account_id, user_name));
  const int64_t now = Now();
  KURA_RETURN_IF_ERROR(txn->Exec(
      "UPDATE iam_user_policies SET document = ?, updated_at = ? "
      "WHERE account_id = ? AND user_name = ? AND policy_name = ?",
      {document, now, account_id, user.name, policy_name}));
  if (txn->ChangedRows() == 0) {
    KURA_RETURN_IF_ERROR(txn->Exec(
        "INSERT INTO iam_user_policies (account_id, user_name, policy_name, document, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        {account_id, user.name, policy_name, document, now, now}));
  }
  KURA_RETURN_IF_ERROR(txn->Commit());
  caches_->InvalidatePolicies(account_id, user.name);
  return base::Status::Ok();
}

base::Result<std::string> IdentityStore::GetUserPolicy(const std::string& account_id, const std::string& user_name,
                                                       const std::string& policy_name) {
  KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
  KURA_ASSIGN_OR_RETURN(auto user, RequireUser(*txn, account_id, user_name));
  KURA_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT document FROM iam_user_policies "
                                              "WHERE account_id = ? AND user_name = ? AND policy_name = ?",
                                              {account_id, user.name, policy_name}));
  if (rows.empty()) return NoSuchEntity(fmt::format("The user policy with name {} cannot be found.", policy_name));
  return rows[0].Text(0);
}

base::Result<std::vector<std::string>> IdentityStore::ListUserPolicies(const std::string& account_id,
                                                                       const std::string& user_name) {
  KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
  KURA_ASSIGN_OR_RETURN(auto user, RequireUser(*txn, account_id, user_name));
  KURA_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT policy_name FROM iam_user_policies "
                                              "WHERE account_id = ? AND user_name = ? ORDER BY policy_name",
                                              {account_id, user.name}));
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(row.Text(0));
  return out;
}

base::Status IdentityStore::DeleteUserPolicy(const std::string& account_id, const std::string& user_name,
                                             const std::string& policy_name) {
  KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
  KURA_ASSIGN_OR_RETURN(auto user, RequireUser(*txn, account_id, user_name));
  KURA_RETURN_IF_ERROR(
      txn->Exec("DELETE FROM iam_user_policies WHERE account_id = ? AND user_name = ? AND policy_name = ?",
                {account_id, user.name, policy_name}));
  if (txn->ChangedRows() == 0) {
    return NoSuchEntity(fmt::format("The user policy with name {} cannot be found.", policy_name));
  }
  KURA_RETURN_IF_ERROR(txn->Commit());
  caches_->InvalidatePolicies(account_id, user.name);
  return base::Status::Ok();
}

base::Result<std::vector<std::shared_ptr<const PolicyDocument>>> IdentityStore::PoliciesOf(
    const Principal& principal) {
  using Policies = std::vector<std::shared_ptr<const PolicyDocument>>;
  if (principal.is_root()) return Policies();
  const std::string key = Caches::PolicyKey(principal.account_id, principal.user_name);
  uint64_t generation;
  {
    std::lock_guard lock(caches_->mu);
    auto it = caches_->policies.find(key);
    if (it != caches_->policies.end()) return it->second;
    generation = caches_->generation;
  }
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT p.policy_name, p.document FROM iam_user_policies p "
                                              "JOIN iam_users u ON u.account_id = p.account_id AND u.name = p.user_name "
                                              "WHERE u.account_id = ? AND u.name_key = ? ORDER BY p.policy_name",
                                              {principal.account_id, Lower(principal.user_name)}));
  Policies policies;
  policies.reserve(rows.size());
  for (const auto& row : rows) {
    auto parsed = PolicyDocument::Parse(row.Text(1), PolicyKind::kIdentity);
    if (!parsed.ok()) {
      return base::InternalError(fmt::format("stored policy {} of user {} no longer parses: {}", row.Text(0),
                                             principal.user_name, parsed.status().message()));
    }
    policies.push_back(std::make_shared<const PolicyDocument>(std::move(parsed).value()));
  }
  std::lock_guard lock(caches_->mu);
  if (caches_->generation == generation) caches_->policies[key] = policies;
  return policies;
}

// ---- Authentication ----

base::Result<std::optional<IdentityStore::Credential>> IdentityStore::LookupAccessKey(const std::string& access_key_id) {
  uint64_t generation;
  {
    std::lock_guard lock(caches_->mu);
    auto it = caches_->credentials.find(access_key_id);
    if (it != caches_->credentials.end()) return std::optional<Credential>(it->second);
    generation = caches_->generation;
  }
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT k.account_id, k.user_name, k.status, k.sealed_secret, "
                                              "u.user_id, u.path "
                                              "FROM iam_access_keys k LEFT JOIN iam_users u "
                                              "ON u.account_id = k.account_id AND u.name = k.user_name "
                                              "WHERE k.access_key_id = ?",
                                              {access_key_id}));
  if (rows.empty()) return std::optional<Credential>();
  const meta::Row& row = rows[0];
  if (row.Text(2) != "Active") return std::optional<Credential>();
  Credential credential;
  credential.principal.account_id = row.Text(0);
  credential.principal.user_name = row.Text(1);
  if (credential.principal.is_root()) {
    credential.principal.arn = AccountRootArn(credential.principal.account_id);
    credential.principal.user_id = credential.principal.account_id;
  } else {
    if (row.IsNull(4)) return std::optional<Credential>();  // owner vanished: not a usable key
    credential.principal.user_id = row.Text(4);
    credential.principal.arn = UserArn(credential.principal.account_id, row.Text(5), credential.principal.user_name);
  }
  auto secret = crypto::UnwrapKey(sealing_key_, row.BlobAt(3), SealAad(access_key_id));
  if (!secret.ok()) {
    return base::DataLossError(fmt::format("the sealed secret of access key {} does not open: {}", access_key_id,
                                           secret.status().message()));
  }
  credential.secret_access_key.assign(reinterpret_cast<const char*>(secret->data()), secret->size());

  std::lock_guard lock(caches_->mu);
  if (caches_->generation == generation) caches_->credentials[access_key_id] = credential;
  return std::optional<Credential>(std::move(credential));
}

}  // namespace kura::iam
