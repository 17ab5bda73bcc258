// Principals for unit tests of the layers above iam: an account's root and
// an IAM user, shaped as the identity store makes them. Header-only; tests only.
#pragma once

#include <string>

#include "iam/principal.h"

namespace kura::iam::testing {

inline Principal Root(const std::string& account) {
  Principal p;
  p.account_id = account;
  p.arn = AccountRootArn(account);
  p.user_id = account;
  return p;
}

inline Principal User(const std::string& account, const std::string& name) {
  Principal p;
  p.account_id = account;
  p.arn = "arn:aws:iam::" + account + ":user/" + name;
  p.user_id = "AIDA" + name;
  p.user_name = name;
  return p;
}

}  // namespace kura::iam::testing
