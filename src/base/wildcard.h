// Glob matching with `*` (any run, also empty) and `?` (one character), as
// EC2 filters and IAM/KMS policies compare names, actions and ARNs. One
// implementation for every layer that matches such patterns outside the
// policy engine (ec2 filters, the client tools' key-policy reading).
// Thread-safety: pure functions.
#pragma once

#include <string_view>

namespace kura::base {

// Iterative, backtracking only to the last `*`: linear in practice and never
// recursive, so a hostile pattern cannot blow the stack. `fold_case`
// compares ASCII letters case-insensitively (IAM actions); EC2 filters do not.
bool WildcardMatch(std::string_view pattern, std::string_view text, bool fold_case = false);

}  // namespace kura::base
