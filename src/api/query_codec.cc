// AWS Query (IAM, STS, ELB) and EC2 protocol codecs, mirroring botocore's
// QuerySerializer/EC2Serializer (requests) and QueryParser/EC2QueryParser
// (responses).
//
// Request parameters not in the operation's input are an error for the query
// protocol (kUnknownParameter) and ignored for EC2, except that SigV2/SigV4
// authentication parameters (X-Amz-*, AWSAccessKeyId, Signature*, Timestamp,
// Expires, SecurityToken) that the operation does not itself model are always
// ignored: they belong to the presigned-URL / GET form of a request.
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/codec_internal.h"

namespace kura::api {

using nlohmann::json;


namespace {

using codec_internal::CodecStatus;

struct Param {
  std::string value;
  bool used = false;
};
using Params = std::map<std::string, Param, std::less<>>;

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool IsAuthParameter(std::string_view name) {
  if (name.size() >= 6 && EqualsIgnoreCase(name.substr(0, 6), "X-Amz-")) return true;
  for (std::string_view p : {"AWSAccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "Timestamp",
                             "Expires", "SecurityToken"}) {
    if (name == p) return true;
  }
  return false;
}

class QueryDecoder {
 public:
  QueryDecoder(bool ec2, Params& params) : ec2_(ec2), params_(params) {}

  // Decodes the value of `shape` serialized under `key`; `out` stays empty
  // when nothing was sent for it.
  base::Status Decode(const Shape& shape, const Member& member, const std::string& key, std::optional<json>& out) {
    switch (shape.type) {
      case Shape::Type::kStructure:
        return DecodeStructure(shape, key, out);
      case Shape::Type::kList:
        return DecodeList(shape, member, key, out);
      case Shape::Type::kMap:
        return DecodeMap(shape, member, key, out);
      default:
        break;
    }
    auto it = params_.find(key);
    if (it == params_.end()) return base::Status::Ok();
    it->second.used = true;
    json value;
    KURA_RETURN_IF_ERROR(Scalar(shape, key, it->second.value, value));
    out = std::move(value);
    return base::Status::Ok();
  }

  base::Status DecodeStructure(const Shape& shape, const std::string& prefix, std::optional<json>& out) {
    json obj = json::object();
    for (const Member& m : shape.members) {
      const std::string name = ec2_ ? codec_internal::Ec2WireName(m) : (m.location_name.empty() ? m.name : m.location_name);
      std::optional<json> value;
      KURA_RETURN_IF_ERROR(Decode(*m.shape, m, prefix.empty() ? name : prefix + "." + name, value));
      if (value) obj[m.name] = std::move(*value);
    }
    if (!obj.empty() || prefix.empty()) out = std::move(obj);
    return base::Status::Ok();
  }

 private:
  // The distinct N of `prefix.N[.…]` parameters, ascending.
  std::set<uint32_t> Indices(const std::string& prefix) const {
    std::set<uint32_t> indices;
    const std::string start = prefix + ".";
    for (auto it = params_.lower_bound(start); it != params_.end() && StartsWith(it->first, start); ++it) {
      std::string_view rest = std::string_view(it->first).substr(start.size());
      rest = rest.substr(0, rest.find('.'));
      uint32_t n = 0;
      auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
      if (ec == std::errc() && ptr == rest.data() + rest.size() && !rest.empty() && n > 0) indices.insert(n);
    }
    return indices;
  }

  base::Status DecodeList(const Shape& shape, const Member& member, const std::string& key, std::optional<json>& out) {
    if (!ec2_) {
      // The query serializer sends an empty list as `Name=`.
      if (auto it = params_.find(key); it != params_.end() && it->second.value.empty()) {
        it->second.used = true;
        out = json::array();
        return base::Status::Ok();
      }
    }
    std::string elements = key;
    if (!ec2_) {
      if (member.flattened || shape.flattened) {
        if (!shape.member.location_name.empty()) {
          const size_t dot = key.rfind('.');
          elements = (dot == std::string::npos ? "" : key.substr(0, dot + 1)) + shape.member.location_name;
        }
      } else {
        elements = key + "." + (shape.member.location_name.empty() ? "member" : shape.member.location_name);
      }
    }
    const std::set<uint32_t> indices = Indices(elements);
    if (indices.empty()) return base::Status::Ok();
    json array = json::array();
    for (uint32_t n : indices) {
      std::optional<json> value;
      KURA_RETURN_IF_ERROR(Decode(*shape.member.shape, shape.member, elements + "." + std::to_string(n), value));
      if (value) array.push_back(std::move(*value));
    }
    out = std::move(array);
    return base::Status::Ok();
  }

  base::Status DecodeMap(const Shape& shape, const Member& member, const std::string& key, std::optional<json>& out) {
    const std::string entries = member.flattened || shape.flattened ? key : key + ".entry";
    auto name_of = [&](const Member& m, const char* fallback) {
      if (ec2_) return m.location_name.empty() && m.query_name.empty() ? std::string(fallback) : codec_internal::Ec2WireName(m);
      return m.location_name.empty() ? std::string(fallback) : m.location_name;
    };
    const std::string key_name = name_of(shape.key, "key");
    const std::string value_name = name_of(shape.value, "value");
    const std::set<uint32_t> indices = Indices(entries);
    if (indices.empty()) return base::Status::Ok();
    json map = json::object();
    for (uint32_t n : indices) {
      const std::string entry = entries + "." + std::to_string(n) + ".";
      auto k = params_.find(entry + key_name);
      if (k == params_.end()) {
        return CodecStatus(CodecError::kMalformed, "The request must contain the parameter " + entry + key_name);
      }
      k->second.used = true;
      std::optional<json> value;
      KURA_RETURN_IF_ERROR(Decode(*shape.value.shape, shape.value, entry + value_name, value));
      map[k->second.value] = value ? std::move(*value) : json();
    }
    out = std::move(map);
    return base::Status::Ok();
  }

  static base::Status Invalid(const std::string& key, const std::string& value, const char* expected) {
    return CodecStatus(CodecError::kMalformed,
                       "Value (" + value + ") for parameter " + key + " is invalid. Expected " + expected + ".");
  }

  static base::Status Scalar(const Shape& shape, const std::string& key, const std::string& text, json& out) {
    switch (shape.type) {
      case Shape::Type::kBoolean:
        if (EqualsIgnoreCase(text, "true")) out = true;
        else if (EqualsIgnoreCase(text, "false")) out = false;
        else return Invalid(key, text, "'true' or 'false'");
        return base::Status::Ok();
      case Shape::Type::kInteger:
      case Shape::Type::kLong: {
        int64_t v = 0;
        const char* begin = text.data() + (!text.empty() && text[0] == '+' ? 1 : 0);
        auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), v);
        if (ec != std::errc() || ptr != text.data() + text.size() || text.empty() ||
            (shape.type == Shape::Type::kInteger && (v < INT32_MIN || v > INT32_MAX))) {
          return Invalid(key, text, "an integer");
        }
        out = v;
        return base::Status::Ok();
      }
      case Shape::Type::kDouble:
      case Shape::Type::kFloat: {
        double v = 0;
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc() || ptr != text.data() + text.size() || text.empty() || !std::isfinite(v)) {
          return Invalid(key, text, "a number");
        }
        out = v;
        return base::Status::Ok();
      }
      case Shape::Type::kTimestamp: {
        auto t = codec_internal::ParseTimestamp(text);
        if (!t) return Invalid(key, text, "an ISO 8601 timestamp");
        out = codec_internal::TimestampValue(*t);
        return base::Status::Ok();
      }
      case Shape::Type::kBlob: {
        auto bytes = codec_internal::Base64Decode(text);
        if (!bytes) return Invalid(key, text, "base64-encoded data");
        out = json::binary(std::move(*bytes));
        return base::Status::Ok();
      }
      default:
        out = text;
        return base::Status::Ok();
    }
  }

  bool ec2_;
  Params& params_;
};

// ---- XML --------------------------------------------------------------------

struct StringWriter : pugi::xml_writer {
  std::string out;
  void write(const void* data, size_t size) override { out.append(static_cast<const char*>(data), size); }
};

std::string Serialize(pugi::xml_document& doc) {
  StringWriter writer;
  doc.save(writer, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  return std::move(writer.out);
}

void AddDeclaration(pugi::xml_document& doc) {
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
}

void AppendText(pugi::xml_node parent, const char* name, std::string_view text) {
  parent.append_child(name).text().set(std::string(text).c_str());
}

std::string FormatDouble(double v) { return json(v).dump(); }

std::string ScalarText(const Shape& shape, const json& v) {
  switch (shape.type) {
    case Shape::Type::kBoolean:
      if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
      if (v.is_string()) return v.get<std::string>();
      return v.is_number() && v.get<double>() != 0 ? "true" : "false";
    case Shape::Type::kInteger:
    case Shape::Type::kLong:
      if (v.is_number_float()) return std::to_string(std::llround(v.get<double>()));
      break;
    case Shape::Type::kDouble:
    case Shape::Type::kFloat:
      if (v.is_number()) return FormatDouble(v.get<double>());
      break;
    case Shape::Type::kTimestamp:
      if (v.is_number()) {
        if (shape.timestamp_format == "unixTimestamp") return v.is_number_integer() ? v.dump() : FormatDouble(v.get<double>());
        return codec_internal::FormatIso8601(v.get<double>());
      }
      if (v.is_string()) {  // normalize ISO strings to the millisecond form
        if (auto t = codec_internal::ParseTimestamp(v.get_ref<const std::string&>())) {
          return codec_internal::FormatIso8601(*t);
        }
      }
      break;
    case Shape::Type::kBlob:
      if (v.is_binary()) return codec_internal::Base64Encode(codec_internal::BinaryBytes(v));
      if (v.is_string()) return codec_internal::Base64Encode(v.get_ref<const std::string&>());
      break;
    default:
      break;
  }
  if (v.is_string()) return v.get<std::string>();
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

class XmlEncoder {
 public:
  explicit XmlEncoder(bool ec2) : ec2_(ec2) {}

  void Members(pugi::xml_node node, const Shape& shape, const json& v) const {
    if (!v.is_object()) return;
    for (const Member& m : shape.members) {
      auto it = v.find(m.name);
      if (it != v.end()) EncodeMember(node, m, *it);
    }
  }

 private:
  static std::string TagOf(const Member& m) { return m.location_name.empty() ? m.name : m.location_name; }

  void EncodeMember(pugi::xml_node parent, const Member& m, const json& v) const {
    if (v.is_null() || v.is_discarded()) return;
    const Shape& shape = *m.shape;
    const std::string tag = TagOf(m);
    if (m.xml_attribute) {
      parent.append_attribute(tag.c_str()) = ScalarText(shape, v).c_str();
      return;
    }
    if (shape.type == Shape::Type::kList && (m.flattened || shape.flattened)) {
      // Flattened: the elements repeat in the parent, named by the list member's locationName.
      const std::string item = shape.member.location_name.empty() ? tag : shape.member.location_name;
      if (!v.is_array()) return;
      for (const json& element : v) {
        if (!element.is_null()) Value(parent.append_child(item.c_str()), *shape.member.shape, element);
      }
      return;
    }
    if (shape.type == Shape::Type::kMap && (m.flattened || shape.flattened)) {
      if (!v.is_object()) return;
      for (const auto& [key, item] : v.items()) MapEntry(parent.append_child(tag.c_str()), shape, key, item);
      return;
    }
    Value(parent.append_child(tag.c_str()), shape, v);
  }

  void MapEntry(pugi::xml_node entry, const Shape& shape, const std::string& key, const json& item) const {
    AppendText(entry, shape.key.location_name.empty() ? "key" : shape.key.location_name.c_str(), key);
    const std::string value_tag = shape.value.location_name.empty() ? "value" : shape.value.location_name;
    if (!item.is_null()) Value(entry.append_child(value_tag.c_str()), *shape.value.shape, item);
  }

  void Value(pugi::xml_node node, const Shape& shape, const json& v) const {
    switch (shape.type) {
      case Shape::Type::kStructure:
        Members(node, shape, v);
        return;
      case Shape::Type::kList: {
        if (!v.is_array()) return;
        const std::string item =
            !shape.member.location_name.empty() ? shape.member.location_name : (ec2_ ? "item" : "member");
        for (const json& element : v) {
          if (!element.is_null()) Value(node.append_child(item.c_str()), *shape.member.shape, element);
        }
        return;
      }
      case Shape::Type::kMap:
        if (!v.is_object()) return;
        for (const auto& [key, item] : v.items()) MapEntry(node.append_child("entry"), shape, key, item);
        return;
      default:
        node.text().set(ScalarText(shape, v).c_str());
        return;
    }
  }

  bool ec2_;
};

}  // namespace

base::Result<json> DecodeQueryRequest(const ServiceModel& model, const Operation& op,
                                      const std::vector<std::pair<std::string, std::string>>& params) {
  const bool ec2 = model.protocol() == Protocol::kEc2;
  Params table;
  for (const auto& [name, value] : params) table[name] = Param{value, false};
  json doc = json::object();
  if (op.input != nullptr) {
    QueryDecoder decoder(ec2, table);
    std::optional<json> decoded;
    KURA_RETURN_IF_ERROR(decoder.DecodeStructure(*op.input, "", decoded));
    if (decoded) doc = std::move(*decoded);
  }
  if (!ec2) {
    for (const auto& [name, param] : table) {
      if (!param.used && !IsAuthParameter(name)) {
        return CodecStatus(CodecError::kUnknownParameter, "The parameter " + name + " is not recognized");
      }
    }
  }
  if (op.input != nullptr) KURA_RETURN_IF_ERROR(codec_internal::Validate(*op.input, doc, model.protocol()));
  return doc;
}

std::string EncodeQueryResponse(const ServiceModel& model, const Operation& op, const json& output,
                                std::string_view request_id) {
  const bool ec2 = model.protocol() == Protocol::kEc2;
  pugi::xml_document doc;
  AddDeclaration(doc);
  const std::string root_name = op.name + "Response";
  pugi::xml_node root = doc.append_child(root_name.c_str());
  root.append_attribute("xmlns") = model.xml_namespace().c_str();
  XmlEncoder encoder(ec2);
  if (ec2) {
    AppendText(root, "requestId", request_id);
    if (op.output != nullptr) {
      encoder.Members(root, *op.output, output);
    } else {
      AppendText(root, "return", "true");
    }
  } else {
    if (op.output != nullptr) {
      pugi::xml_node result = root;
      if (!op.result_wrapper.empty()) result = root.append_child(op.result_wrapper.c_str());
      encoder.Members(result, *op.output, output);
    }
    pugi::xml_node metadata = root.append_child("ResponseMetadata");
    AppendText(metadata, "RequestId", request_id);
  }
  return Serialize(doc);
}

std::string EncodeQueryError(const ServiceModel& model, std::string_view code, std::string_view message,
                             bool sender_fault, std::string_view request_id) {
  pugi::xml_document doc;
  AddDeclaration(doc);
  if (model.protocol() == Protocol::kEc2) {
    pugi::xml_node root = doc.append_child("Response");
    pugi::xml_node error = root.append_child("Errors").append_child("Error");
    AppendText(error, "Code", code);
    AppendText(error, "Message", message);
    AppendText(root, "RequestID", request_id);
  } else {
    pugi::xml_node root = doc.append_child("ErrorResponse");
    root.append_attribute("xmlns") = model.xml_namespace().c_str();
    pugi::xml_node error = root.append_child("Error");
    AppendText(error, "Type", sender_fault ? "Sender" : "Receiver");
    AppendText(error, "Code", code);
    AppendText(error, "Message", message);
    AppendText(root, "RequestId", request_id);
  }
  return Serialize(doc);
}

}  // namespace kura::api
