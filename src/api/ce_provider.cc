#include "api/ce_provider.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <set>

#include "api/document_reader.h"
#include "base/log.h"
#include "iam/policy.h"

namespace kura::api {

namespace {

using nlohmann::json;
namespace chrono = std::chrono;

constexpr char kGetCostAndUsage[] = "GetCostAndUsage";
// Bounds the work of one request (one bill per month); AWS itself keeps 14 months.
constexpr int kMaxMonths = 120;

base::Status CeStatus(CeError kind, std::string message) {
  base::StatusCode code = kind == CeError::kAccessDenied ? base::StatusCode::kPermissionDenied
                                                         : base::StatusCode::kInvalidArgument;
  return base::Status(code, static_cast<int>(kind), std::move(message));
}
base::Status Invalid(std::string message) { return CeStatus(CeError::kValidation, std::move(message)); }

DocumentReader Reader(const json& doc) {
  return DocumentReader(doc, [](std::string_view member, std::string_view expected) {
    return Invalid(fmt::format("{} must be {}", member, expected));
  });
}

// "YYYY-MM-DD" (the model also allows a "THH:MM:SSZ" suffix, which only HOURLY uses).
base::Result<chrono::year_month_day> ParseDay(const std::string& text, std::string_view member) {
  auto digits = [&](size_t from, size_t n) {
    int v = 0;
    for (size_t i = from; i < from + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    int y = digits(0, 4), m = digits(5, 2), d = digits(8, 2);
    chrono::year_month_day day{chrono::year(y), chrono::month(static_cast<unsigned>(m)),
                               chrono::day(static_cast<unsigned>(d))};
    if (y >= 0 && m >= 0 && d >= 0 && day.ok()) return day;
  }
  return Invalid(fmt::format("{} '{}' is not a date of the form YYYY-MM-DD", member, text));
}

std::string DayText(chrono::year_month_day d) {
  return fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                     static_cast<unsigned>(d.day()));
}

// Amounts as Cost Explorer writes them: decimal strings, at most 10 places, no trailing zeros.
std::string Amount(double value) {
  std::string s = fmt::format("{:.10f}", value);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

struct Query {
  chrono::year_month_day start, end;
  std::vector<std::string> metrics;
  bool kms_selected = true;  // false when the filter excludes KMS
  bool group_by_service = false;
};

base::Status ReadFilter(const DocumentReader& filter, Query& query) {
  for (const char* unsupported : {"And", "Or", "Not", "Tags", "CostCategories"}) {
    if (filter.Has(unsupported)) {
      return Invalid(fmt::format("Filter.{} is not supported by kura's Cost Explorer (Dimensions SERVICE only)",
                                 unsupported));
    }
  }
  KURA_ASSIGN_OR_RETURN(auto dimensions, filter.Structure("Dimensions"));
  if (!dimensions) return Invalid("Filter must name Dimensions");
  KURA_ASSIGN_OR_RETURN(std::string key, dimensions->String("Key"));
  if (key != "SERVICE") {
    return Invalid(fmt::format("Filter dimension '{}' is not supported by kura's Cost Explorer (SERVICE only)", key));
  }
  KURA_ASSIGN_OR_RETURN(auto options, dimensions->Strings("MatchOptions"));
  for (const auto& option : options) {
    if (option != "EQUALS") return Invalid(fmt::format("MatchOptions '{}' is not supported (EQUALS only)", option));
  }
  KURA_ASSIGN_OR_RETURN(auto values, dimensions->Strings("Values"));
  if (values.empty()) return Invalid("Filter Dimensions Values must not be empty");
  query.kms_selected = std::find(values.begin(), values.end(), kCeKmsServiceName) != values.end();
  return base::Status::Ok();
}

base::Result<Query> ReadQuery(const json& input, const chrono::year_month_day& today) {
  DocumentReader in = Reader(input);
  Query query;
  KURA_ASSIGN_OR_RETURN(auto period, in.Structure("TimePeriod"));
  if (!period) return Invalid("TimePeriod is required");
  KURA_ASSIGN_OR_RETURN(std::string start_text, period->String("Start"));
  KURA_ASSIGN_OR_RETURN(std::string end_text, period->String("End"));
  KURA_ASSIGN_OR_RETURN(query.start, ParseDay(start_text, "Start"));
  KURA_ASSIGN_OR_RETURN(query.end, ParseDay(end_text, "End"));
  if (chrono::sys_days(query.start) >= chrono::sys_days(query.end)) {
    return Invalid("Start date (and hour) should be before end date (and hour)");
  }
  if (chrono::sys_days(query.start) > chrono::sys_days(today)) {
    return Invalid("Start date must be equal to or no later than the current date");
  }
  if (query.start.day() != chrono::day(1) || query.end.day() != chrono::day(1)) {
    return Invalid("kura meters KMS per calendar month: TimePeriod Start and End must be first days of months");
  }
  const int months = (static_cast<int>(query.end.year()) - static_cast<int>(query.start.year())) * 12 +
                     static_cast<int>(static_cast<unsigned>(query.end.month())) -
                     static_cast<int>(static_cast<unsigned>(query.start.month()));
  if (months > kMaxMonths) return Invalid(fmt::format("TimePeriod spans more than {} months", kMaxMonths));

  KURA_ASSIGN_OR_RETURN(std::string granularity, in.String("Granularity"));
  if (granularity != "MONTHLY") {
    return Invalid(fmt::format("Granularity {} is not supported by kura's Cost Explorer (MONTHLY only)", granularity));
  }
  KURA_ASSIGN_OR_RETURN(query.metrics, in.Strings("Metrics"));
  if (query.metrics.empty()) return Invalid("Metrics must name at least one metric");
  static const std::set<std::string, std::less<>> kServed = {"UnblendedCost", "BlendedCost", "UsageQuantity"};
  static const std::set<std::string, std::less<>> kKnown = {"AmortizedCost",   "BlendedCost",
                                                             "NetAmortizedCost", "NetUnblendedCost",
                                                             "NormalizedUsageAmount", "UnblendedCost",
                                                             "UsageQuantity"};
  for (const auto& metric : query.metrics) {
    if (!kKnown.count(metric)) return Invalid(fmt::format("Metric {} is not a valid metric", metric));
    if (!kServed.count(metric)) {
      return Invalid(fmt::format(
          "Metric {} is not supported by kura's Cost Explorer (UnblendedCost, BlendedCost, UsageQuantity)", metric));
    }
  }
  KURA_ASSIGN_OR_RETURN(auto filter, in.Structure("Filter"));
  if (filter) KURA_RETURN_IF_ERROR(ReadFilter(*filter, query));
  KURA_ASSIGN_OR_RETURN(auto groups, in.Structures("GroupBy"));
  for (const auto& group : groups) {
    KURA_ASSIGN_OR_RETURN(std::string type, group.String("Type"));
    KURA_ASSIGN_OR_RETURN(std::string key, group.String("Key"));
    if (type != "DIMENSION" || key != "SERVICE") {
      return Invalid(fmt::format("GroupBy {} {} is not supported by kura's Cost Explorer (DIMENSION SERVICE only)",
                                 type, key));
    }
    query.group_by_service = true;
  }
  KURA_ASSIGN_OR_RETURN(auto token, in.OptString("NextPageToken"));
  if (token) return CeStatus(CeError::kInvalidNextToken, "The NextPageToken is not valid: kura answers in one page");
  return query;
}

json Metrics(const Query& query, const kms::Bill& bill) {
  json metrics = json::object();
  for (const auto& metric : query.metrics) {
    if (metric == "UsageQuantity") {
      metrics[metric] = {{"Amount", Amount(static_cast<double>(bill.requests) + bill.key_months)}, {"Unit", "N/A"}};
    } else {
      metrics[metric] = {{"Amount", Amount(bill.total_usd)}, {"Unit", "USD"}};
    }
  }
  return metrics;
}

}  // namespace

CeProvider::CeProvider(BillFn bills, PoliciesFn identity_policies)
    : bills_(std::move(bills)), identity_policies_(std::move(identity_policies)) {}

base::Result<json> CeProvider::Call(std::string_view operation, const json& input, const CallContext& context) {
  if (operation != kGetCostAndUsage) {
    return CeStatus(CeError::kUnknownOperation, fmt::format("Unknown operation {}", operation));
  }
  KURA_RETURN_IF_ERROR(Authorize(context, std::string("ce:") + kGetCostAndUsage));
  return GetCostAndUsage(input.is_object() ? input : json::object(), context);
}

base::Status CeProvider::Authorize(const CallContext& context, const std::string& action) const {
  const iam::Principal& caller = context.caller;
  if (caller.is_root()) return base::Status::Ok();
  // Cost Explorer is global: its resources live in us-east-1 whatever the caller signed for.
  const std::string resource = fmt::format("arn:aws:ce:us-east-1:{}:/{}", caller.account_id, kGetCostAndUsage);
  KURA_ASSIGN_OR_RETURN(auto policies, identity_policies_(caller));
  std::vector<const iam::PolicyDocument*> docs;
  for (const auto& p : policies) docs.push_back(p.get());
  iam::RequestContext request;
  request.action = action;
  request.resource = resource;
  request.principal = caller;
  if (iam::EvaluateIdentityPolicies(docs, request) == iam::Decision::kAllow) return base::Status::Ok();
  return CeStatus(CeError::kAccessDenied,
                  fmt::format("User: {} is not authorized to perform: {} on resource: {} because no identity-based "
                              "policy allows the {} action",
                              caller.arn, action, resource, action));
}

base::Result<json> CeProvider::GetCostAndUsage(const json& input, const CallContext& context) {
  const auto today = chrono::year_month_day(chrono::floor<chrono::days>(chrono::sys_seconds(chrono::seconds(context.now))));
  KURA_ASSIGN_OR_RETURN(Query query, ReadQuery(input, today));
  json results = json::array();
  for (auto month = chrono::year_month(query.start.year(), query.start.month());
       chrono::sys_days(month / chrono::day(1)) < chrono::sys_days(query.end); month += chrono::months(1)) {
    const chrono::year_month_day first = month / chrono::day(1);
    const chrono::year_month_day next = (month + chrono::months(1)) / chrono::day(1);
    kms::Bill bill;
    if (query.kms_selected) {
      auto computed = bills_(context.caller.account_id, DayText(first).substr(0, 7));
      if (!computed.ok()) {
        base::LogEvent(base::LogLevel::kError, "ce_bill_failed", {{"status", computed.status().ToString()}});
        return CeStatus(CeError::kDataUnavailable, "The cost data for the requested period is not available.");
      }
      bill = std::move(computed).value();
    }
    json result = {{"TimePeriod", {{"Start", DayText(first)}, {"End", DayText(next)}}},
                   {"Total", json::object()},
                   {"Groups", json::array()},
                   // The month is not over yet: its figures can still grow, as AWS marks them.
                   {"Estimated", chrono::sys_days(next) > chrono::sys_days(today)}};
    if (!query.group_by_service) {
      result["Total"] = Metrics(query, bill);
    } else if (query.kms_selected) {
      result["Groups"].push_back({{"Keys", {kCeKmsServiceName}}, {"Metrics", Metrics(query, bill)}});
    }
    results.push_back(std::move(result));
  }
  json output = {{"ResultsByTime", std::move(results)}, {"DimensionValueAttributes", json::array()}};
  if (query.group_by_service) output["GroupDefinitions"] = json::array({{{"Type", "DIMENSION"}, {"Key", "SERVICE"}}});
  return output;
}

WireError CeProvider::MapError(const base::Status& status) const {
  switch (static_cast<CeError>(status.detail())) {
    case CeError::kValidation: return {"ValidationException", status.message(), 400, true};
    case CeError::kAccessDenied: return {"AccessDeniedException", status.message(), 400, true};
    case CeError::kDataUnavailable: return {"DataUnavailableException", status.message(), 400, true};
    case CeError::kUnknownOperation: return {"UnknownOperationException", status.message(), 400, true};
    case CeError::kInvalidNextToken: return {"InvalidNextTokenException", status.message(), 400, true};
  }
  base::LogEvent(base::LogLevel::kError, "ce_internal_error", {{"status", status.ToString()}});
  return {"InternalServerException", "An internal error occurred.", 500, false};
}

}  // namespace kura::api
