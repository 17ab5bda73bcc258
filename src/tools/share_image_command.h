// `kura encrypt share-image`: moves an AMI with encrypted snapshots to
// another account the way AWS requires. With the source credentials it
// checks the snapshots' keys (customer managed, a policy letting the target
// account use them: else it prints the statement to add and stops, or adds
// it with --update-key-policy), shares the snapshots (createVolumePermission;
// the AMI's launchPermission only with --share-launch-permission, since the
// target gets an AMI of its own); then, with --target-profile's credentials,
// copies each snapshot encrypted under the target's key and registers the
// AMI over the copies. A re-run after an interruption reuses the copies and
// the image an earlier run made (share_image_plan.h says how).
// Exit status: 0 done, 1 refused or failed (AWS's error code and message on
// stderr), 2 usage or configuration errors (no credentials, wrong account).
// This header stays light (main.cc includes it); share_image_run.h has the rest.
// Thread-safety: a function.
#pragma once

#include <string>

#include "client/credentials.h"
#include "tools/aws_config.h"

namespace kura::tools {

struct ShareImageOptions {
  AwsOptions aws;  // the source account: --endpoint-url, --region, --profile
  std::string image_id;
  std::string target_account_id;
  std::string target_profile;
  std::string target_kms_key_id;  // "" = the target account's default EBS key
  std::string target_region;      // "" = the source region
  std::string name;               // "" = the source image's name
  std::string output = "text";    // text or json
  bool yes = false;                   // no confirmation prompt
  bool update_key_policy = false;     // append the missing statement to the key policy
  bool share_launch_permission = false;
};

// Runs it on std::cout (the result, the statement to add), std::cerr
// (progress, notes, errors) and std::cin (confirmations); prompts and a
// redrawn progress line only when stdin and stderr are terminals.
// share_image_run.h has the variant with seams for tests.
int RunShareImageOnStdio(const ShareImageOptions& options, const client::EnvLookup& env);

}  // namespace kura::tools
