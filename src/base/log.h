// Structured logging: one line per event, `event key=value ...`, through spdlog.
// Never pass secrets here: SecretBytes cannot be formatted, by design.
// Thread-safety: all functions are safe to call from any thread.
#pragma once

#include <chrono>
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

// When stdout is not a terminal, collects log lines in memory and writes them
// in batches — within `interval` after they were logged, at once for a
// warning or an error, and on FlushLog or normal exit — instead of one
// write(2) per line (kura serve logs a line per request). Lines still in the
// buffer are lost if the process is killed. Call once, before logging from
// several threads; a terminal keeps line-by-line output.
void BufferLogOutput(std::chrono::seconds interval);
// Writes out buffered lines now.
void FlushLog();
// Parses "debug", "info", "warn", "error".
bool ParseLogLevel(std::string_view name, LogLevel* out);

}  // namespace kura::base
