// The IAM policy language. Decisions taken where AWS leaves room (kept in line
// with the AWS IAM documentation wherever it says something):
//
// * Parsing: element names ("Effect", "Action", ...) and Effect values are
//   case-sensitive, condition operator names and the ForAnyValue:/ForAllValues:
//   prefixes are not. Unknown elements are malformed. Version must be
//   "2012-10-17" or "2008-10-17" when present; policy variables (${...}) are
//   substituted only under "2012-10-17" (otherwise they are literal text).
// * A key-policy statement without Action/NotAction or Resource/NotResource is
//   accepted and never matches (KMS behaviour); an identity policy needs both.
// * Principals: "*" or {"AWS": "*"} is anyone; a 12-digit account id or
//   arn:<partition>:iam::<account>:root names the account; any other IAM/STS
//   ARN names exactly that principal. Wildcards inside principals are
//   malformed. {"Service": ...} matches only when the request carries the
//   condition key kServicePrincipalConditionKey with that value; Federated and
//   CanonicalUser principals are accepted and never match.
// * NotPrincipal is only allowed with Deny. A caller escapes it only when every
//   level of its identity is listed: its account (id or root ARN) and, for an
//   IAM user, also its user ARN (AWS checks the account first, so listing the
//   user alone still denies it, as the AWS documentation warns).
// * Conditions: a missing (or empty) key makes a condition false, except for
//   negated operators (String/Arn/Numeric/Date Not*, NotIpAddress) and
//   ...IfExists which are true, ForAllValues: which is true and Null. Policy
//   values of one key are ORed (negated operators: none may match); keys and
//   operators are ANDed. A request value of the wrong type (a non-number for
//   Numeric*, ...) never satisfies the condition, negated or not. Without a
//   set prefix a multi-valued key matches when any value matches (negated:
//   when no value matches).
// * Bool, Null, Numeric*, Date* and IpAddress policy values are type-checked at
//   parse time (unless they contain a policy variable).
#include "iam/policy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace kura::iam {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------- strings

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

bool EndsWithIgnoreCase(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && EqualsIgnoreCase(s.substr(s.size() - suffix.size()), suffix);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// ---------------------------------------------------------------- patterns

// A pattern character: a literal or a wildcard. Text substituted for a policy
// variable is always literal, even if it contains '*' or '?'.
struct Token {
  enum Kind : std::uint8_t { kLiteral, kStar, kQuestion };
  char c;
  Kind kind;
};
using Pattern = std::vector<Token>;

void AppendPatternText(std::string_view s, Pattern* out) {
  for (char c : s) {
    out->push_back({c, c == '*' ? Token::kStar : c == '?' ? Token::kQuestion : Token::kLiteral});
  }
}

void AppendLiteral(std::string_view s, Pattern* out) {
  for (char c : s) out->push_back({c, Token::kLiteral});
}

std::string PatternText(const Pattern& p) {
  std::string out;
  out.reserve(p.size());
  for (const Token& t : p) out.push_back(t.c);
  return out;
}

bool CharEq(char a, char b, bool ci) { return ci ? Lower(a) == Lower(b) : a == b; }

// Greedy matching with backtracking to the last star: O(n*m) worst case.
bool MatchTokens(const Token* p, std::size_t pn, std::string_view v, bool ci) {
  std::size_t pi = 0, vi = 0;
  std::size_t star_pi = std::string_view::npos, star_vi = 0;
  while (vi < v.size()) {
    if (pi < pn && (p[pi].kind == Token::kQuestion ||
                    (p[pi].kind == Token::kLiteral && CharEq(p[pi].c, v[vi], ci)))) {
      ++pi;
      ++vi;
    } else if (pi < pn && p[pi].kind == Token::kStar) {
      star_pi = pi++;
      star_vi = vi;
    } else if (star_pi != std::string_view::npos) {
      pi = star_pi + 1;
      vi = ++star_vi;
    } else {
      return false;
    }
  }
  while (pi < pn && p[pi].kind == Token::kStar) ++pi;
  return pi == pn;
}

bool MatchPattern(const Pattern& p, std::string_view v, bool ci) {
  return MatchTokens(p.data(), p.size(), v, ci);
}

// ArnEquals/ArnLike: each of the six colon-separated parts is matched on its
// own (the resource part keeps any further colons), so a wildcard never spans
// a colon. A pattern that is not ARN-shaped (e.g. "*") is matched whole.
bool ArnMatch(const Pattern& p, std::string_view v) {
  std::vector<std::pair<std::size_t, std::size_t>> parts;  // [begin, end) into p
  std::size_t start = 0;
  for (std::size_t i = 0; i < p.size() && parts.size() < 5; ++i) {
    if (p[i].kind == Token::kLiteral && p[i].c == ':') {
      parts.emplace_back(start, i);
      start = i + 1;
    }
  }
  parts.emplace_back(start, p.size());
  if (parts.size() < 6) return MatchPattern(p, v, false);
  std::vector<std::string_view> vparts;
  std::size_t vstart = 0;
  for (std::size_t i = 0; i < v.size() && vparts.size() < 5; ++i) {
    if (v[i] == ':') {
      vparts.push_back(v.substr(vstart, i - vstart));
      vstart = i + 1;
    }
  }
  if (vparts.size() < 5) return false;
  vparts.push_back(v.substr(vstart));
  for (std::size_t i = 0; i < 6; ++i) {
    if (!MatchTokens(p.data() + parts[i].first, parts[i].second - parts[i].first, vparts[i], false)) {
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------- typed values

std::optional<double> ParseNumber(std::string_view s) {
  s = Trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double d = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

bool ParseDigits(std::string_view s, std::size_t pos, std::size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Seconds since the epoch from ISO 8601 ("2024-01-31", "2024-01-31T12:00Z",
// "2024-01-31T12:00:00.5+02:00", no zone = UTC) or from epoch seconds.
std::optional<double> ParseDate(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  const bool all_numeric = std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
  if (all_numeric) return ParseNumber(s);
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ParseDigits(s, 0, 4, &year) || s.size() < 10 || s[4] != '-' || !ParseDigits(s, 5, 2, &month) ||
      s[7] != '-' || !ParseDigits(s, 8, 2, &day)) {
    return std::nullopt;
  }
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return std::nullopt;
  if (day > kDays[static_cast<std::size_t>(month - 1)] + ((month == 2 && IsLeap(year)) ? 1 : 0)) return std::nullopt;
  std::size_t pos = 10;
  double fraction = 0;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ')) {
    if (!ParseDigits(s, pos + 1, 2, &hour) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ParseDigits(s, pos + 4, 2, &minute)) {
      return std::nullopt;
    }
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!ParseDigits(s, pos + 1, 2, &second)) return std::nullopt;
      pos += 3;
      if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        std::size_t end = pos + 1;
        while (end < s.size() && s[end] >= '0' && s[end] <= '9') ++end;
        if (end == pos + 1) return std::nullopt;
        std::string frac = "0." + std::string(s.substr(pos + 1, end - pos - 1));
        auto f = ParseNumber(frac);
        if (!f) return std::nullopt;
        fraction = *f;
        pos = end;
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  }
  int offset_seconds = 0;
  if (pos < s.size()) {
    if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
      pos += 1;
    } else if (s[pos] == '+' || s[pos] == '-') {
      const int sign = s[pos] == '+' ? 1 : -1;
      int oh = 0, om = 0;
      if (!ParseDigits(s, pos + 1, 2, &oh)) return std::nullopt;
      std::size_t p = pos + 3;
      if (p < s.size() && s[p] == ':') ++p;
      if (p < s.size()) {
        if (!ParseDigits(s, p, 2, &om)) return std::nullopt;
        p += 2;
      }
      if (p != s.size() || oh > 23 || om > 59) return std::nullopt;
      offset_seconds = sign * (oh * 3600 + om * 60);
      pos = p;
    } else {
      return std::nullopt;
    }
  }
  const std::int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return static_cast<double>(secs) + fraction;
}

// An IPv4 or IPv6 address, or a CIDR block of either.
struct IpBlock {
  int family = 0;  // AF_INET or AF_INET6
  std::array<unsigned char, 16> bytes{};
  int prefix = 0;
};

std::optional<IpBlock> ParseIp(std::string_view s, bool allow_prefix) {
  s = Trim(s);
  IpBlock b;
  std::string addr(s);
  int prefix = -1;
  if (auto slash = s.find('/'); slash != std::string_view::npos) {
    if (!allow_prefix) return std::nullopt;
    addr = std::string(s.substr(0, slash));
    std::string_view p = s.substr(slash + 1);
    if (p.empty() || p.size() > 3) return std::nullopt;
    int v = 0;
    if (!ParseDigits(p, 0, p.size(), &v)) return std::nullopt;
    prefix = v;
  }
  if (inet_pton(AF_INET, addr.c_str(), b.bytes.data()) == 1) {
    b.family = AF_INET;
    if (prefix > 32) return std::nullopt;
    b.prefix = prefix < 0 ? 32 : prefix;
  } else if (inet_pton(AF_INET6, addr.c_str(), b.bytes.data()) == 1) {
    b.family = AF_INET6;
    if (prefix > 128) return std::nullopt;
    b.prefix = prefix < 0 ? 128 : prefix;
  } else {
    return std::nullopt;
  }
  return b;
}

bool IpInBlock(const IpBlock& block, const IpBlock& ip) {
  if (block.family != ip.family) return false;
  int bits = block.prefix;
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    const unsigned mask = bits >= 8 ? 0xFFu : (0xFFu << (8 - bits)) & 0xFFu;
    if ((block.bytes[i] & mask) != (ip.bytes[i] & mask)) return false;
  }
  return true;
}

bool IsBoolText(std::string_view s) { return EqualsIgnoreCase(s, "true") || EqualsIgnoreCase(s, "false"); }

// ---------------------------------------------------------------- conditions

enum class BaseOp {
  kStringEquals,
  kStringEqualsIgnoreCase,
  kStringLike,
  kArn,
  kBool,
  kNull,
  kBinaryEquals,
  kIpAddress,
  kNumericEquals,
  kNumericLessThan,
  kNumericLessThanEquals,
  kNumericGreaterThan,
  kNumericGreaterThanEquals,
  kDateEquals,
  kDateLessThan,
  kDateLessThanEquals,
  kDateGreaterThan,
  kDateGreaterThanEquals,
};

enum class SetOp { kNone, kForAnyValue, kForAllValues };

struct OpInfo {
  std::string_view name;
  BaseOp op;
  bool negated;
};

constexpr OpInfo kOperators[] = {
    {"StringEquals", BaseOp::kStringEquals, false},
    {"StringNotEquals", BaseOp::kStringEquals, true},
    {"StringEqualsIgnoreCase", BaseOp::kStringEqualsIgnoreCase, false},
    {"StringNotEqualsIgnoreCase", BaseOp::kStringEqualsIgnoreCase, true},
    {"StringLike", BaseOp::kStringLike, false},
    {"StringNotLike", BaseOp::kStringLike, true},
    {"ArnEquals", BaseOp::kArn, false},
    {"ArnLike", BaseOp::kArn, false},
    {"ArnNotEquals", BaseOp::kArn, true},
    {"ArnNotLike", BaseOp::kArn, true},
    {"Bool", BaseOp::kBool, false},
    {"Null", BaseOp::kNull, false},
    {"BinaryEquals", BaseOp::kBinaryEquals, false},
    {"IpAddress", BaseOp::kIpAddress, false},
    {"NotIpAddress", BaseOp::kIpAddress, true},
    {"NumericEquals", BaseOp::kNumericEquals, false},
    {"NumericNotEquals", BaseOp::kNumericEquals, true},
    {"NumericLessThan", BaseOp::kNumericLessThan, false},
    {"NumericLessThanEquals", BaseOp::kNumericLessThanEquals, false},
    {"NumericGreaterThan", BaseOp::kNumericGreaterThan, false},
    {"NumericGreaterThanEquals", BaseOp::kNumericGreaterThanEquals, false},
    {"DateEquals", BaseOp::kDateEquals, false},
    {"DateNotEquals", BaseOp::kDateEquals, true},
    {"DateLessThan", BaseOp::kDateLessThan, false},
    {"DateLessThanEquals", BaseOp::kDateLessThanEquals, false},
    {"DateGreaterThan", BaseOp::kDateGreaterThan, false},
    {"DateGreaterThanEquals", BaseOp::kDateGreaterThanEquals, false},
};

bool IsNumeric(BaseOp op) { return op >= BaseOp::kNumericEquals && op <= BaseOp::kNumericGreaterThanEquals; }
bool IsDate(BaseOp op) { return op >= BaseOp::kDateEquals && op <= BaseOp::kDateGreaterThanEquals; }

struct Condition {
  std::string op_name;  // as written
  BaseOp op = BaseOp::kStringEquals;
  bool negated = false;
  bool if_exists = false;
  SetOp set = SetOp::kNone;
  std::string key;  // lower-cased
  std::vector<std::string> values;
};

struct ParsedOperator {
  BaseOp op;
  bool negated;
  bool if_exists;
  SetOp set;
};

std::optional<ParsedOperator> ParseOperator(std::string_view name) {
  ParsedOperator out{BaseOp::kStringEquals, false, false, SetOp::kNone};
  if (StartsWithIgnoreCase(name, "ForAnyValue:")) {
    out.set = SetOp::kForAnyValue;
    name.remove_prefix(12);
  } else if (StartsWithIgnoreCase(name, "ForAllValues:")) {
    out.set = SetOp::kForAllValues;
    name.remove_prefix(13);
  }
  if (EndsWithIgnoreCase(name, "IfExists")) {
    out.if_exists = true;
    name.remove_suffix(8);
  }
  for (const OpInfo& info : kOperators) {
    if (EqualsIgnoreCase(info.name, name)) {
      if (info.op == BaseOp::kNull && (out.if_exists || out.set != SetOp::kNone)) return std::nullopt;
      out.op = info.op;
      out.negated = info.negated;
      return out;
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- principals

struct PrincipalSet {
  bool any = false;                   // "*" or {"AWS": "*"}
  std::vector<std::string> accounts;  // 12-digit ids (from ids and root ARNs)
  std::vector<std::string> arns;      // exact principal ARNs (users, roles, ...)
  std::vector<std::string> services;  // "ec2.amazonaws.com"
};

bool IsAccountId(std::string_view s) {
  return s.size() == 12 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

struct PolicyDocument::Statement {
  std::size_t index = 0;  // 1-based
  std::string sid;
  bool allow = false;
  bool variables = false;  // Version 2012-10-17: ${...} is substituted
  bool has_action = false;
  bool not_action = false;
  std::vector<std::string> actions;
  bool has_resource = false;
  bool not_resource = false;
  std::vector<std::string> resources;
  bool has_principal = false;
  bool not_principal = false;
  PrincipalSet principals;
  std::vector<Condition> conditions;
};

namespace {

using Statement = PolicyDocument::Statement;

base::Status Malformed(std::string message) {
  return base::Status(base::StatusCode::kInvalidArgument, static_cast<int>(PolicyError::kMalformed),
                      std::move(message));
}

// A SAX consumer that only records the syntax error, to explain bad JSON.
class SyntaxErrorSax : public json::json_sax_t {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(json::number_integer_t) override { return true; }
  bool number_unsigned(json::number_unsigned_t) override { return true; }
  bool number_float(json::number_float_t, const json::string_t&) override { return true; }
  bool string(json::string_t&) override { return true; }
  bool binary(json::binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(json::string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
    message = ex.what();
    if (auto pos = message.find("] "); message.rfind("[json.exception", 0) == 0 && pos != std::string::npos) {
      message.erase(0, pos + 2);
    }
    return false;
  }
  std::string message;
};

std::string DescribeSyntaxError(std::string_view text) {
  SyntaxErrorSax sax;
  const bool ok = json::sax_parse(text.begin(), text.end(), &sax);
  if (ok || sax.message.empty()) return "syntax error";
  return sax.message;
}

class StatementParser {
 public:
  StatementParser(std::size_t index, PolicyKind kind, bool variables) : kind_(kind) {
    st_ = std::make_shared<Statement>();
    st_->index = index;
    st_->variables = variables;
  }

  base::Result<std::shared_ptr<const Statement>> Parse(const json& j) {
    if (!j.is_object()) return Error("must be a JSON object");
    if (auto it = j.find("Sid"); it != j.end()) {
      if (!it->is_string()) return Error("Sid must be a string");
      st_->sid = it->get_ref<const std::string&>();
    }
    static constexpr std::array<std::string_view, 9> kElements = {
        "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"};
    for (const auto& item : j.items()) {
      if (std::find(kElements.begin(), kElements.end(), item.key()) == kElements.end()) {
        return Error("unknown element '" + item.key() + "'");
      }
    }

    auto effect = j.find("Effect");
    if (effect == j.end()) return Error("missing Effect");
    if (!effect->is_string()) return Error("Effect must be \"Allow\" or \"Deny\"");
    const std::string& e = effect->get_ref<const std::string&>();
    if (e == "Allow") {
      st_->allow = true;
    } else if (e == "Deny") {
      st_->allow = false;
    } else {
      return Error("invalid Effect '" + e + "' (must be \"Allow\" or \"Deny\")");
    }

    KURA_RETURN_IF_ERROR(ParseActions(j));
    KURA_RETURN_IF_ERROR(ParseResources(j));
    KURA_RETURN_IF_ERROR(ParsePrincipals(j));
    if (auto it = j.find("Condition"); it != j.end()) KURA_RETURN_IF_ERROR(ParseConditions(*it));
    return std::shared_ptr<const Statement>(st_);
  }

 private:
  base::Status Error(const std::string& problem) const {
    std::string label = "Statement " + std::to_string(st_->index);
    if (!st_->sid.empty()) label += " (Sid \"" + st_->sid + "\")";
    return Malformed(label + ": " + problem);
  }

  // A string or an array of strings.
  base::Status StringList(const json& j, std::string_view element, std::vector<std::string>* out) const {
    if (j.is_string()) {
      out->push_back(j.get_ref<const std::string&>());
      return base::Status::Ok();
    }
    if (j.is_array()) {
      for (const json& v : j) {
        if (!v.is_string()) return Error(std::string(element) + " must be a string or an array of strings");
        out->push_back(v.get_ref<const std::string&>());
      }
      return base::Status::Ok();
    }
    return Error(std::string(element) + " must be a string or an array of strings");
  }

  base::Status ParseActions(const json& j) {
    auto action = j.find("Action");
    auto not_action = j.find("NotAction");
    if (action != j.end() && not_action != j.end()) return Error("has both Action and NotAction");
    if (action == j.end() && not_action == j.end()) {
      if (kind_ == PolicyKind::kIdentity) return Error("missing Action or NotAction");
      return base::Status::Ok();  // accepted; never matches
    }
    st_->has_action = true;
    st_->not_action = not_action != j.end();
    const char* name = st_->not_action ? "NotAction" : "Action";
    KURA_RETURN_IF_ERROR(StringList(st_->not_action ? *not_action : *action, name, &st_->actions));
    for (const std::string& a : st_->actions) {
      if (a == "*") continue;
      const auto colon = a.find(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == a.size()) {
        return Error(std::string(name) + " '" + a + "' must be \"*\" or \"service:action\"");
      }
    }
    return base::Status::Ok();
  }

  base::Status ParseResources(const json& j) {
    auto resource = j.find("Resource");
    auto not_resource = j.find("NotResource");
    if (resource != j.end() && not_resource != j.end()) return Error("has both Resource and NotResource");
    if (resource == j.end() && not_resource == j.end()) {
      if (kind_ == PolicyKind::kIdentity) return Error("missing Resource or NotResource");
      return base::Status::Ok();  // accepted; never matches
    }
    st_->has_resource = true;
    st_->not_resource = not_resource != j.end();
    const char* name = st_->not_resource ? "NotResource" : "Resource";
    KURA_RETURN_IF_ERROR(StringList(st_->not_resource ? *not_resource : *resource, name, &st_->resources));
    for (const std::string& r : st_->resources) {
      if (r != "*" && r.rfind("arn:", 0) != 0) {
        return Error(std::string(name) + " '" + r + "' must be \"*\" or an ARN");
      }
    }
    return base::Status::Ok();
  }

  base::Status ParsePrincipals(const json& j) {
    auto principal = j.find("Principal");
    auto not_principal = j.find("NotPrincipal");
    const bool has_p = principal != j.end();
    const bool has_np = not_principal != j.end();
    if (kind_ == PolicyKind::kIdentity) {
      if (has_p) return Error("Principal is not allowed in an identity-based policy");
      if (has_np) return Error("NotPrincipal is not allowed in an identity-based policy");
      return base::Status::Ok();
    }
    if (has_p && has_np) return Error("has both Principal and NotPrincipal");
    if (!has_p && !has_np) return Error("missing Principal or NotPrincipal");
    if (has_np && st_->allow) return Error("NotPrincipal is only supported with Effect \"Deny\"");
    st_->has_principal = true;
    st_->not_principal = has_np;
    const char* name = has_np ? "NotPrincipal" : "Principal";
    const json& p = has_np ? *not_principal : *principal;
    PrincipalSet& set = st_->principals;
    if (p.is_string()) {
      if (p.get_ref<const std::string&>() != "*") return Error(std::string(name) + " must be \"*\" or an object");
      set.any = true;
      return base::Status::Ok();
    }
    if (!p.is_object()) return Error(std::string(name) + " must be \"*\" or an object");
    for (const auto& item : p.items()) {
      std::vector<std::string> values;
      KURA_RETURN_IF_ERROR(StringList(item.value(), std::string(name) + " " + item.key(), &values));
      if (item.key() == "AWS") {
        for (const std::string& v : values) KURA_RETURN_IF_ERROR(AddAwsPrincipal(v, &set));
      } else if (item.key() == "Service") {
        for (const std::string& v : values) {
          if (v.empty() || v.find_first_of("*?") != std::string::npos) {
            return Error("invalid service principal '" + v + "'");
          }
          set.services.push_back(v);
        }
      } else if (item.key() == "Federated" || item.key() == "CanonicalUser") {
        for (const std::string& v : values) {
          if (v.empty()) return Error("empty " + item.key() + " principal");
        }
        // Accepted; kura has no such principals, so these never match.
      } else {
        return Error("unknown principal type '" + item.key() + "' (expected AWS, Service, Federated or CanonicalUser)");
      }
    }
    return base::Status::Ok();
  }

  base::Status AddAwsPrincipal(const std::string& v, PrincipalSet* set) const {
    if (v == "*") {
      set->any = true;
      return base::Status::Ok();
    }
    if (IsAccountId(v)) {
      set->accounts.push_back(v);
      return base::Status::Ok();
    }
    // arn:<partition>:(iam|sts)::<account>:<resource>, no wildcards.
    std::vector<std::string_view> parts;
    std::string_view rest(v);
    for (int i = 0; i < 5; ++i) {
      auto colon = rest.find(':');
      if (colon == std::string_view::npos) break;
      parts.push_back(rest.substr(0, colon));
      rest.remove_prefix(colon + 1);
    }
    parts.push_back(rest);
    const bool valid = parts.size() == 6 && parts[0] == "arn" && !parts[1].empty() &&
                       (parts[2] == "iam" || parts[2] == "sts") && parts[3].empty() && IsAccountId(parts[4]) &&
                       !parts[5].empty() && v.find_first_of("*?") == std::string::npos;
    if (!valid) return Error("invalid AWS principal '" + v + "'");
    if (parts[2] == "iam" && parts[5] == "root") {
      set->accounts.emplace_back(parts[4]);
    } else {
      set->arns.push_back(v);
    }
    return base::Status::Ok();
  }

  base::Status ParseConditions(const json& j) {
    if (!j.is_object()) return Error("Condition must be an object");
    for (const auto& block : j.items()) {
      const std::string& op_name = block.key();
      auto op = ParseOperator(op_name);
      if (!op) return Error("unknown condition operator '" + op_name + "'");
      if (!block.value().is_object()) {
        return Error("condition operator '" + op_name + "' must map to an object of condition keys");
      }
      for (const auto& entry : block.value().items()) {
        Condition c;
        c.op_name = op_name;
        c.op = op->op;
        c.negated = op->negated;
        c.if_exists = op->if_exists;
        c.set = op->set;
        if (entry.key().empty()) return Error("empty condition key in '" + op_name + "'");
        c.key = ToLower(entry.key());
        const json& value = entry.value();
        const std::string bad = "value of condition key '" + entry.key() + "' in '" + op_name +
                                "' must be a string, number, boolean or an array of them";
        if (value.is_array()) {
          for (const json& v : value) {
            auto s = ScalarText(v);
            if (!s) return Error(bad);
            c.values.push_back(std::move(*s));
          }
        } else {
          auto s = ScalarText(value);
          if (!s) return Error(bad);
          c.values.push_back(std::move(*s));
        }
        for (const std::string& v : c.values) KURA_RETURN_IF_ERROR(CheckValue(c, entry.key(), v));
        st_->conditions.push_back(std::move(c));
      }
    }
    return base::Status::Ok();
  }

  static std::optional<std::string> ScalarText(const json& v) {
    if (v.is_string()) return v.get_ref<const std::string&>();
    if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
    if (v.is_number()) return v.dump();
    return std::nullopt;
  }

  base::Status CheckValue(const Condition& c, const std::string& key, const std::string& v) const {
    if (st_->variables && v.find("${") != std::string::npos) return base::Status::Ok();
    const std::string where = " for condition key '" + key + "' in '" + c.op_name + "'";
    if ((c.op == BaseOp::kBool || c.op == BaseOp::kNull) && !IsBoolText(v)) {
      return Error("value '" + v + "'" + where + " must be true or false");
    }
    if (IsNumeric(c.op) && !ParseNumber(v)) return Error("value '" + v + "'" + where + " is not a number");
    if (IsDate(c.op) && !ParseDate(v)) return Error("value '" + v + "'" + where + " is not a date");
    if (c.op == BaseOp::kIpAddress && !ParseIp(v, true)) {
      return Error("value '" + v + "'" + where + " is not an IP address or CIDR block");
    }
    return base::Status::Ok();
  }

  PolicyKind kind_;
  std::shared_ptr<Statement> st_;
};

// ---------------------------------------------------------------- evaluation

class EvalContext {
 public:
  explicit EvalContext(const RequestContext& request) : request_(request) {
    for (const auto& [key, values] : request.conditions) {
      auto& dst = keys_[ToLower(key)];
      dst.insert(dst.end(), values.begin(), values.end());
    }
    const Principal& p = request.principal;
    if (!p.account_id.empty()) {
      Fill("aws:principalaccount", p.account_id);
      Fill("aws:principaltype", p.is_root() ? "Account" : "User");
    }
    if (!p.arn.empty()) Fill("aws:principalarn", p.arn);
    if (!p.user_id.empty()) Fill("aws:userid", p.user_id);
    if (!p.user_name.empty()) Fill("aws:username", p.user_name);
    if (const auto* services = Find(ToLower(kServicePrincipalConditionKey))) services_ = *services;
  }

  const RequestContext& request() const { return request_; }
  const std::vector<std::string>& services() const { return services_; }

  // Values of a lower-cased key; nullptr when the key is absent or empty.
  const std::vector<std::string>* Find(const std::string& lowered) const {
    auto it = keys_.find(lowered);
    if (it == keys_.end() || it->second.empty()) return nullptr;
    return &it->second;
  }

  std::optional<std::string> SingleValue(const std::string& lowered) const {
    const auto* values = Find(lowered);
    if (values == nullptr || values->size() != 1) return std::nullopt;
    return values->front();
  }

 private:
  void Fill(const std::string& key, const std::string& value) {
    auto& dst = keys_[key];
    if (dst.empty()) dst.push_back(value);
  }

  const RequestContext& request_;
  std::map<std::string, std::vector<std::string>> keys_;
  std::vector<std::string> services_;
};

// Substitutes ${key}, ${key, 'default'}, ${*}, ${?} and ${$} when `ctx` is
// given. nullopt when a variable has no (single) value and no default: the
// element containing it then never matches.
std::optional<Pattern> Expand(std::string_view s, const EvalContext* ctx) {
  Pattern out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    if (ctx != nullptr && s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') {
      const auto close = s.find('}', i + 2);
      if (close != std::string_view::npos) {
        std::string_view inner = Trim(s.substr(i + 2, close - i - 2));
        if (inner == "*" || inner == "?" || inner == "$") {
          AppendLiteral(inner, &out);
        } else {
          std::string_view name = inner;
          std::optional<std::string> fallback;
          if (auto comma = inner.find(','); comma != std::string_view::npos) {
            name = Trim(inner.substr(0, comma));
            std::string_view def = Trim(inner.substr(comma + 1));
            if (def.size() >= 2 && def.front() == '\'' && def.back() == '\'') {
              fallback = std::string(def.substr(1, def.size() - 2));
            }
          }
          auto value = ctx->SingleValue(ToLower(name));
          if (!value) value = std::move(fallback);
          if (!value) return std::nullopt;
          AppendLiteral(*value, &out);
        }
        i = close + 1;
        continue;
      }
    }
    AppendPatternText(s.substr(i, 1), &out);
    ++i;
  }
  return out;
}

bool CompareNumbers(BaseOp op, double request, double policy) {
  switch (op) {
    case BaseOp::kNumericEquals:
    case BaseOp::kDateEquals: return request == policy;
    case BaseOp::kNumericLessThan:
    case BaseOp::kDateLessThan: return request < policy;
    case BaseOp::kNumericLessThanEquals:
    case BaseOp::kDateLessThanEquals: return request <= policy;
    case BaseOp::kNumericGreaterThan:
    case BaseOp::kDateGreaterThan: return request > policy;
    case BaseOp::kNumericGreaterThanEquals:
    case BaseOp::kDateGreaterThanEquals: return request >= policy;
    default: return false;
  }
}

// Whether request value `v` matches any of the (expanded) policy values;
// nullopt when `v` has the wrong type for the operator.
std::optional<bool> AnyPolicyValueMatches(const Condition& c, const std::vector<Pattern>& policy, std::string_view v) {
  switch (c.op) {
    case BaseOp::kStringEquals:
    case BaseOp::kBinaryEquals:
      return std::any_of(policy.begin(), policy.end(), [&](const Pattern& p) { return PatternText(p) == v; });
    case BaseOp::kStringEqualsIgnoreCase:
      return std::any_of(policy.begin(), policy.end(),
                         [&](const Pattern& p) { return EqualsIgnoreCase(PatternText(p), v); });
    case BaseOp::kStringLike:
      return std::any_of(policy.begin(), policy.end(), [&](const Pattern& p) { return MatchPattern(p, v, false); });
    case BaseOp::kArn:
      return std::any_of(policy.begin(), policy.end(), [&](const Pattern& p) { return ArnMatch(p, v); });
    case BaseOp::kBool:
      if (!IsBoolText(v)) return std::nullopt;
      return std::any_of(policy.begin(), policy.end(),
                         [&](const Pattern& p) { return EqualsIgnoreCase(PatternText(p), v); });
    case BaseOp::kIpAddress: {
      auto ip = ParseIp(v, false);
      if (!ip) return std::nullopt;
      return std::any_of(policy.begin(), policy.end(), [&](const Pattern& p) {
        auto block = ParseIp(PatternText(p), true);
        return block && IpInBlock(*block, *ip);
      });
    }
    case BaseOp::kNull: return false;  // handled by the caller
    default: break;
  }
  const bool date = IsDate(c.op);
  auto request = date ? ParseDate(v) : ParseNumber(v);
  if (!request) return std::nullopt;
  return std::any_of(policy.begin(), policy.end(), [&](const Pattern& p) {
    auto pv = date ? ParseDate(PatternText(p)) : ParseNumber(PatternText(p));
    return pv && CompareNumbers(c.op, *request, *pv);
  });
}

bool EvaluateCondition(const Condition& c, const EvalContext& ctx, bool variables) {
  const std::vector<std::string>* request = ctx.Find(c.key);
  if (c.op == BaseOp::kNull) {
    const bool absent = request == nullptr;
    return std::any_of(c.values.begin(), c.values.end(),
                       [&](const std::string& v) { return EqualsIgnoreCase(v, "true") == absent; });
  }
  if (request == nullptr) {
    if (c.if_exists) return true;
    if (c.set == SetOp::kForAllValues) return true;
    if (c.set == SetOp::kForAnyValue) return false;
    return c.negated;
  }
  std::vector<Pattern> policy;
  policy.reserve(c.values.size());
  for (const std::string& v : c.values) {
    if (auto p = Expand(v, variables ? &ctx : nullptr)) policy.push_back(std::move(*p));
  }
  auto holds_for = [&](const std::string& v) {
    auto m = AnyPolicyValueMatches(c, policy, v);
    if (!m) return false;
    return c.negated ? !*m : *m;
  };
  switch (c.set) {
    case SetOp::kForAllValues: return std::all_of(request->begin(), request->end(), holds_for);
    case SetOp::kForAnyValue: return std::any_of(request->begin(), request->end(), holds_for);
    case SetOp::kNone: break;
  }
  return c.negated ? std::all_of(request->begin(), request->end(), holds_for)
                   : std::any_of(request->begin(), request->end(), holds_for);
}

bool ActionMatches(const Statement& st, std::string_view action) {
  if (!st.has_action) return false;
  const bool any = std::any_of(st.actions.begin(), st.actions.end(), [&](const std::string& p) {
    return p == "*" || WildcardMatch(p, action, /*case_insensitive=*/true);
  });
  return st.not_action ? !any : any;
}

bool ResourceMatches(const Statement& st, const EvalContext& ctx) {
  if (!st.has_resource) return false;
  const std::string& resource = ctx.request().resource;
  const bool any = std::any_of(st.resources.begin(), st.resources.end(), [&](const std::string& r) {
    if (r == "*") return true;
    auto p = Expand(r, st.variables ? &ctx : nullptr);
    return p && MatchPattern(*p, resource, /*ci=*/false);
  });
  return st.not_resource ? !any : any;
}

bool ConditionsMatch(const Statement& st, const EvalContext& ctx) {
  return std::all_of(st.conditions.begin(), st.conditions.end(),
                     [&](const Condition& c) { return EvaluateCondition(c, ctx, st.variables); });
}

// Action, resource and conditions (not the principal).
bool StatementApplies(const Statement& st, const EvalContext& ctx) {
  return ActionMatches(st, ctx.request().action) && ResourceMatches(st, ctx) && ConditionsMatch(st, ctx);
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

enum class PrincipalMatch { kNone, kAccount, kDirect };

PrincipalMatch MatchPrincipal(const PrincipalSet& set, const EvalContext& ctx) {
  if (set.any) return PrincipalMatch::kDirect;
  for (const std::string& s : ctx.services()) {
    if (Contains(set.services, s)) return PrincipalMatch::kDirect;
  }
  const Principal& p = ctx.request().principal;
  if (!p.arn.empty() && !p.is_root() && Contains(set.arns, p.arn)) return PrincipalMatch::kDirect;
  if (!p.account_id.empty() && Contains(set.accounts, p.account_id)) return PrincipalMatch::kAccount;
  return PrincipalMatch::kNone;
}

// NotPrincipal: whether the caller is exempt (see the file comment).
bool ExcludedByNotPrincipal(const PrincipalSet& set, const EvalContext& ctx) {
  if (set.any) return true;
  for (const std::string& s : ctx.services()) {
    if (Contains(set.services, s)) return true;
  }
  const Principal& p = ctx.request().principal;
  if (p.account_id.empty() || !Contains(set.accounts, p.account_id)) return false;
  return p.is_root() || Contains(set.arns, p.arn);
}

}  // namespace

base::Result<PolicyDocument> PolicyDocument::Parse(std::string_view text, PolicyKind kind) {
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Malformed("policy is not valid JSON: " + DescribeSyntaxError(text));
  if (!doc.is_object()) return Malformed("policy must be a JSON object");
  for (const auto& item : doc.items()) {
    if (item.key() != "Version" && item.key() != "Id" && item.key() != "Statement") {
      return Malformed("unknown policy element '" + item.key() + "'");
    }
  }
  bool variables = false;
  if (auto it = doc.find("Version"); it != doc.end()) {
    if (!it->is_string()) return Malformed("Version must be a string");
    const std::string& v = it->get_ref<const std::string&>();
    if (v == "2012-10-17") {
      variables = true;
    } else if (v != "2008-10-17") {
      return Malformed("unsupported Version '" + v + "' (use \"2012-10-17\")");
    }
  }
  if (auto it = doc.find("Id"); it != doc.end() && !it->is_string()) return Malformed("Id must be a string");
  auto statements = doc.find("Statement");
  if (statements == doc.end()) return Malformed("missing Statement");
  PolicyDocument out;
  out.text_ = std::string(text);
  if (statements->is_object()) {
    StatementParser parser(1, kind, variables);
    KURA_ASSIGN_OR_RETURN(auto st, parser.Parse(*statements));
    out.statements_.push_back(std::move(st));
  } else if (statements->is_array()) {
    std::size_t index = 0;
    for (const json& j : *statements) {
      StatementParser parser(++index, kind, variables);
      KURA_ASSIGN_OR_RETURN(auto st, parser.Parse(j));
      out.statements_.push_back(std::move(st));
    }
  } else {
    return Malformed("Statement must be an object or an array of objects");
  }
  return out;
}

Decision EvaluateIdentityPolicies(const std::vector<const PolicyDocument*>& policies, const RequestContext& request) {
  const EvalContext ctx(request);
  bool allowed = false;
  for (const PolicyDocument* policy : policies) {
    if (policy == nullptr) continue;
    for (const auto& st : policy->statements()) {
      if (!StatementApplies(*st, ctx)) continue;
      if (!st->allow) return Decision::kExplicitDeny;
      allowed = true;
    }
  }
  return allowed ? Decision::kAllow : Decision::kImplicitDeny;
}

ResourcePolicyResult EvaluateResourcePolicy(const PolicyDocument& policy, const RequestContext& request) {
  const EvalContext ctx(request);
  ResourcePolicyResult result;
  for (const auto& st : policy.statements()) {
    if (!st->has_principal) continue;
    PrincipalMatch match = PrincipalMatch::kNone;
    if (st->not_principal) {
      if (ExcludedByNotPrincipal(st->principals, ctx)) continue;
      match = PrincipalMatch::kDirect;  // only with Deny (enforced by Parse)
    } else {
      match = MatchPrincipal(st->principals, ctx);
      if (match == PrincipalMatch::kNone) continue;
    }
    if (!StatementApplies(*st, ctx)) continue;
    if (!st->allow) {
      result.explicit_deny = true;
    } else if (match == PrincipalMatch::kDirect) {
      result.allows_principal = true;
    } else {
      result.allows_account = true;
    }
  }
  return result;
}

bool WildcardMatch(std::string_view pattern, std::string_view value, bool case_insensitive) {
  Pattern p;
  p.reserve(pattern.size());
  AppendPatternText(pattern, &p);
  return MatchPattern(p, value, case_insensitive);
}

}  // namespace kura::iam
