#include "ec2/key_resolution.h"

#include "ec2/ec2_error.h"

namespace kura::ec2 {

std::string DefaultKeyOf(const EbsSettings& settings) {
  return settings.default_kms_key_arn.empty() ? std::string(kAwsEbsAlias) : settings.default_kms_key_arn;
}

base::Result<KeyChoice> ResolveKey(const KeyRequest& request, const EbsSettings& settings) {
  const bool asked_encrypted = request.encrypted.value_or(false);
  if (!request.kms_key_id.empty() && !asked_encrypted) {
    return Ec2Status(Ec2Error::kInvalidParameterDependency,
                     "The parameter KmsKeyId requires the parameter Encrypted to be set.");
  }
  const KeySourceInfo& source = request.source;
  KeyChoice choice;
  if (source.exists && source.encrypted) {
    // Encrypted data never becomes unencrypted: Encrypted=false is ignored.
    choice.encrypted = true;
    if (!request.kms_key_id.empty()) {
      choice.key_id = request.kms_key_id;
      choice.origin = KeyOrigin::kRequested;
      choice.reencrypt = request.kms_key_id != source.key_arn || !source.same_region;
    } else if (source.owned && source.same_region) {
      choice.key_id = source.key_arn;
      choice.origin = KeyOrigin::kSource;
    } else {
      // A source shared with the caller (its key is not the caller's to
      // keep using), or a copy into another region (keys are regional):
      // the caller's default key of the destination, re-encrypting.
      // For shared sources the spec leaves this unconfirmed; AMI and launch
      // rules say "your default key", which we follow everywhere.
      choice.key_id = DefaultKeyOf(settings);
      choice.origin = KeyOrigin::kDefault;
      choice.reencrypt = true;
    }
    return choice;
  }
  // Unencrypted or no source: encrypted when asked or by default (EBD wins over Encrypted=false).
  if (!asked_encrypted && !settings.encryption_by_default) return choice;
  choice.encrypted = true;
  if (!request.kms_key_id.empty()) {
    choice.key_id = request.kms_key_id;
    choice.origin = KeyOrigin::kRequested;
  } else {
    choice.key_id = DefaultKeyOf(settings);
    choice.origin = KeyOrigin::kDefault;
  }
  // Encrypting existing unencrypted data is a full copy under a new data key.
  choice.reencrypt = source.exists;
  return choice;
}

void SettleResolvedKey(KeyChoice& choice, const std::string& resolved_arn, const KeySourceInfo& source) {
  if (!choice.encrypted || choice.origin == KeyOrigin::kSource) return;
  if (source.exists && source.encrypted && source.owned && source.same_region && resolved_arn == source.key_arn) {
    choice.key_id = source.key_arn;
    choice.origin = KeyOrigin::kSource;
    choice.reencrypt = false;
  }
}

}  // namespace kura::ec2
