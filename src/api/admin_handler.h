// AdminHandler: kura's own administration API (not AWS's), on the same port
// as the AWS APIs:
//   POST /_kura/admin/<Action>   JSON body -> JSON body
// signed with SigV4 for the service name "kura" (any region) and verified
// against the identity store through the router's KeyOwnerLookup.
//
// Actions:
//   CreateAccount    {"AccountId"?, "Name"?}
//                    -> {"AccountId", "Name", "AccessKeyId", "SecretAccessKey"}
//                    creates the account and its first root access key.
//   CreateAccessKey  {"AccountId", "UserName"?, "AccessKeyId"?, "SecretAccessKey"?}
//                    -> {"AccountId", "UserName"?, "AccessKeyId", "SecretAccessKey"}
//                    a root key when UserName is absent; a chosen id/secret must come as a pair.
//   ReadVolume       {"InstanceId", "VolumeId", "Offset", "Length", "AccountId"?}
//                    -> {"Data": base64}
//   WriteVolume      {"InstanceId", "VolumeId", "Offset", "Data": base64, "Flush"?: bool, "AccountId"?}
//                    -> {"BytesWritten": n}
//                    bytes of an EBS volume while it is attached to the running
//                    instance (ec2::Ec2Service::OpenAttachedVolume), as the
//                    instance's OS would see them (decrypted); until the NBD
//                    server exists this is how tests and operators put data on
//                    an instance's volumes. Offset/Length are bytes (Length at
//                    most 16 MiB); Flush makes the write durable before the answer.
//                    The instance belongs to AccountId, default the caller's account.
//   NbdExports       {"InstanceId", "AccountId"?}
//                    -> {"InstanceId", "Exports": [{"VolumeId", "Uri", "TcpUri"?,
//                        "TlsPskIdentity"?, "TlsPsk"?}]}
//                    how NBD clients reach the volumes attached to a running
//                    instance: Uri on the instance's own Unix socket, TcpUri
//                    over TLS with the instance's pre-shared key (hex), which
//                    the client keeps in a PSK file ("identity:key" lines).
//                    404 NotFound for an unknown instance, 409 IncorrectState
//                    when it is not running.
//   ImportImageStart {"SizeBytes", "Encrypted"?, "KmsKeyId"?, "Region"?, "AccountId"?}
//                    -> {"VolumeId", "Uri", "SizeBytes"}: a new volume (whole GiB,
//                    encryption as CreateVolume decides it) staged for an NBD client to fill
//   ImportImageFinish {"VolumeId", "Description"?, "Region"?, "AccountId"?}
//                    -> {"SnapshotId", "VolumeSize"}: the staged volume becomes a
//                    completed snapshot and goes
//   ExportSnapshotStart {"SnapshotId", "Region"?, "AccountId"?}
//                    -> {"VolumeId", "Uri", "SizeBytes"}: a volume from the caller's own
//                    snapshot, staged for an NBD client to read
//   DiscardStagedVolume {"VolumeId", "Region"?, "AccountId"?} -> {}: ends the staging, deletes the volume
//                    (ec2::Ec2Service's disk images; errors as the volume actions').
// Authorization: the operator — the root of the bootstrap account, the first
// account of the installation — may do everything for any account; the root of
// any other account may only create access keys in its own account and read or
// write the volumes of its own instances; IAM users may do nothing here.
// Volume errors: 400 InvalidInput (bad offset/length/base64), 409
// IncorrectState (not attached to that running instance), 403 AccessDenied.
// Errors: {"__type": code, "message": text} with status 400 (malformed request,
// InvalidInput, bad signature format), 403 (authentication failed, AccessDenied),
// 404 (NoSuchEntity, UnknownOperation) or 409 (EntityAlreadyExists, LimitExceeded).
// Thread-safety: Handle may be called concurrently.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/http.h"
#include "api/router.h"
#include "base/status.h"
#include "ec2/ec2_service.h"
#include "iam/identity_store.h"

namespace kura::api {

inline constexpr char kAdminPathPrefix[] = "/_kura/admin/";
inline constexpr char kAdminSigningService[] = "kura";

// One NBD export as NbdExports reports it (filled in by the NBD server).
struct NbdExportEndpoint {
  std::string volume_id;
  std::string uri;
  std::string tcp_uri;
  std::string psk_identity;
  std::string psk_hex;
};

struct AdminOptions {
  // false: "--auth open": any well-formed credential acts as `open_account_id`'s root.
  bool verify_signatures = true;
  std::string open_account_id;
  std::function<int64_t()> clock;  // Unix seconds; default: the system clock
  std::shared_ptr<ec2::Ec2Service> ec2;  // ReadVolume/WriteVolume; null: those actions are refused
  // NbdExports: the exports of an instance; null: no NBD server, the action is refused.
  std::function<std::vector<NbdExportEndpoint>(const std::string& instance_id)> nbd_exports;
};

class AdminHandler {
 public:
  AdminHandler(AdminOptions options, std::shared_ptr<iam::IdentityStore> identities, KeyOwnerLookup lookup);

  // The response for a request under /_kura/admin/, nullopt for any other path
  // (suitable for RouterOptions::local_routes).
  std::optional<HttpResponse> Route(const HttpRequest& request);
  HttpResponse Handle(const HttpRequest& request);

 private:
  HttpResponse VolumeIo(const std::string& action, const HttpRequest& request, const iam::Principal& caller,
                        bool is_operator);
  HttpResponse NbdExports(const HttpRequest& request, const iam::Principal& caller, bool is_operator);
  HttpResponse DiskImage(const std::string& action, const HttpRequest& request, const iam::Principal& caller,
                         bool is_operator);
  // AccountId of a volume action's body (default the caller's), or AccessDenied.
  base::Result<std::string> TargetAccount(const std::string& requested, const std::string& action,
                                          const iam::Principal& caller, bool is_operator) const;

  AdminOptions options_;
  std::shared_ptr<iam::IdentityStore> identities_;
  KeyOwnerLookup lookup_;
};

// The operator's account: the bootstrap account, i.e. the installation's first
// account (earliest creation; in the same second, the one named "bootstrap",
// then the lowest id). NotFound when there is no account.
base::Result<std::string> OperatorAccountId(iam::IdentityStore& identities);

}  // namespace kura::api
