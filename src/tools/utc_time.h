// UTC calendar text for Unix times, as the reports and API calls of the tools
// write them ("2026-11-18T11:06:40Z", "2026-11").
// Thread-safety: pure functions (gmtime_r).
#pragma once

#include <cstdint>
#include <string>

namespace kura::tools {

// strftime(`format`) of `unix_seconds` in UTC.
std::string FormatUtc(int64_t unix_seconds, const char* format);

}  // namespace kura::tools
