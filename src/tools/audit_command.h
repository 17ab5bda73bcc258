// `kura audit`: collects the inventory of the caller's account and region
// through the public APIs, judges it and prints the report. Exit status: 0
// when nothing is unencrypted, 1 when anything is, 2 on errors (the AWS error
// code and message, or what is missing locally, on `err`).
// Thread-safety: a function.
#pragma once

#include <iosfwd>
#include <string>

#include "client/credentials.h"
#include "tools/aws_config.h"

namespace kura::tools {

struct AuditCommandOptions {
  AwsOptions aws;
  std::string output = "text";  // text, json or csv
};

int RunAudit(const AuditCommandOptions& options, const client::EnvLookup& env, std::ostream& out, std::ostream& err);

}  // namespace kura::tools
