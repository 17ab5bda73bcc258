#include "ec2/ids.h"

#include <cstdint>
#include <random>
#include <vector>

#include "base/bytes.h"
#include "crypto/random.h"

namespace kura::ec2 {

namespace {

std::vector<uint8_t> RandomBytes(size_t n) {
  std::vector<uint8_t> out(n);
  // Ids need uniqueness, not secrecy: should OpenSSL's generator ever fail,
  // the OS generator still gives unique ids.
  if (!crypto::RandomBytes(out).ok()) {
    std::random_device os;
    for (auto& b : out) b = static_cast<uint8_t>(os());
  }
  return out;
}

bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

std::string NewId(std::string_view prefix) {
  std::string hex = base::HexEncode(RandomBytes(9));  // 18 digits; EC2 ids have 17
  hex.resize(17);
  return std::string(prefix) + hex;
}

bool IsWellFormedId(std::string_view id, std::string_view prefix) {
  if (id.substr(0, prefix.size()) != prefix) return false;
  std::string_view rest = id.substr(prefix.size());
  if (rest.size() != 8 && rest.size() != 17) return false;
  for (char c : rest) {
    if (!IsHex(c)) return false;
  }
  return true;
}

std::string NewPrivateIp() {
  auto b = RandomBytes(2);
  return "10.0." + std::to_string(b[0]) + "." + std::to_string(1 + b[1] % 254);
}

std::string NewPublicIp() {
  // TEST-NET-2/3 (RFC 5737): documentation ranges, never routable, so a
  // script that tries to reach the "instance" fails clearly.
  auto b = RandomBytes(2);
  return std::string(b[0] & 1 ? "198.51.100." : "203.0.113.") + std::to_string(1 + b[1] % 254);
}

}  // namespace kura::ec2
