#include "kms/kms_error.h"

namespace kura::kms {

namespace {

base::StatusCode CodeFor(KmsError error) {
  using base::StatusCode;
  switch (error) {
    case KmsError::kNone: return StatusCode::kOk;
    case KmsError::kNotFound: return StatusCode::kNotFound;
    case KmsError::kDisabled:
    case KmsError::kInvalidState: return StatusCode::kFailedPrecondition;
    case KmsError::kInvalidCiphertext:
    case KmsError::kIncorrectKey: return StatusCode::kInvalidArgument;
    case KmsError::kAccessDenied:
    case KmsError::kNotAuthorized: return StatusCode::kPermissionDenied;
    case KmsError::kAlreadyExists: return StatusCode::kAlreadyExists;
    case KmsError::kLimitExceeded: return StatusCode::kResourceExhausted;
    case KmsError::kUnsupportedOperation: return StatusCode::kFailedPrecondition;
    case KmsError::kInternal: return StatusCode::kInternal;
    case KmsError::kKeyUnavailable:
    case KmsError::kDependencyTimeout: return StatusCode::kUnavailable;
    default: return StatusCode::kInvalidArgument;
  }
}

}  // namespace

base::Status KmsStatus(KmsError error, std::string message) {
  if (error == KmsError::kNone) return base::Status::Ok();
  return base::Status(CodeFor(error), static_cast<int>(error), std::move(message));
}

KmsError ErrorOf(const base::Status& status) {
  if (status.ok()) return KmsError::kNone;
  const int d = status.detail();
  if (d >= static_cast<int>(KmsError::kNotFound) && d <= static_cast<int>(KmsError::kUnknownOperation)) {
    return static_cast<KmsError>(d);
  }
  return KmsError::kInternal;
}

std::string_view KmsErrorName(KmsError error) {
  switch (error) {
    case KmsError::kNone: return "Ok";
    case KmsError::kNotFound: return "NotFound";
    case KmsError::kDisabled: return "Disabled";
    case KmsError::kInvalidState: return "InvalidState";
    case KmsError::kInvalidCiphertext: return "InvalidCiphertext";
    case KmsError::kIncorrectKey: return "IncorrectKey";
    case KmsError::kAccessDenied: return "AccessDenied";
    case KmsError::kValidation: return "Validation";
    case KmsError::kAlreadyExists: return "AlreadyExists";
    case KmsError::kInvalidAliasName: return "InvalidAliasName";
    case KmsError::kInvalidArn: return "InvalidArn";
    case KmsError::kInvalidGrantId: return "InvalidGrantId";
    case KmsError::kInvalidGrantToken: return "InvalidGrantToken";
    case KmsError::kInvalidMarker: return "InvalidMarker";
    case KmsError::kInvalidKeyUsage: return "InvalidKeyUsage";
    case KmsError::kLimitExceeded: return "LimitExceeded";
    case KmsError::kMalformedPolicyDocument: return "MalformedPolicyDocument";
    case KmsError::kTag: return "Tag";
    case KmsError::kUnsupportedOperation: return "UnsupportedOperation";
    case KmsError::kNotAuthorized: return "NotAuthorized";
    case KmsError::kInternal: return "Internal";
    case KmsError::kKeyUnavailable: return "KeyUnavailable";
    case KmsError::kDependencyTimeout: return "DependencyTimeout";
    case KmsError::kUnknownOperation: return "UnknownOperation";
  }
  return "Internal";
}

base::Status DisabledError(const std::string& key_arn) {
  return KmsStatus(KmsError::kDisabled, key_arn + " is disabled.");
}
base::Status PendingDeletionError(const std::string& key_arn) {
  return KmsStatus(KmsError::kInvalidState, key_arn + " is pending deletion.");
}
base::Status NotPendingDeletionError(const std::string& key_arn) {
  return KmsStatus(KmsError::kInvalidState, key_arn + " is not pending deletion.");
}
base::Status KeyDoesNotExistError(const std::string& key_arn) {
  return KmsStatus(KmsError::kNotFound, "Key '" + key_arn + "' does not exist");
}
base::Status ValidationError(std::string message) { return KmsStatus(KmsError::kValidation, std::move(message)); }

}  // namespace kura::kms
