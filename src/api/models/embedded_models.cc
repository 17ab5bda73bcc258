#include "api/models/embedded_models.h"

// Defined by the generated <service>_model.S files (.incbin of the pruned JSON).
#define KURA_DECLARE_MODEL(service)              \
  extern "C" const char kura_model_##service##_begin[]; \
  extern "C" const char kura_model_##service##_end[];
KURA_DECLARE_MODEL(kms)
KURA_DECLARE_MODEL(iam)
KURA_DECLARE_MODEL(sts)
KURA_DECLARE_MODEL(ec2)
KURA_DECLARE_MODEL(elb)
KURA_DECLARE_MODEL(ce)
#undef KURA_DECLARE_MODEL

namespace kura::api {

std::string_view EmbeddedModel(std::string_view service) {
#define KURA_MODEL_CASE(name)                                                  \
  if (service == #name) {                                                      \
    return std::string_view(kura_model_##name##_begin,                         \
                            static_cast<size_t>(kura_model_##name##_end - kura_model_##name##_begin)); \
  }
  KURA_MODEL_CASE(kms)
  KURA_MODEL_CASE(iam)
  KURA_MODEL_CASE(sts)
  KURA_MODEL_CASE(ec2)
  KURA_MODEL_CASE(elb)
  KURA_MODEL_CASE(ce)
#undef KURA_MODEL_CASE
  return {};
}

}  // namespace kura::api
