// Credentials as the aws CLI (botocore) finds them, for kura's own client
// commands:
//   1. the environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN,
//      or the older AWS_SECURITY_TOKEN) — skipped when a profile is named explicitly
//      (--profile), as botocore does;
//   2. the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, default
//      ~/.aws/credentials), section [<profile>];
//   3. the config file (AWS_CONFIG_FILE, default ~/.aws/config), section
//      [profile <profile>] (or [default] for the profile `default`).
// The profile is the explicit one, else AWS_PROFILE (or AWS_DEFAULT_PROFILE), else `default`.
// Roles, SSO, credential_process and instance metadata are not supported.
// Thread-safety: functions only.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "client/sigv4.h"

namespace kura::client {

// Reads an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
// The process environment.
EnvLookup ProcessEnv();

// INI text as botocore's config parser reads it: [section] headers, `key = value`
// (or `key: value`), comment lines starting with '#' or ';', keys lower-cased,
// values trimmed; indented lines continue the previous value (nested settings).
using IniSections = std::map<std::string, std::map<std::string, std::string>, std::less<>>;
IniSections ParseIni(std::string_view text);

struct LoadedCredentials {
  Credentials credentials;
  std::string source;  // "environment", or the file and section they came from
};

// `explicit_profile`: the --profile option, empty when not given.
// NotFound (naming where it looked) when no credentials are found; InvalidArgument
// when a profile has only half a key pair.
base::Result<LoadedCredentials> LoadCredentials(const std::string& explicit_profile, const EnvLookup& env);

// The active profile's settings in the config file (section [profile NAME], or
// [default] for the profile `default`), found as LoadCredentials finds it;
// `settings` is empty when the file or the section is absent.
struct ProfileConfig {
  std::string profile;
  std::string path;
  std::map<std::string, std::string> settings;
};
ProfileConfig LoadProfileConfig(const std::string& explicit_profile, const EnvLookup& env);
base::Result<LoadedCredentials> LoadCredentials(const std::string& explicit_profile);

}  // namespace kura::client
