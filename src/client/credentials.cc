#include "client/credentials.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace kura::client {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Get(const EnvLookup& env, std::string_view name) {
  auto value = env(name);
  return value ? *value : std::string();
}

// "~/x" -> "$HOME/x", as botocore's os.path.expanduser.
std::string ExpandUser(const std::string& path, const EnvLookup& env) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    std::string home = Get(env, "HOME");
    if (!home.empty()) return home + path.substr(1);
  }
  return path;
}

// nullopt when the file cannot be read (absent files are not an error, as in botocore).
std::optional<IniSections> ReadIniFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return ParseIni(text.str());
}

struct FromSection {
  bool found_section = false;
  std::optional<Credentials> credentials;
  bool partial = false;
};

FromSection CredentialsIn(const std::optional<IniSections>& file, const std::string& section) {
  FromSection out;
  if (!file) return out;
  auto it = file->find(section);
  if (it == file->end()) return out;
  out.found_section = true;
  const auto& values = it->second;
  auto value = [&](const char* key) {
    auto v = values.find(key);
    return v == values.end() ? std::string() : v->second;
  };
  Credentials c{value("aws_access_key_id"), value("aws_secret_access_key"), value("aws_session_token")};
  if (c.session_token.empty()) c.session_token = value("aws_security_token");
  if (c.access_key_id.empty() && c.secret_access_key.empty()) return out;
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    out.partial = true;
    return out;
  }
  out.credentials = std::move(c);
  return out;
}

// The profile botocore uses: --profile, else AWS_DEFAULT_PROFILE, else AWS_PROFILE; "" when none is named.
std::string NamedProfile(const std::string& explicit_profile, const EnvLookup& env) {
  std::string profile = explicit_profile;
  if (profile.empty()) profile = Get(env, "AWS_DEFAULT_PROFILE");
  if (profile.empty()) profile = Get(env, "AWS_PROFILE");
  return profile;
}

std::string ConfigFilePath(const EnvLookup& env) {
  std::string config_path = Get(env, "AWS_CONFIG_FILE");
  if (config_path.empty()) config_path = "~/.aws/config";
  return ExpandUser(config_path, env);
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

IniSections ParseIni(std::string_view text) {
  IniSections sections;
  std::map<std::string, std::string>* current = nullptr;
  std::string* last_value = nullptr;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    bool indented = std::isspace(static_cast<unsigned char>(raw.front()));
    if (indented && last_value) {
      // A continuation line: botocore keeps it in the value (nested settings such as "s3 =").
      last_value->append("\n").append(line);
      continue;
    }
    if (line.front() == '[' && line.back() == ']') {
      std::string name(Trim(line.substr(1, line.size() - 2)));
      current = &sections[name];
      last_value = nullptr;
      continue;
    }
    if (!current) continue;  // a key before any section: ignored
    size_t sep = line.find_first_of("=:");
    if (sep == std::string_view::npos) continue;
    std::string key = Lower(Trim(line.substr(0, sep)));
    last_value = &((*current)[key] = std::string(Trim(line.substr(sep + 1))));
  }
  return sections;
}

base::Result<LoadedCredentials> LoadCredentials(const std::string& explicit_profile, const EnvLookup& env) {
  // 1. The environment, unless a profile was named on the command line.
  if (explicit_profile.empty()) {
    std::string access_key_id = Get(env, "AWS_ACCESS_KEY_ID");
    if (!access_key_id.empty()) {
      std::string secret = Get(env, "AWS_SECRET_ACCESS_KEY");
      if (secret.empty()) {
        return base::InvalidArgumentError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
      }
      std::string token = Get(env, "AWS_SESSION_TOKEN");
      if (token.empty()) token = Get(env, "AWS_SECURITY_TOKEN");
      return LoadedCredentials{Credentials{access_key_id, secret, token}, "environment"};
    }
  }

  std::string profile = NamedProfile(explicit_profile, env);
  bool named = !profile.empty();
  if (!named) profile = "default";

  // 2. The shared credentials file.
  std::string credentials_path = Get(env, "AWS_SHARED_CREDENTIALS_FILE");
  if (credentials_path.empty()) credentials_path = "~/.aws/credentials";
  credentials_path = ExpandUser(credentials_path, env);
  FromSection shared = CredentialsIn(ReadIniFile(credentials_path), profile);
  if (shared.partial) {
    return base::InvalidArgumentError("profile [" + profile + "] in " + credentials_path +
                                      " has only one of aws_access_key_id and aws_secret_access_key");
  }
  if (shared.credentials) {
    return LoadedCredentials{*shared.credentials, credentials_path + " [" + profile + "]"};
  }

  // 3. The config file.
  std::string config_path = ConfigFilePath(env);
  auto config = ReadIniFile(config_path);
  std::string section = "profile " + profile;
  FromSection configured = CredentialsIn(config, section);
  if (!configured.found_section && profile == "default") {
    section = "default";
    configured = CredentialsIn(config, section);
  }
  if (configured.partial) {
    return base::InvalidArgumentError("section [" + section + "] in " + config_path +
                                      " has only one of aws_access_key_id and aws_secret_access_key");
  }
  if (configured.credentials) {
    return LoadedCredentials{*configured.credentials, config_path + " [" + section + "]"};
  }

  if (named && !shared.found_section && !configured.found_section) {
    return base::NotFoundError("the config profile (" + profile + ") could not be found in " + credentials_path +
                               " or " + config_path);
  }
  return base::NotFoundError("unable to locate credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                             "put profile [" + profile + "] in " + credentials_path +
                             " (AWS_SHARED_CREDENTIALS_FILE)");
}

ProfileConfig LoadProfileConfig(const std::string& explicit_profile, const EnvLookup& env) {
  ProfileConfig out;
  out.profile = NamedProfile(explicit_profile, env);
  if (out.profile.empty()) out.profile = "default";
  out.path = ConfigFilePath(env);
  auto config = ReadIniFile(out.path);
  if (!config) return out;
  auto it = config->find("profile " + out.profile);
  if (it == config->end() && out.profile == "default") it = config->find("default");
  if (it != config->end()) out.settings = it->second;
  return out;
}

base::Result<LoadedCredentials> LoadCredentials(const std::string& explicit_profile) {
  return LoadCredentials(explicit_profile, ProcessEnv());
}

}  // namespace kura::client
