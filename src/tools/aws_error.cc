#include "tools/aws_error.h"

namespace kura::tools {

std::string AwsError::ToString() const {
  std::string text = code.empty() ? std::string(base::StatusCodeName(local_code)) : code;
  if (!message.empty()) text += ": " + message;
  if (http_status != 0 || !request_id.empty()) {
    text += " (";
    if (http_status != 0) text += "HTTP " + std::to_string(http_status);
    if (!request_id.empty()) text += std::string(http_status != 0 ? ", " : "") + "request id " + request_id;
    text += ")";
  }
  return text;
}

AwsError AwsError::FromStatus(const base::Status& status) {
  AwsError error;
  error.message = status.message();
  error.local_code = status.code();
  return error;
}

}  // namespace kura::tools
