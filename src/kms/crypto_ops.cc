// KmsService: cryptographic operations (kms.md §6.3).
#include "crypto/random.h"
#include "kms/ciphertext.h"
#include "kms/identifiers.h"
#include "kms/kms_error.h"
#include "kms/kms_service.h"
#include "kms/kms_service_trace.h"

namespace kura::kms {

namespace {

base::Status InvalidCiphertext() { return KmsStatus(KmsError::kInvalidCiphertext, ""); }

base::Status KeyUsable(const KeyRecord& key) {
  if (key.state == KeyState::kDisabled) return DisabledError(key.arn);
  if (key.state == KeyState::kPendingDeletion) return PendingDeletionError(key.arn);
  return base::Status::Ok();
}

base::Status CheckAlgorithm(const std::string& algorithm, const std::string& member, const KeyRecord& key) {
  if (algorithm.empty() || algorithm == kSymmetricDefault) return base::Status::Ok();
  if (algorithm == "RSAES_OAEP_SHA_1" || algorithm == "RSAES_OAEP_SHA_256" || algorithm == "SM2PKE") {
    return KmsStatus(KmsError::kInvalidKeyUsage, "Incompatible encryption algorithm " + algorithm + " for key " +
                                                     key.arn + " with key spec SYMMETRIC_DEFAULT.");
  }
  return ValidationError("1 validation error detected: Value '" + algorithm + "' at '" + member +
                         "' failed to satisfy constraint: Member must satisfy enum value set: [SYMMETRIC_DEFAULT, "
                         "RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]");
}

base::Status CheckPlaintextSize(size_t size) {
  if (size < 1) {
    return ValidationError("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member "
                           "must have length greater than or equal to 1");
  }
  if (size > kMaxPlaintextBytes) {
    return ValidationError("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member "
                           "must have length less than or equal to 4096");
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<std::vector<uint8_t>> KmsService::SealUnder(const KeyRecord& key, const EncryptionContext& context,
                                                         std::span<const uint8_t> plaintext) {
  KURA_ASSIGN_OR_RETURN(auto material, Material(key, key.current_version));
  return SealCiphertext(header_key_, *material, CiphertextHeader{key.arn, key.current_version}, context, plaintext);
}

base::Result<EncryptResult> KmsService::Encrypt(const Caller& caller, const EncryptRequest& request) {
  Trace trace(this, caller, "Encrypt");
  trace.SetContext(request.encryption_context);
  return trace.Done([&]() -> base::Result<EncryptResult> {
    KURA_RETURN_IF_ERROR(ValidateTokens(request.grant_tokens));
    KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, request.key_id, true));
    trace.SetKey(r.key.arn);
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:Encrypt", r.key)
                                               .WithContext(request.encryption_context)
                                               .ByGrant(GrantOperation::kEncrypt)
                                               .ViaAlias(r.alias_name)));
    KURA_RETURN_IF_ERROR(KeyUsable(r.key));
    KURA_RETURN_IF_ERROR(CheckAlgorithm(request.encryption_algorithm, "encryptionAlgorithm", r.key));
    KURA_RETURN_IF_ERROR(CheckPlaintextSize(request.plaintext.size()));
    EncryptResult out;
    KURA_ASSIGN_OR_RETURN(out.ciphertext_blob, SealUnder(r.key, request.encryption_context, request.plaintext.span()));
    out.key_arn = r.key.arn;
    return out;
  }());
}

base::Result<KmsService::Opened> KmsService::OpenBlob(const Caller& caller, std::span<const uint8_t> blob,
                                                      const EncryptionContext& context, const std::string& key_id,
                                                      const std::string& algorithm, std::string_view action,
                                                      GrantOperation grant_op, Trace& trace) {
  KURA_RETURN_IF_ERROR(CheckRegion(caller));
  if (blob.empty()) {
    return ValidationError("1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: "
                           "Member must have length greater than or equal to 1");
  }
  auto header = ParseCiphertextHeader(header_key_, blob);
  if (!header.ok()) return InvalidCiphertext();
  ParsedArn arn;
  if (!SplitArn(header->key_arn, &arn) || arn.region != caller.region) return InvalidCiphertext();
  if (!key_id.empty()) {
    KURA_ASSIGN_OR_RETURN(auto named, Resolve(caller, key_id, true));
    if (named.key.arn != header->key_arn) {
      return KmsStatus(KmsError::kIncorrectKey,
                       "The key ID in the request does not identify a CMK that can perform this operation.");
    }
  }
  trace.SetKey(header->key_arn);
  KURA_ASSIGN_OR_RETURN(auto key, LoadKey(header->key_arn));
  KURA_RETURN_IF_ERROR(
      Authorize(caller, Authorization::OnKey(std::string(action), key).WithContext(context).ByGrant(grant_op)));
  KURA_RETURN_IF_ERROR(KeyUsable(key));
  KURA_RETURN_IF_ERROR(CheckAlgorithm(algorithm, action == "kms:Decrypt" ? "encryptionAlgorithm"
                                                                         : "sourceEncryptionAlgorithm",
                                      key));
  auto material = Material(key, header->key_version);
  if (!material.ok()) {
    if (material.status().code() == base::StatusCode::kNotFound) return InvalidCiphertext();
    return material.status();
  }
  auto plaintext = OpenCiphertext(header_key_, **material, blob, context);
  if (!plaintext.ok()) return InvalidCiphertext();
  return Opened{std::move(key), std::move(plaintext).value()};
}

base::Result<DecryptResult> KmsService::Decrypt(const Caller& caller, const DecryptRequest& request) {
  Trace trace(this, caller, "Decrypt");
  trace.SetContext(request.encryption_context);
  return trace.Done([&]() -> base::Result<DecryptResult> {
    KURA_RETURN_IF_ERROR(ValidateTokens(request.grant_tokens));
    KURA_ASSIGN_OR_RETURN(auto opened, OpenBlob(caller, request.ciphertext_blob, request.encryption_context,
                                                request.key_id, request.encryption_algorithm, "kms:Decrypt",
                                                GrantOperation::kDecrypt, trace));
    DecryptResult out;
    out.key_arn = opened.key.arn;
    out.plaintext = std::move(opened.plaintext);
    return out;
  }());
}

base::Result<DataKeyResult> KmsService::DataKey(const Caller& caller, const DataKeyRequest& request,
                                                bool with_plaintext, Trace& trace) {
  KURA_RETURN_IF_ERROR(ValidateTokens(request.grant_tokens));
  KURA_ASSIGN_OR_RETURN(auto r, Resolve(caller, request.key_id, true));
  trace.SetKey(r.key.arn);
  KURA_RETURN_IF_ERROR(Authorize(
      caller, Authorization::OnKey(with_plaintext ? "kms:GenerateDataKey" : "kms:GenerateDataKeyWithoutPlaintext",
                                   r.key)
                  .WithContext(request.encryption_context)
                  .ByGrant(with_plaintext ? GrantOperation::kGenerateDataKey
                                          : GrantOperation::kGenerateDataKeyWithoutPlaintext)
                  .ViaAlias(r.alias_name)));
  KURA_RETURN_IF_ERROR(KeyUsable(r.key));
  if (request.number_of_bytes && request.key_spec) {
    return ValidationError("Please specify either number of bytes or key spec, not both.");
  }
  if (!request.number_of_bytes && !request.key_spec) {
    return ValidationError("Please specify either number of bytes or key spec.");
  }
  size_t size = 0;
  if (request.number_of_bytes) {
    const int n = *request.number_of_bytes;
    if (n < 1 || n > 1024) {
      return ValidationError("1 validation error detected: Value '" + std::to_string(n) +
                             "' at 'numberOfBytes' failed to satisfy constraint: Member must have value " +
                             (n < 1 ? "greater than or equal to 1" : "less than or equal to 1024"));
    }
    size = static_cast<size_t>(n);
  } else if (*request.key_spec == "AES_256") {
    size = 32;
  } else if (*request.key_spec == "AES_128") {
    size = 16;
  } else {
    return ValidationError("1 validation error detected: Value '" + *request.key_spec +
                           "' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: "
                           "[AES_256, AES_128]");
  }
  KURA_ASSIGN_OR_RETURN(auto data_key, crypto::RandomSecret(size));
  DataKeyResult out;
  KURA_ASSIGN_OR_RETURN(out.ciphertext_blob, SealUnder(r.key, request.encryption_context, data_key.span()));
  out.key_arn = r.key.arn;
  if (with_plaintext) out.plaintext = std::move(data_key);
  return out;
}

base::Result<DataKeyResult> KmsService::GenerateDataKey(const Caller& caller, const DataKeyRequest& request) {
  Trace trace(this, caller, "GenerateDataKey");
  trace.SetContext(request.encryption_context);
  return trace.Done(DataKey(caller, request, true, trace));
}

base::Result<DataKeyResult> KmsService::GenerateDataKeyWithoutPlaintext(const Caller& caller,
                                                                        const DataKeyRequest& request) {
  Trace trace(this, caller, "GenerateDataKeyWithoutPlaintext");
  trace.SetContext(request.encryption_context);
  return trace.Done(DataKey(caller, request, false, trace));
}

base::Result<ReEncryptResult> KmsService::ReEncrypt(const Caller& caller, const ReEncryptRequest& request) {
  Trace trace(this, caller, "ReEncrypt");
  trace.SetContext(request.destination_encryption_context);
  return trace.Done([&]() -> base::Result<ReEncryptResult> {
    KURA_RETURN_IF_ERROR(ValidateTokens(request.grant_tokens));
    KURA_ASSIGN_OR_RETURN(auto source, OpenBlob(caller, request.ciphertext_blob, request.source_encryption_context,
                                                request.source_key_id, request.source_encryption_algorithm,
                                                "kms:ReEncryptFrom", GrantOperation::kReEncryptFrom, trace));
    KURA_ASSIGN_OR_RETURN(auto dest, Resolve(caller, request.destination_key_id, true));
    trace.SetKey(dest.key.arn);
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::OnKey("kms:ReEncryptTo", dest.key)
                                               .WithContext(request.destination_encryption_context)
                                               .ByGrant(GrantOperation::kReEncryptTo)
                                               .ViaAlias(dest.alias_name)));
    KURA_RETURN_IF_ERROR(KeyUsable(dest.key));
    KURA_RETURN_IF_ERROR(
        CheckAlgorithm(request.destination_encryption_algorithm, "destinationEncryptionAlgorithm", dest.key));
    ReEncryptResult out;
    KURA_ASSIGN_OR_RETURN(out.ciphertext_blob,
                          SealUnder(dest.key, request.destination_encryption_context, source.plaintext.span()));
    out.source_key_arn = source.key.arn;
    out.key_arn = dest.key.arn;
    return out;
  }());
}

base::Result<crypto::SecretBytes> KmsService::GenerateRandom(const Caller& caller, int number_of_bytes) {
  Trace trace(this, caller, "GenerateRandom");
  return trace.Done([&]() -> base::Result<crypto::SecretBytes> {
    KURA_RETURN_IF_ERROR(CheckRegion(caller));
    KURA_RETURN_IF_ERROR(Authorize(caller, Authorization::Iam("kms:GenerateRandom")));
    if (number_of_bytes < 1 || number_of_bytes > 1024) {
      return ValidationError("1 validation error detected: Value '" + std::to_string(number_of_bytes) +
                             "' at 'numberOfBytes' failed to satisfy constraint: Member must have value " +
                             (number_of_bytes < 1 ? "greater than or equal to 1" : "less than or equal to 1024"));
    }
    return crypto::RandomSecret(static_cast<size_t>(number_of_bytes));
  }());
}

}  // namespace kura::kms
