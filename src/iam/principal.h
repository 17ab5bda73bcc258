// Principal: who signed a request, as policies and ARNs see it.
// Thread-safety: plain value.
#pragma once

#include <string>

namespace kura::iam {

struct Principal {
  std::string account_id;  // 12 digits
  std::string arn;         // arn:aws:iam::123456789012:root | arn:aws:iam::123456789012:user/alice
  std::string user_id;     // aws:userid: the account id for root, AIDA... for a user
  std::string user_name;   // empty for the account root

  bool is_root() const { return user_name.empty(); }
};

// "arn:aws:iam::<account>:root"
std::string AccountRootArn(const std::string& account_id);

}  // namespace kura::iam
