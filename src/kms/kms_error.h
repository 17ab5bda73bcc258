// KmsError: the KMS layer's own error kinds, carried in Status::detail().
// The API layer (src/api/kms_provider.cc) is the one place that turns them into
// AWS wire codes and HTTP statuses; this layer only names the kind and writes
// the AWS message text (kms.md §2, §5.1, §6).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace kura::kms {

// Values start at 100 so that a detail from another layer (codec, iam) is
// never mistaken for a KMS kind.
enum class KmsError {
  kNone = 0,
  kNotFound = 100,             // NotFoundException
  kDisabled,                   // DisabledException
  kInvalidState,               // KMSInvalidStateException
  kInvalidCiphertext,          // InvalidCiphertextException (empty message)
  kIncorrectKey,               // IncorrectKeyException
  kAccessDenied,               // AccessDeniedException
  kValidation,                 // ValidationException
  kAlreadyExists,              // AlreadyExistsException
  kInvalidAliasName,           // InvalidAliasNameException
  kInvalidArn,                 // InvalidArnException
  kInvalidGrantId,             // InvalidGrantIdException
  kInvalidGrantToken,          // InvalidGrantTokenException
  kInvalidMarker,              // InvalidMarkerException
  kInvalidKeyUsage,            // InvalidKeyUsageException
  kLimitExceeded,              // LimitExceededException
  kMalformedPolicyDocument,    // MalformedPolicyDocumentException
  kTag,                        // TagException
  kUnsupportedOperation,       // UnsupportedOperationException
  kNotAuthorized,              // NotAuthorizedException (reserved alias/aws/ prefix; unconfirmed)
  kInternal,                   // KMSInternalException
  kKeyUnavailable,             // KeyUnavailableException
  kDependencyTimeout,          // DependencyTimeoutException
  kUnknownOperation,           // UnknownOperationException
};

// A Status carrying `error` in detail() with a matching StatusCode.
base::Status KmsStatus(KmsError error, std::string message);

// The KmsError in `status` (kNone for OK; kInternal for a non-KMS failure).
KmsError ErrorOf(const base::Status& status);

// A stable short name for logs and audit lines ("NotFound", "AccessDenied", "Ok").
std::string_view KmsErrorName(KmsError error);

// Common messages (kms.md §5.1 footnotes).
base::Status DisabledError(const std::string& key_arn);            // E1
base::Status PendingDeletionError(const std::string& key_arn);     // E3
base::Status NotPendingDeletionError(const std::string& key_arn);  // E4
base::Status KeyDoesNotExistError(const std::string& key_arn);     // Key '<arn>' does not exist
base::Status ValidationError(std::string message);

}  // namespace kura::kms
