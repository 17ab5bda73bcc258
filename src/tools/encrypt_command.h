// `kura encrypt plan|run|resume|rollback|cleanup`: encrypts the existing
// EBS volumes of running or stopped instances through the public EC2, KMS,
// ELB and STS APIs (plus, against kura, its NBD exports for verification).
//   plan      what would happen, its downtime, KMS requests and cost, and the
//             permission check; changes nothing (one transient KMS grant,
//             retired at once: encrypt_permissions.h);
//   run       plan + check, then (with --yes) executes, journaled; an
//             unfinished journal for the same instances is resumed instead;
//   resume    continues the unfinished run of these instances (or the only
//             one of the region);
//   rollback  puts the original volumes / instance back (--yes);
//   cleanup   deletes what the run kept for safety (--yes).
// Exit status: 0 done; 1 the plan found a missing permission, a step failed
// or a verification did not match; 2 usage or configuration errors.
// Thread-safety: a function.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "client/credentials.h"
#include "tools/aws_config.h"

namespace kura::tools {

struct EncryptCommandOptions {
  std::string command;  // plan, run, resume, rollback, cleanup
  AwsOptions aws;
  std::vector<std::string> instance_ids;
  std::vector<std::string> filters;  // "Name=tag:Team,Values=web,api" as the aws CLI takes them
  std::string method = "snapshot";
  std::string kms_key_id;            // "": the account's default EBS key
  bool stop_instance = false;
  bool no_reboot = false;
  bool terminate_old = false;
  bool yes = false;
  bool cleanup = false;              // run: clean up after success
  std::string journal_dir;           // "": ~/.kura/encrypt
  std::string output = "text";       // text or json
};

int RunEncrypt(const EncryptCommandOptions& options, const client::EnvLookup& env, std::ostream& out,
               std::ostream& err, bool terminal);

}  // namespace kura::tools
