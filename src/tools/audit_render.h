// Renderings of an AuditReport:
//   text — for a terminal: a summary, an aligned table of findings, the keys at
//          risk with the resources that depend on them, the month's KMS cost;
//   json — one object with stable, documented field names (README, `kura audit`);
//   csv  — RFC 4180, a header then one row per finding:
//          ResourceType,ResourceId,Finding,KmsKeyId,Detail.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "tools/audit_report.h"

namespace kura::tools {

std::string RenderAuditText(const AuditReport& report);
std::string RenderAuditJson(const AuditReport& report);
std::string RenderAuditCsv(const AuditReport& report);

}  // namespace kura::tools
