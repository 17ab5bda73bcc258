// Byte helpers shared by every layer: hex encoding and fixed-width little-endian codecs.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kura::base {

using ByteSpan = std::span<const uint8_t>;
using MutableByteSpan = std::span<uint8_t>;

std::string HexEncode(ByteSpan bytes);
Result<std::vector<uint8_t>> HexDecode(std::string_view hex);

inline ByteSpan AsBytes(std::string_view s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// True when every byte is zero (word at a time).
bool IsAllZero(ByteSpan data);

void StoreLe64(uint64_t v, uint8_t* out);
uint64_t LoadLe64(const uint8_t* in);

}  // namespace kura::base
