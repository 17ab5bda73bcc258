// Helpers shared by the JSON and Query/EC2 codecs (defined in json_codec.cc).
// Private to src/api/*_codec.cc.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/codec.h"

namespace kura::api::codec_internal {

base::Status CodecStatus(CodecError error, std::string message);
std::string Base64Encode(std::string_view bytes);
std::optional<std::vector<std::uint8_t>> Base64Decode(std::string_view text);
std::string_view BinaryBytes(const nlohmann::json& v);
std::optional<double> ParseTimestamp(std::string_view s);
std::string FormatIso8601(double seconds);
nlohmann::json TimestampValue(double seconds);
std::string Ec2WireName(const Member& m);
base::Status Validate(const Shape& input, const nlohmann::json& doc, Protocol protocol);

}  // namespace kura::api::codec_internal
