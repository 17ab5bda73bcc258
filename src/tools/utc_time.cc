#include "tools/utc_time.h"

#include <ctime>

namespace kura::tools {

std::string FormatUtc(int64_t unix_seconds, const char* format) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  size_t n = std::strftime(text, sizeof(text), format, &tm);
  return std::string(text, n);
}

}  // namespace kura::tools
