#include "tools/audit_command.h"

#include <chrono>
#include <ostream>

#include "tools/audit_render.h"
#include "tools/aws_client.h"

namespace kura::tools {

namespace {

constexpr int kExitError = 2;

int Failed(std::ostream& err, const std::string& message) {
  err << "kura audit: " << message << "\n";
  return kExitError;
}

}  // namespace

int RunAudit(const AuditCommandOptions& options, const client::EnvLookup& env, std::ostream& out, std::ostream& err) {
  if (options.output != "text" && options.output != "json" && options.output != "csv") {
    return Failed(err, "--output must be text, json or csv");
  }
  auto aws = AwsClient::Create(options.aws, env);
  if (!aws.ok()) return Failed(err, aws.status().message());
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto inventory = CollectInventory(*aws, now);
  if (!inventory.ok()) {
    return Failed(err, inventory.error().ToString() + " [credentials from " + aws->credentials_source() + "]");
  }
  AuditReport report = BuildAuditReport(*inventory);
  if (options.output == "json") {
    out << RenderAuditJson(report);
  } else if (options.output == "csv") {
    out << RenderAuditCsv(report);
  } else {
    out << RenderAuditText(report);
  }
  return report.ExitCode();
}

}  // namespace kura::tools
