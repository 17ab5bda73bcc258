// The pruned botocore service models (see prune_model.py and the .ops files),
// embedded in the binary at build time.
// Thread-safety: returns views of immutable static data.
#pragma once

#include <string_view>

namespace kura::api {

// The minified JSON model of `service` ("kms", "iam", "sts", "ec2", "elb", "ce");
// empty when there is no such embedded model.
std::string_view EmbeddedModel(std::string_view service);

}  // namespace kura::api
