#include "cmd/bootstrap.h"

#include <fmt/format.h>

#include "base/bytes.h"
#include "env/filesystem.h"

namespace kura::cmd {

std::string SharedCredentialsFile(const std::string& profile, const std::string& access_key_id,
                                  const std::string& secret_access_key) {
  return fmt::format("[{}]\naws_access_key_id = {}\naws_secret_access_key = {}\n", profile, access_key_id,
                     secret_access_key);
}

base::Result<BootstrapResult> BootstrapIfNew(iam::IdentityStore& store, const std::string& data_dir,
                                             const std::string& account_id) {
  BootstrapResult result;
  result.credentials_path = data_dir + "/credentials";
  KURA_ASSIGN_OR_RETURN(auto accounts, store.ListAccounts());
  if (!accounts.empty()) {
    result.account_id = accounts.front().id;
    return result;
  }
  KURA_ASSIGN_OR_RETURN(auto account, store.CreateAccount(account_id, "bootstrap"));
  KURA_ASSIGN_OR_RETURN(auto key, store.CreateAccessKey(account.id, ""));
  // The one place a secret access key reaches the disk in the clear: the
  // operator's own credentials file, as ~/.aws/credentials holds it on AWS.
  std::string text = SharedCredentialsFile("default", key.key.access_key_id, key.secret_access_key);
  KURA_RETURN_IF_ERROR(env::PosixFilesystem()->WriteFileAtomic(result.credentials_path, base::AsBytes(text), 0600));
  result.account_id = account.id;
  result.created = true;
  return result;
}

}  // namespace kura::cmd
