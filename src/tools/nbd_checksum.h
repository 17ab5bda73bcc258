// A digest of a whole block device read through NBD with libnbd (Debian's
// libnbd-dev): what `kura encrypt` compares to prove that an encrypted copy
// holds the bytes of the original. The device is cut in 4 MiB pieces; the
// digest is SHA-256 over the SHA-256 of every piece, in order. A piece the
// server reports as reading zeros (BLOCK_STATUS base:allocation, the ZERO
// flag) is not read: its digest is that of 4 MiB of zeros, which is what
// reading it would give. Equal devices give equal digests whatever their
// allocation, so a sparse 8 GiB volume is checked in well under a second.
// Thread-safety: a function; each call opens its own connection.
#pragma once

#include <string>

#include "base/status.h"

namespace kura::tools {

struct DeviceDigest {
  std::string sha256_hex;
  int64_t size_bytes = 0;
};

// `uri`: an NBD URI (nbd+unix:///vol-…?socket=…, nbds://…?tls-psk-file=…).
base::Result<DeviceDigest> NbdSha256(const std::string& uri);

}  // namespace kura::tools
