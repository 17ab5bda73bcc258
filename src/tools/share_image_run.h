// RunShareImage with its streams and seams given: what `kura encrypt
// share-image` does (share_image_command.h), for tests that script AWS's
// answers (AwsClientHooks) and time (WaitHooks) and read what it printed.
// Thread-safety: a function; the streams are used from the calling thread.
#pragma once

#include <iosfwd>

#include "client/credentials.h"
#include "tools/aws_client.h"
#include "tools/copy_progress.h"
#include "tools/share_image_command.h"

namespace kura::tools {

// Where the command reads and writes, and the seams for tests.
struct ShareImageIo {
  std::ostream& out;  // the result (text or JSON), the statement to add
  std::ostream& err;  // progress, notes, errors
  std::istream& in;   // the answer to a confirmation
  bool terminal = false;  // stdin and stderr are a terminal: prompts and a redrawn progress line
  AwsClientHooks aws_hooks;
  WaitHooks wait_hooks;
};

int RunShareImage(const ShareImageOptions& options, const client::EnvLookup& env, ShareImageIo& io);

}  // namespace kura::tools
