#include "api/http.h"

#include <cstddef>

namespace kura::api {

namespace {

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const std::string* HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (EqualsIgnoreCase(name, lower_name)) return &value;
  }
  return nullptr;
}

std::string_view HttpRequest::Path() const {
  std::string_view t(target);
  size_t q = t.find('?');
  return q == std::string_view::npos ? t : t.substr(0, q);
}

std::string_view HttpRequest::Query() const {
  std::string_view t(target);
  size_t q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

void HttpResponse::SetHeader(std::string name, std::string value) {
  bool replaced = false;
  for (auto it = headers.begin(); it != headers.end();) {
    if (!EqualsIgnoreCase(it->first, name)) {
      ++it;
      continue;
    }
    if (!replaced) {
      // Keep the position of the first occurrence; the new spelling of the name wins.
      it->first = name;
      it->second = std::move(value);
      replaced = true;
      ++it;
    } else {
      it = headers.erase(it);
    }
  }
  if (!replaced) headers.emplace_back(std::move(name), std::move(value));
}

std::string PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>((hi << 4) | lo);
        i += 2;
        continue;
      }
      out += c;  // malformed escape: kept literally
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseFormEncoded(std::string_view in, bool plus_is_space) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos <= in.size()) {
    size_t amp = in.find('&', pos);
    if (amp == std::string_view::npos) amp = in.size();
    std::string_view part = in.substr(pos, amp - pos);
    if (!part.empty()) {
      size_t eq = part.find('=');
      if (eq == std::string_view::npos) {
        out.emplace_back(PercentDecode(part, plus_is_space), std::string());
      } else {
        out.emplace_back(PercentDecode(part.substr(0, eq), plus_is_space),
                         PercentDecode(part.substr(eq + 1), plus_is_space));
      }
    }
    pos = amp + 1;
  }
  return out;
}

}  // namespace kura::api
