#include "cmd/root_key.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>

#include "base/bytes.h"

#include "crypto/hash.h"
#include "crypto/passphrase.h"
#include "crypto/random.h"

namespace kura::cmd {

namespace {
constexpr size_t kRootKeySize = 32;
}

base::Result<crypto::SecretBytes> LoadOrCreateRootKeyFile(env::Filesystem& fs, const std::string& path) {
  KURA_ASSIGN_OR_RETURN(bool exists, fs.Exists(path));
  if (!exists) {
    KURA_ASSIGN_OR_RETURN(auto key, crypto::RandomSecret(kRootKeySize));
    KURA_RETURN_IF_ERROR(fs.WriteFileAtomic(path, key.span(), 0600));
    return key;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return base::ErrnoToStatus(errno, "stat " + path);
  if ((st.st_mode & 077) != 0) {
    return base::FailedPreconditionError(fmt::format(
        "root key file {} is accessible by group or others (mode {:o}); run: chmod 600 {}", path,
        st.st_mode & 0777, path));
  }
  KURA_ASSIGN_OR_RETURN(auto bytes, fs.ReadFile(path));
  crypto::SecretBytes key(bytes);
  std::fill(bytes.begin(), bytes.end(), 0);
  if (key.size() != kRootKeySize) {
    return base::FailedPreconditionError(
        fmt::format("root key file {} holds {} bytes; a root key is {} bytes", path, key.size(), kRootKeySize));
  }
  return key;
}

base::Result<crypto::SecretBytes> RootKeyFromPassphrase(env::Filesystem& fs, std::string_view passphrase,
                                                        const std::string& salt_path) {
  KURA_ASSIGN_OR_RETURN(bool exists, fs.Exists(salt_path));
  std::vector<uint8_t> salt(32);
  if (!exists) {
    KURA_RETURN_IF_ERROR(crypto::RandomBytes(salt));
    KURA_RETURN_IF_ERROR(fs.WriteFileAtomic(salt_path, salt, 0600));
  } else {
    KURA_ASSIGN_OR_RETURN(salt, fs.ReadFile(salt_path));
  }
  return crypto::DeriveKeyFromPassphrase(passphrase, salt);
}

base::Result<crypto::SecretBytes> DerivePurposeKey(const crypto::SecretBytes& root, std::string_view purpose) {
  return crypto::HkdfSha256(root.span(), {}, base::AsBytes(purpose), 32);
}

}  // namespace kura::cmd
