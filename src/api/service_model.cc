// ServiceModel loading: parses an embedded, pruned botocore model
// (src/api/models) and resolves every shape reference to a Shape pointer.
// Member traits follow botocore's ShapeResolver: the member reference's
// locationName / queryName / flattened override the target shape's own.
#include "api/service_model.h"

#include <nlohmann/json.hpp>

#include <mutex>
#include <utility>

#include "api/models/embedded_models.h"

namespace kura::api {

// ordered_json keeps the model's member order (responses follow it).
using json = nlohmann::ordered_json;

const Member* Shape::FindMember(std::string_view name) const {
  for (const Member& m : members) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const Operation* ServiceModel::FindOperation(std::string_view name) const {
  auto it = operations_.find(name);
  return it == operations_.end() ? nullptr : &it->second;
}

const Shape* ServiceModel::FindShape(std::string_view name) const {
  auto it = shapes_.find(name);
  return it == shapes_.end() ? nullptr : it->second.get();
}

std::vector<std::string> ServiceModel::OperationNames() const {
  std::vector<std::string> names;
  names.reserve(operations_.size());
  for (const auto& [name, op] : operations_) names.push_back(name);
  return names;
}

namespace {

std::string StringOr(const json& obj, const char* key, std::string fallback = {}) {
  auto it = obj.find(key);
  if (it != obj.end() && it->is_string()) return it->get<std::string>();
  return fallback;
}

bool BoolOr(const json& obj, const char* key, bool fallback) {
  auto it = obj.find(key);
  if (it != obj.end() && it->is_boolean()) return it->get<bool>();
  return fallback;
}

std::optional<double> NumberOf(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it != obj.end() && it->is_number()) return it->get<double>();
  return std::nullopt;
}

std::optional<Shape::Type> ParseType(std::string_view type) {
  using T = Shape::Type;
  if (type == "structure") return T::kStructure;
  if (type == "list") return T::kList;
  if (type == "map") return T::kMap;
  if (type == "string" || type == "character") return T::kString;
  if (type == "integer") return T::kInteger;
  if (type == "long") return T::kLong;
  if (type == "boolean") return T::kBoolean;
  if (type == "timestamp") return T::kTimestamp;
  if (type == "blob") return T::kBlob;
  if (type == "double") return T::kDouble;
  if (type == "float") return T::kFloat;
  return std::nullopt;
}

std::optional<Protocol> ParseProtocol(std::string_view protocol) {
  if (protocol == "json") return Protocol::kJson;
  if (protocol == "query") return Protocol::kQuery;
  if (protocol == "ec2") return Protocol::kEc2;
  if (protocol == "rest-json") return Protocol::kRestJson;
  return std::nullopt;
}

}  // namespace

struct ServiceModelLoader {
  ServiceModel& model;
  const json& shapes_json;
  std::map<std::string, const json*, std::less<>> raw_shapes = {};  // name -> model JSON

  base::Status Error(std::string message) const {
    return base::InternalError("service model " + model.service_ + ": " + message);
  }

  // Resolves a shape reference ({"shape": "X", "locationName": ...}) into `out`.
  base::Status ResolveRef(const json& ref, std::string name, Member& out) const {
    if (!ref.is_object()) return Error("bad shape reference for " + name);
    std::string target = StringOr(ref, "shape");
    auto it = model.shapes_.find(target);
    if (it == model.shapes_.end()) return Error("unknown shape '" + target + "' referenced by " + name);
    const json& target_json = *raw_shapes.at(target);
    out.name = std::move(name);
    out.shape = it->second.get();
    out.location_name = StringOr(ref, "locationName", StringOr(target_json, "locationName"));
    out.query_name = StringOr(ref, "queryName", StringOr(target_json, "queryName"));
    out.flattened = BoolOr(ref, "flattened", BoolOr(target_json, "flattened", false));
    out.xml_attribute = BoolOr(ref, "xmlAttribute", BoolOr(target_json, "xmlAttribute", false));
    out.idempotency_token = BoolOr(ref, "idempotencyToken", false);
    return base::Status::Ok();
  }

  base::Status LoadShape(const std::string& name, const json& j, Shape& shape) const {
    if (!j.is_object()) return Error("shape " + name + " is not an object");
    auto type = ParseType(StringOr(j, "type"));
    if (!type) return Error("shape " + name + " has unsupported type '" + StringOr(j, "type") + "'");
    shape.type = *type;
    shape.flattened = BoolOr(j, "flattened", false);
    shape.min = NumberOf(j, "min");
    shape.max = NumberOf(j, "max");
    shape.pattern = StringOr(j, "pattern");
    shape.timestamp_format = StringOr(j, "timestampFormat");
    shape.sensitive = BoolOr(j, "sensitive", false);
    if (auto it = j.find("enum"); it != j.end() && it->is_array()) {
      for (const json& v : *it) {
        if (v.is_string()) shape.enum_values.push_back(v.get<std::string>());
      }
    }
    shape.is_exception = BoolOr(j, "exception", false);
    if (shape.is_exception) {
      const bool fault = BoolOr(j, "fault", false);
      const json* error = nullptr;
      if (auto it = j.find("error"); it != j.end() && it->is_object()) error = &*it;
      shape.error_code = error ? StringOr(*error, "code", name) : name;
      std::optional<double> status = error ? NumberOf(*error, "httpStatusCode") : std::nullopt;
      shape.http_status = status ? static_cast<int>(*status) : (fault ? 500 : 400);
      shape.sender_fault = error && error->contains("senderFault")
                               ? BoolOr(*error, "senderFault", true)
                               : (!fault && shape.http_status < 500);
    }

    switch (shape.type) {
      case Shape::Type::kStructure: {
        std::vector<std::string> required;
        if (auto it = j.find("required"); it != j.end() && it->is_array()) {
          for (const json& r : *it) {
            if (r.is_string()) required.push_back(r.get<std::string>());
          }
        }
        if (auto it = j.find("members"); it != j.end() && it->is_object()) {
          for (const auto& [member_name, ref] : it->items()) {
            Member m;
            KURA_RETURN_IF_ERROR(ResolveRef(ref, member_name, m));
            for (const std::string& r : required) {
              if (r == m.name) m.required = true;
            }
            shape.members.push_back(std::move(m));
          }
        }
        break;
      }
      case Shape::Type::kList:
        if (!j.contains("member")) return Error("list shape " + name + " has no member");
        KURA_RETURN_IF_ERROR(ResolveRef(j.at("member"), "member", shape.member));
        break;
      case Shape::Type::kMap:
        if (!j.contains("key") || !j.contains("value")) return Error("map shape " + name + " lacks key/value");
        KURA_RETURN_IF_ERROR(ResolveRef(j.at("key"), "key", shape.key));
        KURA_RETURN_IF_ERROR(ResolveRef(j.at("value"), "value", shape.value));
        break;
      default:
        break;
    }
    return base::Status::Ok();
  }

  base::Status Load(const json& doc) {
    if (!doc.is_object()) return Error("not a JSON object");
    static const json kEmpty = json::object();
    const json& metadata = doc.contains("metadata") ? doc.at("metadata") : kEmpty;
    std::string protocol = StringOr(metadata, "protocol");
    auto parsed_protocol = ParseProtocol(protocol);
    if (!parsed_protocol) return Error("unsupported protocol '" + protocol + "'");
    model.protocol_ = *parsed_protocol;
    model.api_version_ = StringOr(metadata, "apiVersion");
    model.target_prefix_ = StringOr(metadata, "targetPrefix");
    model.xml_namespace_ = StringOr(metadata, "xmlNamespace");
    // AWS always sends the namespace with a trailing slash; the EC2 model
    // spells it without ("http://ec2.amazonaws.com/doc/2016-11-15").
    if (!model.xml_namespace_.empty() && model.xml_namespace_.back() != '/') model.xml_namespace_ += '/';
    model.signing_name_ = StringOr(metadata, "signingName", StringOr(metadata, "endpointPrefix"));
    model.json_version_ = StringOr(metadata, "jsonVersion");

    if (!shapes_json.is_object()) return Error("no shapes");
    // Two passes: create every shape first so references can point anywhere.
    for (const auto& [name, j] : shapes_json.items()) {
      auto shape = std::make_unique<Shape>();
      shape->name = name;
      model.shapes_.emplace(name, std::move(shape));
      raw_shapes.emplace(name, &j);
    }
    for (const auto& [name, j] : shapes_json.items()) {
      KURA_RETURN_IF_ERROR(LoadShape(name, j, *model.shapes_.at(name)));
    }

    const json& ops = doc.contains("operations") ? doc.at("operations") : kEmpty;
    if (!ops.is_object()) return Error("operations is not an object");
    for (const auto& [name, j] : ops.items()) {
      Operation op;
      op.name = name;
      auto shape_of = [&](const json& ref, const Shape** out) -> base::Status {
        std::string target = StringOr(ref, "shape");
        const Shape* s = model.FindShape(target);
        if (s == nullptr) return Error("operation " + name + " references unknown shape '" + target + "'");
        *out = s;
        return base::Status::Ok();
      };
      if (auto it = j.find("input"); it != j.end() && it->is_object()) {
        KURA_RETURN_IF_ERROR(shape_of(*it, &op.input));
      }
      if (auto it = j.find("output"); it != j.end() && it->is_object()) {
        KURA_RETURN_IF_ERROR(shape_of(*it, &op.output));
        op.result_wrapper = StringOr(*it, "resultWrapper");
      }
      if (auto it = j.find("errors"); it != j.end() && it->is_array()) {
        for (const json& e : *it) {
          const Shape* s = nullptr;
          KURA_RETURN_IF_ERROR(shape_of(e, &s));
          op.errors.push_back(s);
        }
      }
      model.operations_.emplace(name, std::move(op));
    }
    return base::Status::Ok();
  }

  static base::Result<std::shared_ptr<const ServiceModel>> FromText(std::string_view service, std::string_view text) {
    json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
      return base::InternalError("service model " + std::string(service) + ": embedded JSON does not parse");
    }
    auto model = std::make_shared<ServiceModel>();
    model->service_ = std::string(service);
    static const json kEmpty = json::object();
    const json& shapes = doc.is_object() && doc.contains("shapes") ? doc.at("shapes") : kEmpty;
    ServiceModelLoader loader{*model, shapes};
    KURA_RETURN_IF_ERROR(loader.Load(doc));
    return std::shared_ptr<const ServiceModel>(std::move(model));
  }
};

base::Result<std::shared_ptr<const ServiceModel>> ServiceModel::Load(std::string_view service) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const ServiceModel>, std::less<>> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(service); it != cache.end()) return it->second;
  std::string_view text = EmbeddedModel(service);
  if (text.empty()) return base::NotFoundError("no embedded service model for '" + std::string(service) + "'");
  auto loaded = ServiceModelLoader::FromText(service, text);
  if (!loaded.ok()) return loaded.status();
  cache.emplace(std::string(service), *loaded);
  return *loaded;
}

}  // namespace kura::api
