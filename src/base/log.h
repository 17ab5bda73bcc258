// Structured logging: one line per event, `event key=value ...`, through spdlog.
// Never pass secrets here: SecretBytes cannot be formatted, by design.
// Thread-safety: all functions are safe to call from any thread.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace kura::base {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

using LogField = std::pair<std::string_view, std::string>;

// Logs `event k1=v1 k2=v2`; values containing spaces or quotes are quoted.
void LogEvent(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

void SetLogLevel(LogLevel level);
// Parses "debug", "info", "warn", "error".
bool ParseLogLevel(std::string_view name, LogLevel* out);

}  // namespace kura::base
