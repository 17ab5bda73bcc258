// A fake process environment for the tools' unit tests.
// Thread-safety: a plain value; the lookup copies the map.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "client/credentials.h"

namespace kura::tools::testing {

inline client::EnvLookup EnvOf(std::map<std::string, std::string> env) {
  return [env = std::move(env)](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace kura::tools::testing
