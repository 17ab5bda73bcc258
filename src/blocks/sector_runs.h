// Runs of consecutive non-hole sectors in a buffer. A hole is a sector whose
// bytes are all zero: it reads as zeros, is never decrypted and never written.
#pragma once

#include "base/bytes.h"
#include "base/status.h"
#include "blocks/layout.h"

namespace kura::blocks {

// Calls fn(first_byte, length) for each maximal run of non-hole sectors of
// `data` (a whole number of kSectorSize sectors); stops at the first error.
template <typename Fn>
base::Status ForEachDataRun(base::ByteSpan data, Fn&& fn) {
  const size_t sectors = data.size() / kSectorSize;
  size_t run_start = 0;
  for (size_t s = 0; s <= sectors; ++s) {
    bool hole = s < sectors && base::IsAllZero(data.subspan(s * kSectorSize, kSectorSize));
    if (s == sectors || hole) {
      if (s > run_start) KURA_RETURN_IF_ERROR(fn(run_start * kSectorSize, (s - run_start) * kSectorSize));
      run_start = s + 1;
    }
  }
  return base::Status::Ok();
}

}  // namespace kura::blocks
