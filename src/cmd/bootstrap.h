// First start: when the installation has no account yet, create the
// bootstrap account and its root access key, and write that key in AWS
// shared-credentials format to <data dir>/credentials (mode 0600) under the
// profile `default`, so AWS_SHARED_CREDENTIALS_FILE=<that file> aws ... works.
// Thread-safety: call once at start.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "iam/identity_store.h"

namespace kura::cmd {

struct BootstrapResult {
  std::string account_id;
  std::string credentials_path;
  bool created = false;  // false: the installation already had accounts
};

// `account_id` may be empty (a random id is chosen).
base::Result<BootstrapResult> BootstrapIfNew(iam::IdentityStore& store, const std::string& data_dir,
                                             const std::string& account_id);

// The text of a shared-credentials file with one profile.
std::string SharedCredentialsFile(const std::string& profile, const std::string& access_key_id,
                                  const std::string& secret_access_key);

}  // namespace kura::cmd
