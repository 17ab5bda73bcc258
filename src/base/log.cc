#include "base/log.h"

#include <spdlog/spdlog.h>

namespace kura::base {

namespace {

spdlog::level::level_enum ToSpd(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return spdlog::level::debug;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kWarn: return spdlog::level::warn;
    case LogLevel::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

void AppendValue(std::string& line, std::string_view value) {
  bool needs_quotes = value.empty() || value.find_first_of(" \"=\t\n") != std::string_view::npos;
  if (!needs_quotes) {
    line += value;
    return;
  }
  line += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') line += '\\';
    if (c == '\n') {
      line += "\\n";
      continue;
    }
    line += c;
  }
  line += '"';
}

}  // namespace

void LogEvent(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  auto spd_level = ToSpd(level);
  if (!spdlog::should_log(spd_level)) return;
  std::string line(event);
  for (const auto& [key, value] : fields) {
    line += ' ';
    line += key;
    line += '=';
    AppendValue(line, value);
  }
  spdlog::log(spd_level, "{}", line);
}

void SetLogLevel(LogLevel level) { spdlog::set_level(ToSpd(level)); }

bool ParseLogLevel(std::string_view name, LogLevel* out) {
  if (name == "debug") *out = LogLevel::kDebug;
  else if (name == "info") *out = LogLevel::kInfo;
  else if (name == "warn") *out = LogLevel::kWarn;
  else if (name == "error") *out = LogLevel::kError;
  else return false;
  return true;
}

}  // namespace kura::base
