#include "tools/nbd_checksum.h"

#include <libnbd.h>

#include <algorithm>
#include <memory>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "crypto/hash.h"

namespace kura::tools {

namespace {

constexpr size_t kPiece = 4 << 20;

struct HandleCloser {
  void operator()(nbd_handle* h) const { nbd_close(h); }
};

base::Status NbdError(const std::string& what) {
  const char* message = nbd_get_error();
  return base::UnavailableError(what + ": " + (message ? message : "unknown libnbd error"));
}

// Whether [offset, offset + length) reads as zeros, by the server's BLOCK_STATUS.
bool ReadsAsZeros(nbd_handle* h, int64_t offset, size_t length) {
  struct Walk {
    uint64_t next;
    uint64_t end;
  } walk{static_cast<uint64_t>(offset), static_cast<uint64_t>(offset) + length};
  nbd_extent_callback callback{
      [](void* user, const char* context, uint64_t, uint32_t* entries, size_t n, int*) -> int {
        if (std::string_view(context) != LIBNBD_CONTEXT_BASE_ALLOCATION) return 0;
        auto* w = static_cast<Walk*>(user);
        // Extents come in order from the offset asked; stop at the first that is not zero.
        for (size_t i = 0; i + 1 < n && w->next < w->end; i += 2) {
          if (!(entries[i + 1] & LIBNBD_STATE_ZERO)) return 0;
          w->next += entries[i];
        }
        return 0;
      },
      &walk, nullptr};
  if (nbd_block_status(h, length, static_cast<uint64_t>(offset), callback, 0) == -1) return false;
  return walk.next >= walk.end;
}

}  // namespace

base::Result<DeviceDigest> NbdSha256(const std::string& uri) {
  std::unique_ptr<nbd_handle, HandleCloser> h(nbd_create());
  if (!h) return NbdError("nbd_create");
  nbd_set_uri_allow_local_file(h.get(), true);  // tls-psk-file= in nbds:// URIs
  nbd_add_meta_context(h.get(), LIBNBD_CONTEXT_BASE_ALLOCATION);
  if (nbd_connect_uri(h.get(), uri.c_str()) == -1) return NbdError("connecting to " + uri);
  const bool block_status = nbd_can_meta_context(h.get(), LIBNBD_CONTEXT_BASE_ALLOCATION) == 1;
  const int64_t size = nbd_get_size(h.get());
  if (size < 0) return NbdError("size of " + uri);
  crypto::Sha256Hasher hasher;
  std::vector<uint8_t> buffer(kPiece, 0);
  const crypto::Digest zeros = crypto::Sha256(buffer);
  for (int64_t offset = 0; offset < size;) {
    const size_t n = static_cast<size_t>(std::min<int64_t>(kPiece, size - offset));
    crypto::Digest piece;
    if (n == kPiece && block_status && ReadsAsZeros(h.get(), offset, n)) {
      piece = zeros;
    } else {
      if (nbd_pread(h.get(), buffer.data(), n, static_cast<uint64_t>(offset), 0) == -1) {
        return NbdError("reading " + uri + " at " + std::to_string(offset));
      }
      piece = crypto::Sha256({buffer.data(), n});
    }
    hasher.Update(piece);
    offset += static_cast<int64_t>(n);
  }
  nbd_shutdown(h.get(), 0);
  const crypto::Digest digest = hasher.Finish();
  return DeviceDigest{base::HexEncode(digest), size};
}

}  // namespace kura::tools
