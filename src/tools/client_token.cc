#include "tools/client_token.h"

#include <cstdint>

#include "base/bytes.h"
#include "crypto/random.h"

namespace kura::tools {

base::Result<std::string> NewClientToken() {
  uint8_t bytes[16];
  KURA_RETURN_IF_ERROR(crypto::RandomBytes(bytes));
  return base::HexEncode(bytes);
}

}  // namespace kura::tools
