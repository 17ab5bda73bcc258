// AWS JSON 1.0/1.1 codec (KMS), plus the protocol-neutral helpers the query
// codec shares (base64, timestamps, required/constraint validation); those
// live in namespace codec_internal (codec_internal.h).
//
// Validation choices:
//  * `required`, `min`/`max` (string length in UTF-16 units as AWS counts
//    them, blob length in bytes, list/map size, numeric value) and `enum` are
//    enforced, with the Coral/moto-style messages AWS JSON and query services
//    return ("1 validation error detected: Value 'x' at 'keyId' failed to
//    satisfy constraint: Member must have length greater than or equal to 1").
//  * `pattern` is NOT enforced: the models use Java regex syntax (\p{..},
//    possessive and Unicode classes) that std::regex cannot run faithfully,
//    and a wrong rejection breaks clients while a missed one only reaches
//    the provider, which validates identifiers itself.
//  * EC2 enums are not enforced: EC2 treats them as open (new instance types
//    etc. appear long before the Debian model knows them); providers reject
//    values they do not support with EC2's own InvalidParameterValue.
//  * Values of sensitive shapes and blobs never appear in messages
//    ("Value at 'plaintext' failed to satisfy constraint: ...").
#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/codec_internal.h"

namespace kura::api {

using nlohmann::json;

namespace codec_internal {

base::Status CodecStatus(CodecError error, std::string message) {
  return base::Status(base::StatusCode::kInvalidArgument, static_cast<int>(error), std::move(message));
}

// ---- base64 ----------------------------------------------------------------

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) | uint8_t(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Standard alphabet; padding optional; anything else (whitespace included) fails.
std::optional<std::vector<std::uint8_t>> Base64Decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') {
    text.remove_suffix(1);
    if (text.size() % 4 == 0) return std::nullopt;  // too much padding
  }
  if (text.size() % 4 == 1) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(uint8_t((acc >> bits) & 0xFF));
    }
  }
  return out;
}

std::string_view BinaryBytes(const json& v) {
  const auto& bin = v.get_binary();
  return std::string_view(reinterpret_cast<const char*>(bin.data()), bin.size());
}

// ---- timestamps --------------------------------------------------------------

namespace {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

// ISO 8601 ("2024-01-01", "2024-01-01T00:00:00Z", "...T00:00:00.123+02:00")
// or a plain number of epoch seconds -> epoch seconds.
std::optional<double> ParseTimestamp(std::string_view s) {
  if (s.empty()) return std::nullopt;
  if (s.find('-', 1) == std::string_view::npos) {  // epoch seconds
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
  }
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (!Digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, month) || s[7] != '-' ||
      !Digits(s, 8, 2, day)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  size_t pos = 10;
  double fraction = 0;
  int offset_seconds = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
    if (!Digits(s, pos + 1, 2, hour) || pos + 3 >= s.size() || s[pos + 3] != ':' || !Digits(s, pos + 4, 2, minute)) {
      return std::nullopt;
    }
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!Digits(s, pos + 1, 2, second)) return std::nullopt;
      pos += 3;
    }
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      double scale = 0.1;
      size_t start = ++pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        fraction += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start) return std::nullopt;
    }
    if (pos < s.size()) {
      if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
        pos = s.size();
      } else if (s[pos] == '+' || s[pos] == '-') {
        int oh, om = 0;
        const int sign = s[pos] == '-' ? -1 : 1;
        if (!Digits(s, pos + 1, 2, oh)) return std::nullopt;
        size_t p = pos + 3;
        if (p < s.size() && s[p] == ':') ++p;
        if (p < s.size() && !Digits(s, p, 2, om)) return std::nullopt;
        if (p < s.size()) p += 2;
        if (p != s.size()) return std::nullopt;
        offset_seconds = sign * (oh * 3600 + om * 60);
        pos = s.size();
      } else {
        return std::nullopt;
      }
    }
  }
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return static_cast<double>(secs) + fraction;
}

// Epoch seconds -> "2024-05-01T12:00:00.000Z".
std::string FormatIso8601(double seconds) {
  const int64_t ms = static_cast<int64_t>(std::llround(seconds * 1000.0));
  int64_t days = ms / 86400000;
  int64_t rem = ms % 86400000;
  if (rem < 0) {
    rem += 86400000;
    --days;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(y), m, d,
                static_cast<int>(rem / 3600000), static_cast<int>(rem / 60000 % 60), static_cast<int>(rem / 1000 % 60),
                static_cast<int>(rem % 1000));
  return buf;
}

// Integral seconds stay integers in the document; fractions become doubles.
json TimestampValue(double seconds) {
  if (std::floor(seconds) == seconds && std::fabs(seconds) < 9e15) return json(static_cast<int64_t>(seconds));
  return json(seconds);
}

// ---- names ---------------------------------------------------------------------

std::string LowerCamel(std::string_view name) {
  std::string out(name);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

// EC2 request parameter name: queryName, else locationName capitalized, else the member name.
std::string Ec2WireName(const Member& m) {
  if (!m.query_name.empty()) return m.query_name;
  if (!m.location_name.empty()) {
    std::string out = m.location_name;
    if (out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
    return out;
  }
  return m.name;
}

// ---- validation --------------------------------------------------------------

namespace {

std::string FormatNumber(double v) {
  if (std::floor(v) == v && std::fabs(v) < 9e15) return std::to_string(static_cast<int64_t>(v));
  return json(v).dump();
}

// What Coral prints for a value ("x", "12", "[a, b]").
std::string DisplayValue(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number()) return FormatNumber(v.get<double>());
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out += ", ";
      out += DisplayValue(v[i]);
    }
    return out + "]";
  }
  if (v.is_object()) {
    std::string out = "{";
    bool first = true;
    for (const auto& [k, item] : v.items()) {
      if (!first) out += ", ";
      first = false;
      out += k + "=" + DisplayValue(item);
    }
    return out + "}";
  }
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Java String.length(): UTF-16 code units.
size_t Utf16Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
    if ((c & 0xF8) == 0xF0) ++n;  // supplementary plane: a surrogate pair
  }
  return n;
}

void LengthRules(const Shape& shape, double length, std::vector<std::string>& rules) {
  if (shape.min && length < *shape.min) {
    rules.push_back("Member must have length greater than or equal to " + FormatNumber(*shape.min));
  }
  if (shape.max && length > *shape.max) {
    rules.push_back("Member must have length less than or equal to " + FormatNumber(*shape.max));
  }
}

// The rules `v` (already of the right type) breaks, for this shape alone.
std::vector<std::string> Rules(const Shape& shape, const json& v, Protocol protocol) {
  std::vector<std::string> rules;
  switch (shape.type) {
    case Shape::Type::kString:
      if (!v.is_string()) break;
      LengthRules(shape, static_cast<double>(Utf16Length(v.get_ref<const std::string&>())), rules);
      if (!shape.enum_values.empty() && protocol != Protocol::kEc2) {
        const auto& s = v.get_ref<const std::string&>();
        bool found = false;
        for (const auto& e : shape.enum_values) found = found || e == s;
        if (!found) {
          std::string set;
          for (const auto& e : shape.enum_values) set += (set.empty() ? "" : ", ") + e;
          rules.push_back("Member must satisfy enum value set: [" + set + "]");
        }
      }
      break;
    case Shape::Type::kBlob:
      if (v.is_binary()) LengthRules(shape, static_cast<double>(v.get_binary().size()), rules);
      break;
    case Shape::Type::kList:
    case Shape::Type::kMap:
      LengthRules(shape, static_cast<double>(v.size()), rules);
      break;
    case Shape::Type::kInteger:
    case Shape::Type::kLong:
    case Shape::Type::kDouble:
    case Shape::Type::kFloat:
      if (!v.is_number()) break;
      if (shape.min && v.get<double>() < *shape.min) {
        rules.push_back("Member must have value greater than or equal to " + FormatNumber(*shape.min));
      }
      if (shape.max && v.get<double>() > *shape.max) {
        rules.push_back("Member must have value less than or equal to " + FormatNumber(*shape.max));
      }
      break;
    default:
      break;
  }
  return rules;
}

struct Violation {
  bool missing = false;
  std::string coral;  // "Value 'x' at 'keyId' failed to satisfy constraint: ..."
  std::string ec2;    // "The request must contain the parameter X" / "Value (x) for parameter X is invalid. ..."
};

struct Validator {
  Protocol protocol;
  std::vector<Violation> violations;

  static bool Hidden(const Shape& shape) { return shape.sensitive || shape.type == Shape::Type::kBlob; }

  void Add(const Shape& shape, const json& v, const std::string& coral_path, const std::string& ec2_path,
           const std::string& rule, const std::string& prefix = "") {
    Violation violation;
    const bool hidden = Hidden(shape);
    const std::string shown = hidden ? "" : DisplayValue(v);
    violation.coral = (hidden ? "Value at '" : "Value '" + shown + "' at '") + coral_path +
                      "' failed to satisfy constraint: " + prefix + rule;
    violation.ec2 = (hidden ? "Value" : "Value (" + shown + ")") + " for parameter " + ec2_path + " is invalid. " +
                    prefix + rule;
    violations.push_back(std::move(violation));
  }

  void Value(const Shape& shape, const json& v, const std::string& coral_path, const std::string& ec2_path) {
    for (const std::string& rule : Rules(shape, v, protocol)) Add(shape, v, coral_path, ec2_path, rule);
    switch (shape.type) {
      case Shape::Type::kStructure:
        Structure(shape, v, coral_path, ec2_path);
        break;
      case Shape::Type::kList:
        if (!v.is_array()) break;
        for (size_t i = 0; i < v.size(); ++i) {
          const std::string n = std::to_string(i + 1);
          Value(*shape.member.shape, v[i], coral_path + "." + n + ".member", ec2_path + "." + n);
        }
        break;
      case Shape::Type::kMap:
        if (!v.is_object()) break;
        for (const auto& [key, item] : v.items()) {
          json key_json(key);
          for (const std::string& rule : Rules(*shape.key.shape, key_json, protocol)) {
            Add(*shape.key.shape, key_json, coral_path, ec2_path, rule + "]", "Map keys must satisfy constraint: [");
          }
          const Shape& vs = *shape.value.shape;
          if (vs.type == Shape::Type::kStructure || vs.type == Shape::Type::kList || vs.type == Shape::Type::kMap) {
            Value(vs, item, coral_path + "." + key, ec2_path + "." + key);
          } else {
            for (const std::string& rule : Rules(vs, item, protocol)) {
              Add(vs, item, coral_path, ec2_path, rule + "]", "Map value must satisfy constraint: [");
            }
          }
        }
        break;
      default:
        break;
    }
  }

  void Structure(const Shape& shape, const json& v, const std::string& coral_path, const std::string& ec2_path) {
    if (!v.is_object()) return;
    for (const Member& m : shape.members) {
      const std::string coral = coral_path.empty() ? LowerCamel(m.name) : coral_path + "." + LowerCamel(m.name);
      const std::string wire = ec2_path.empty() ? Ec2WireName(m) : ec2_path + "." + Ec2WireName(m);
      auto it = v.find(m.name);
      if (it == v.end() || it->is_null()) {
        if (m.required) {
          Violation violation;
          violation.missing = true;
          violation.coral = "Value null at '" + coral + "' failed to satisfy constraint: Member must not be null";
          violation.ec2 = "The request must contain the parameter " + wire;
          violations.push_back(std::move(violation));
        }
        continue;
      }
      Value(*m.shape, *it, coral, wire);
    }
  }
};

}  // namespace

// Checks `doc` (a decoded request) against required/min/max/enum.
base::Status Validate(const Shape& input, const json& doc, Protocol protocol) {
  Validator validator{protocol, {}};
  validator.Structure(input, doc, "", "");
  const auto& violations = validator.violations;
  if (violations.empty()) return base::Status::Ok();
  bool any_missing = false;
  for (const Violation& v : violations) any_missing = any_missing || v.missing;
  const CodecError kind = any_missing ? CodecError::kMissingParameter : CodecError::kConstraint;
  if (protocol == Protocol::kEc2) {
    // EC2 reports one problem, a missing parameter first.
    for (const Violation& v : violations) {
      if (v.missing == any_missing) return CodecStatus(kind, v.ec2);
    }
  }
  std::string message = std::to_string(violations.size()) +
                        (violations.size() == 1 ? " validation error detected: " : " validation errors detected: ");
  for (size_t i = 0; i < violations.size(); ++i) {
    if (i) message += "; ";
    message += violations[i].coral;
  }
  return CodecStatus(kind, std::move(message));
}

}  // namespace codec_internal

// ---- JSON 1.1 ---------------------------------------------------------------------

namespace {

using codec_internal::CodecStatus;

const char* TypeName(Shape::Type type) {
  switch (type) {
    case Shape::Type::kStructure: return "a structure";
    case Shape::Type::kList: return "a list";
    case Shape::Type::kMap: return "a map";
    case Shape::Type::kString: return "a string";
    case Shape::Type::kInteger:
    case Shape::Type::kLong: return "an integer";
    case Shape::Type::kBoolean: return "a boolean";
    case Shape::Type::kTimestamp: return "a timestamp";
    case Shape::Type::kBlob: return "a base64-encoded string";
    case Shape::Type::kDouble:
    case Shape::Type::kFloat: return "a number";
  }
  return "a value";
}

const char* JsonTypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "a number";
    default: return "null";
  }
}

base::Status WrongType(const Shape& shape, const json& v, const std::string& path) {
  return CodecStatus(CodecError::kMalformed, std::string("Unexpected value at '") + path + "': expected " +
                                                 TypeName(shape.type) + ", got " + JsonTypeName(v));
}

std::string Join(const std::string& path, const std::string& name) { return path.empty() ? name : path + "." + name; }

// Wire JSON -> document, checking types; unknown members and nulls dropped.
base::Status FromWire(const Shape& shape, const json& in, const std::string& path, json& out) {
  switch (shape.type) {
    case Shape::Type::kStructure: {
      if (!in.is_object()) return WrongType(shape, in, path);
      out = json::object();
      for (const Member& m : shape.members) {
        auto it = in.find(m.name);
        if (it == in.end() || it->is_null()) continue;
        json value;
        KURA_RETURN_IF_ERROR(FromWire(*m.shape, *it, Join(path, codec_internal::LowerCamel(m.name)), value));
        out[m.name] = std::move(value);
      }
      return base::Status::Ok();
    }
    case Shape::Type::kList: {
      if (!in.is_array()) return WrongType(shape, in, path);
      out = json::array();
      for (size_t i = 0; i < in.size(); ++i) {
        json value;
        KURA_RETURN_IF_ERROR(FromWire(*shape.member.shape, in[i], path + "." + std::to_string(i + 1) + ".member", value));
        out.push_back(std::move(value));
      }
      return base::Status::Ok();
    }
    case Shape::Type::kMap: {
      if (!in.is_object()) return WrongType(shape, in, path);
      out = json::object();
      for (const auto& [key, item] : in.items()) {
        json value;
        KURA_RETURN_IF_ERROR(FromWire(*shape.value.shape, item, path + "." + key, value));
        out[key] = std::move(value);
      }
      return base::Status::Ok();
    }
    case Shape::Type::kString:
      if (!in.is_string()) return WrongType(shape, in, path);
      out = in;
      return base::Status::Ok();
    case Shape::Type::kBoolean:
      if (!in.is_boolean()) return WrongType(shape, in, path);
      out = in;
      return base::Status::Ok();
    case Shape::Type::kInteger:
    case Shape::Type::kLong: {
      if (in.is_number_integer()) {
        out = in;
      } else if (in.is_number_float() && std::floor(in.get<double>()) == in.get<double>() &&
                 std::fabs(in.get<double>()) < 9.2e18) {
        out = static_cast<int64_t>(in.get<double>());
      } else {
        return WrongType(shape, in, path);
      }
      if (in.is_number_unsigned() && in.get<uint64_t>() > uint64_t(INT64_MAX)) return WrongType(shape, in, path);
      const int64_t v = out.get<int64_t>();
      if (shape.type == Shape::Type::kInteger && (v < INT32_MIN || v > INT32_MAX)) {
        return CodecStatus(CodecError::kMalformed, "Value at '" + path + "' does not fit in a 32-bit integer");
      }
      out = v;
      return base::Status::Ok();
    }
    case Shape::Type::kDouble:
    case Shape::Type::kFloat:
      if (!in.is_number()) return WrongType(shape, in, path);
      out = in;
      return base::Status::Ok();
    case Shape::Type::kTimestamp:
      if (in.is_number()) {
        out = in;
        return base::Status::Ok();
      }
      if (in.is_string()) {
        if (auto t = codec_internal::ParseTimestamp(in.get_ref<const std::string&>())) {
          out = codec_internal::TimestampValue(*t);
          return base::Status::Ok();
        }
      }
      return WrongType(shape, in, path);
    case Shape::Type::kBlob: {
      if (!in.is_string()) return WrongType(shape, in, path);
      auto bytes = codec_internal::Base64Decode(in.get_ref<const std::string&>());
      if (!bytes) return CodecStatus(CodecError::kMalformed, "Value at '" + path + "' is not valid base64");
      out = json::binary(std::move(*bytes));
      return base::Status::Ok();
    }
  }
  return WrongType(shape, in, path);
}

// Document -> wire JSON: blobs base64, timestamps epoch numbers, nulls omitted.
std::optional<json> ToWire(const Shape& shape, const json& v) {
  if (v.is_null() || v.is_discarded()) return std::nullopt;
  switch (shape.type) {
    case Shape::Type::kStructure: {
      json out = json::object();
      if (!v.is_object()) return out;
      for (const Member& m : shape.members) {
        auto it = v.find(m.name);
        if (it == v.end()) continue;
        if (auto w = ToWire(*m.shape, *it)) out[m.name] = std::move(*w);
      }
      return out;
    }
    case Shape::Type::kList: {
      json out = json::array();
      if (!v.is_array()) return out;
      for (const json& item : v) {
        if (auto w = ToWire(*shape.member.shape, item)) out.push_back(std::move(*w));
      }
      return out;
    }
    case Shape::Type::kMap: {
      json out = json::object();
      if (!v.is_object()) return out;
      for (const auto& [key, item] : v.items()) {
        if (auto w = ToWire(*shape.value.shape, item)) out[key] = std::move(*w);
      }
      return out;
    }
    case Shape::Type::kBlob:
      if (v.is_binary()) return json(codec_internal::Base64Encode(codec_internal::BinaryBytes(v)));
      if (v.is_string()) return json(codec_internal::Base64Encode(v.get_ref<const std::string&>()));
      return v;
    case Shape::Type::kTimestamp:
      if (v.is_string()) {
        if (auto t = codec_internal::ParseTimestamp(v.get_ref<const std::string&>())) {
          return codec_internal::TimestampValue(*t);
        }
      }
      return v;
    default:
      return v;
  }
}

}  // namespace

base::Result<json> DecodeJsonRequest(const Operation& op, std::string_view body) {
  size_t first = body.find_first_not_of(" \t\r\n");
  json wire = first == std::string_view::npos ? json::object()
                                              : json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (wire.is_discarded()) return CodecStatus(CodecError::kMalformed, "The request body is not valid JSON");
  if (!wire.is_object()) return CodecStatus(CodecError::kMalformed, "The request body must be a JSON object");
  if (op.input == nullptr) return json::object();
  json doc;
  KURA_RETURN_IF_ERROR(FromWire(*op.input, wire, "", doc));
  KURA_RETURN_IF_ERROR(codec_internal::Validate(*op.input, doc, Protocol::kJson));
  return doc;
}

std::string EncodeJsonResponse(const Operation& op, const json& output) {
  if (op.output == nullptr) return "{}";
  auto wire = ToWire(*op.output, output);
  if (!wire) return "{}";
  return wire->dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string EncodeJsonError(std::string_view code, std::string_view message) {
  json body = json::object();
  body["__type"] = std::string(code);
  body["message"] = std::string(message);
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace kura::api
