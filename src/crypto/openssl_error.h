// Drains OpenSSL's thread-local error queue into one message for a Status.
#pragma once

#include <string>

namespace kura::crypto {

// "error:...; error:..." or "no OpenSSL error queued".
std::string OpenSslErrors();

}  // namespace kura::crypto
