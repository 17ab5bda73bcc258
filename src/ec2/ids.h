// Resource ids as EC2 writes them: prefix + 17 lower-case hex digits
// (vol-0123456789abcdef0); the pre-2016 8-digit form is accepted as input.
// Thread-safety: functions only.
#pragma once

#include <string>
#include <string_view>

namespace kura::ec2 {

// "vol-" + 17 random hex digits.
std::string NewId(std::string_view prefix);
// `id` is prefix + 8 or 17 hex digits.
bool IsWellFormedId(std::string_view id, std::string_view prefix);
// A random private IPv4 address in 172.31.0.0/16 and a public one in 203.0.113.0/24-style
// documentation ranges are not routable; kura uses 10.x for private and 198.51.100.x / 203.0.113.x for public.
std::string NewPrivateIp();
std::string NewPublicIp();

}  // namespace kura::ec2
