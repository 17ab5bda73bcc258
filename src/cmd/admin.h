// `kura admin ...`: the operator's commands.
//   create-account, create-access-key: call the admin API of a RUNNING server
//     (POST /_kura/admin/<Action>, SigV4 for the service "kura"), authenticated
//     with the credentials the aws CLI would use (client/credentials.h);
//   nbd-exports: how NBD clients reach a running instance's volumes;
//   audit: prints matching lines of <data dir>/audit.log;
//   cost: prints an account's KMS bill for a month from the data directory
//     (the server may be running).
// Each returns the process exit code (0 ok, 1 failure, 2 bad usage) after
// printing JSON to `out` or a message to `err`.
// Thread-safety: functions only.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "cmd/metadata_config.h"

namespace kura::cmd {

struct AdminClientOptions {
  std::string endpoint_url = "http://127.0.0.1:8080";
  std::string profile;  // --profile; empty: AWS_PROFILE, else `default`
};

struct CreateAccountOptions {
  std::string account_id;  // empty: a random id
  std::string name;
};

struct CreateAccessKeyOptions {
  std::string account_id;
  std::string user_name;          // empty: the account root
  std::string access_key_id;      // chosen id and secret, both or neither
  std::string secret_access_key;
};

struct NbdExportsOptions {
  std::string instance_id;
  std::string account_id;  // the operator may name another account
  std::string psk_file;    // when set: the instance's TLS PSK is written here (0600) and TcpUri points at it
};

struct AuditOptions {
  std::string data_dir;
  std::string account;    // matches the caller's account or the account of the key used
  std::string operation;  // "Encrypt"
  std::string since;      // ISO 8601: "2025-01-31", "2025-01-31T12:00:00Z", "...+09:00"
  int64_t limit = 0;      // the last N matching lines; 0: all
};

struct CostOptions {
  std::string data_dir;
  MetadataConfig metadata;
  std::string account;
  std::string month;  // "YYYY-MM"
  std::string root_key_file;
  std::string root_key_passphrase_file;
};

int AdminCreateAccount(const AdminClientOptions& client, const CreateAccountOptions& options, std::ostream& out,
                       std::ostream& err);
int AdminCreateAccessKey(const AdminClientOptions& client, const CreateAccessKeyOptions& options, std::ostream& out,
                         std::ostream& err);
// The NBD exports of a running instance (JSON: InstanceId, Exports[VolumeId, Uri, TcpUri, TlsPsk…]).
int AdminNbdExports(const AdminClientOptions& client, const NbdExportsOptions& options, std::ostream& out,
                    std::ostream& err);
int AdminAudit(const AuditOptions& options, std::ostream& out, std::ostream& err);
int AdminCost(const CostOptions& options, std::ostream& out, std::ostream& err);

// POST /_kura/admin/<action> to a running server, signed with the aws CLI's
// credentials; the answer's JSON, or a Status naming the error code and message.
base::Result<nlohmann::json> PostAdmin(const AdminClientOptions& client, const std::string& action,
                                       const nlohmann::json& input);

// ISO 8601 date or date-time -> Unix seconds: "2025-01-31" (UTC midnight),
// "2025-01-31T12:34:56Z", with fractional seconds, or with an offset "+09:00" / "-0500";
// a date-time without a zone is UTC. InvalidArgument otherwise.
base::Result<int64_t> ParseIso8601(const std::string& text);

}  // namespace kura::cmd
