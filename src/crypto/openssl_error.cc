#include "crypto/openssl_error.h"

#include <openssl/err.h>

namespace kura::crypto {

std::string OpenSslErrors() {
  std::string out;
  char buf[256];
  while (unsigned long err = ERR_get_error()) {
    ERR_error_string_n(err, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error queued" : out;
}

}  // namespace kura::crypto
