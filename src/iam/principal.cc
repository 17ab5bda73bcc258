#include "iam/principal.h"

namespace kura::iam {

std::string AccountRootArn(const std::string& account_id) {
  return "arn:aws:iam::" + account_id + ":root";
}

}  // namespace kura::iam
