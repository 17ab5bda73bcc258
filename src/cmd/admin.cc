#include "cmd/admin.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <deque>
#include <fstream>
#include <functional>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/admin_handler.h"
#include "client/credentials.h"
#include "client/http_client.h"
#include "client/sigv4.h"
#include "cmd/services.h"

namespace kura::cmd {

namespace {

using nlohmann::json;

// Admin calls are global; they are signed for us-east-1 as IAM's are.
constexpr char kSigningRegion[] = "us-east-1";

int Failed(std::ostream& err, const std::string& what, const base::Status& status) {
  err << "kura admin " << what << ": " << status.ToString() << "\n";
  return 1;
}

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// POST /_kura/admin/<action>; prints the answer (after `finish`, when given,
// has completed it) and returns the exit code.
int CallAdmin(const AdminClientOptions& client, const std::string& command, const std::string& action,
              const json& input, std::ostream& out, std::ostream& err,
              const std::function<base::Status(json&)>& finish = {}) {
  auto body = PostAdmin(client, action, input);
  if (!body.ok()) {
    err << "kura admin " << command << ": " << body.status().message() << "\n";
    return 1;
  }
  if (finish) {
    if (base::Status finished = finish(*body); !finished.ok()) return Failed(err, command, finished);
  }
  out << body->dump(2) << "\n";
  return 0;
}

// Writes the instance's PSK in GnuTLS psktool format ("identity:hex-key"),
// readable by its owner only, and points each TcpUri at it (libnbd's tls-psk-file).
base::Status WritePskFile(const std::string& path, json& answer) {
  std::string identity, key;
  for (const auto& e : answer["Exports"]) {
    if (e.contains("TlsPskIdentity")) {
      identity = e["TlsPskIdentity"].get<std::string>();
      key = e["TlsPsk"].get<std::string>();
    }
  }
  if (identity.empty()) return base::FailedPreconditionError("the server offers no TLS PSK for this instance (--nbd-tls off, or no exports)");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return base::ErrnoToStatus(errno, "PSK file " + path);
  const std::string line = identity + ":" + key + "\n";
  const bool written = ::fchmod(fd, 0600) == 0 && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  const int saved = errno;
  ::close(fd);
  if (!written) return base::ErrnoToStatus(saved, "PSK file " + path);
  for (auto& e : answer["Exports"]) {
    if (e.contains("TcpUri")) e["TcpUri"] = e["TcpUri"].get<std::string>() + "?tls-psk-file=" + path;
  }
  return base::Status::Ok();
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int ToInt(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// The account field of an ARN ("arn:aws:kms:us-east-1:111122223333:key/..."), or "".
std::string ArnAccount(const std::string& arn) {
  size_t pos = 0;
  for (int field = 0; field < 4; ++field) {
    pos = arn.find(':', pos);
    if (pos == std::string::npos) return "";
    ++pos;
  }
  size_t end = arn.find(':', pos);
  return end == std::string::npos ? "" : arn.substr(pos, end - pos);
}

}  // namespace

base::Result<nlohmann::json> PostAdmin(const AdminClientOptions& client, const std::string& action,
                                       const nlohmann::json& input) {
  auto endpoint = client::ParseEndpointUrl(client.endpoint_url);
  if (!endpoint.ok()) return endpoint.status();
  auto credentials = client::LoadCredentials(client.profile);
  if (!credentials.ok()) return credentials.status();
  client::SignableRequest request;
  request.method = "POST";
  request.path = endpoint->base_path + api::kAdminPathPrefix + action;
  request.headers = {{"Host", endpoint->HostHeader()}, {"Content-Type", "application/json"}};
  request.body = input.dump();
  client::SignRequest(request, credentials->credentials, kSigningRegion, api::kAdminSigningService,
                      client::AmzDate(Now()));
  auto response = client::SendHttp(*endpoint, request);
  if (!response.ok()) return response.status();
  json body = json::parse(response->body, nullptr, false);
  if (response->status != 200) {
    std::string code = "HTTP " + std::to_string(response->status), message = response->body;
    if (body.is_object() && body.contains("__type") && body["__type"].is_string()) {
      code = body["__type"].get<std::string>();
      message = body.value("message", "");
    }
    return base::Status(response->status == 404 ? base::StatusCode::kNotFound : base::StatusCode::kFailedPrecondition,
                        code + " (HTTP " + std::to_string(response->status) + "): " + message + " [credentials from " +
                            credentials->source + "]");
  }
  if (body.is_discarded()) return base::InternalError("the server answered with something that is not JSON");
  return body;
}

base::Result<int64_t> ParseIso8601(const std::string& text) {
  auto bad = [&] {
    return base::InvalidArgumentError("'" + text +
                                      "' is not an ISO 8601 date or date-time (2025-01-31 or 2025-01-31T12:00:00Z)");
  };
  std::string_view s = text;
  if (s.size() < 10 || !AllDigits(s.substr(0, 4)) || s[4] != '-' || !AllDigits(s.substr(5, 2)) || s[7] != '-' ||
      !AllDigits(s.substr(8, 2))) {
    return bad();
  }
  using namespace std::chrono;
  year_month_day date{year(ToInt(s.substr(0, 4))), month(static_cast<unsigned>(ToInt(s.substr(5, 2)))),
                      day(static_cast<unsigned>(ToInt(s.substr(8, 2))))};
  if (!date.ok()) return bad();
  int64_t seconds = duration_cast<std::chrono::seconds>(sys_days(date).time_since_epoch()).count();
  s.remove_prefix(10);
  if (s.empty()) return seconds;
  if (s[0] != 'T' && s[0] != 't' && s[0] != ' ') return bad();
  s.remove_prefix(1);
  if (s.size() < 5 || !AllDigits(s.substr(0, 2)) || s[2] != ':' || !AllDigits(s.substr(3, 2))) return bad();
  int hour = ToInt(s.substr(0, 2)), minute = ToInt(s.substr(3, 2)), second = 0;
  s.remove_prefix(5);
  if (!s.empty() && s[0] == ':') {
    if (s.size() < 3 || !AllDigits(s.substr(1, 2))) return bad();
    second = ToInt(s.substr(1, 2));
    s.remove_prefix(3);
    if (!s.empty() && (s[0] == '.' || s[0] == ',')) {
      size_t n = 1;
      while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
      if (n == 1) return bad();
      s.remove_prefix(n);  // fractions of a second: the audit log counts whole seconds
    }
  }
  if (hour > 23 || minute > 59 || second > 60) return bad();
  seconds += hour * 3600 + minute * 60 + second;
  if (s.empty() || s == "Z" || s == "z") return seconds;
  if (s[0] != '+' && s[0] != '-') return bad();
  int sign = s[0] == '+' ? 1 : -1;
  s.remove_prefix(1);
  int offset_hours = 0, offset_minutes = 0;
  if (s.size() == 2 && AllDigits(s)) {
    offset_hours = ToInt(s);
  } else if (s.size() == 4 && AllDigits(s)) {
    offset_hours = ToInt(s.substr(0, 2));
    offset_minutes = ToInt(s.substr(2, 2));
  } else if (s.size() == 5 && s[2] == ':' && AllDigits(s.substr(0, 2)) && AllDigits(s.substr(3, 2))) {
    offset_hours = ToInt(s.substr(0, 2));
    offset_minutes = ToInt(s.substr(3, 2));
  } else {
    return bad();
  }
  if (offset_hours > 23 || offset_minutes > 59) return bad();
  return seconds - sign * (offset_hours * 3600 + offset_minutes * 60);
}

int AdminCreateAccount(const AdminClientOptions& client, const CreateAccountOptions& options, std::ostream& out,
                       std::ostream& err) {
  json input = json::object();
  if (!options.account_id.empty()) input["AccountId"] = options.account_id;
  if (!options.name.empty()) input["Name"] = options.name;
  return CallAdmin(client, "create-account", "CreateAccount", input, out, err);
}

int AdminCreateAccessKey(const AdminClientOptions& client, const CreateAccessKeyOptions& options, std::ostream& out,
                         std::ostream& err) {
  if (options.access_key_id.empty() != options.secret_access_key.empty()) {
    err << "kura admin create-access-key: --access-key-id and --secret-access-key go together\n";
    return 2;
  }
  json input{{"AccountId", options.account_id}};
  if (!options.user_name.empty()) input["UserName"] = options.user_name;
  if (!options.access_key_id.empty()) {
    input["AccessKeyId"] = options.access_key_id;
    input["SecretAccessKey"] = options.secret_access_key;
  }
  return CallAdmin(client, "create-access-key", "CreateAccessKey", input, out, err);
}

int AdminNbdExports(const AdminClientOptions& client, const NbdExportsOptions& options, std::ostream& out,
                    std::ostream& err) {
  json input{{"InstanceId", options.instance_id}};
  if (!options.account_id.empty()) input["AccountId"] = options.account_id;
  std::function<base::Status(json&)> finish;
  if (!options.psk_file.empty()) finish = [&](json& answer) { return WritePskFile(options.psk_file, answer); };
  return CallAdmin(client, "nbd-exports", "NbdExports", input, out, err, finish);
}

int AdminAudit(const AuditOptions& options, std::ostream& out, std::ostream& err) {
  std::optional<int64_t> since;
  if (!options.since.empty()) {
    auto parsed = ParseIso8601(options.since);
    if (!parsed.ok()) return Failed(err, "audit", parsed.status());
    since = *parsed;
  }
  if (options.limit < 0) return Failed(err, "audit", base::InvalidArgumentError("--limit must not be negative"));
  std::string path = options.data_dir + "/audit.log";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Failed(err, "audit", base::NotFoundError("cannot read " + path + " (is --data-dir the server's?)"));
  }
  std::deque<std::string> matches;
  std::string line;
  while (std::getline(in, line)) {
    // A line still being appended (no newline yet) or damaged does not parse: skip it.
    json record = json::parse(line, nullptr, false);
    if (!record.is_object()) continue;
    if (!options.account.empty()) {
      std::string caller = record.value("account", "");
      std::string key_account = ArnAccount(record.value("keyArn", ""));
      if (caller != options.account && key_account != options.account) continue;
    }
    if (!options.operation.empty() && record.value("operation", "") != options.operation) continue;
    if (since) {
      auto time = record.find("time");
      if (time == record.end() || !time->is_number_integer() || time->get<int64_t>() < *since) continue;
    }
    matches.push_back(std::move(line));
    if (options.limit > 0 && matches.size() > static_cast<size_t>(options.limit)) matches.pop_front();
  }
  for (const std::string& match : matches) out << match << "\n";
  return 0;
}

int AdminCost(const CostOptions& options, std::ostream& out, std::ostream& err) {
  ServicesOptions services_options;
  services_options.data_dir = options.data_dir;
  services_options.metadata = options.metadata;
  services_options.root_key_file = options.root_key_file;
  services_options.root_key_passphrase_file = options.root_key_passphrase_file;
  services_options.mode = ServicesMode::kTool;
  auto services = OpenServices(services_options);
  if (!services.ok()) return Failed(err, "cost", services.status());
  auto account = services->identities->GetAccount(options.account);
  if (!account.ok()) return Failed(err, "cost", account.status());
  auto bill = services->kms->ComputeBill(options.account, options.month);
  if (!bill.ok()) return Failed(err, "cost", bill.status());
  nlohmann::ordered_json regions = nlohmann::ordered_json::array();
  for (const auto& region : bill->regions) {
    regions.push_back(nlohmann::ordered_json{
        {"Region", region.region}, {"Requests", region.requests}, {"KeyMonths", region.key_months}});
  }
  nlohmann::ordered_json report{{"AccountId", bill->account_id},
              {"Month", bill->month},
              {"KeyMonths", bill->key_months},
              {"KeyCostUsd", bill->key_cost_usd},
              {"Requests", bill->requests},
              {"FreeRequests", bill->free_requests},
              {"BillableRequests", bill->billable_requests},
              {"RequestCostUsd", bill->request_cost_usd},
              {"TotalUsd", bill->total_usd},
              {"Regions", regions}};
  out << report.dump(2) << "\n";
  return 0;
}

}  // namespace kura::cmd
