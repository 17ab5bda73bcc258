// Ec2Error: the EC2/EBS/ELB domain's error kinds, carried in Status::detail().
// This layer names the kind and writes AWS's message text; the API layer
// (src/api/ec2_provider.cc, elb_provider.cc) is the one place that turns a
// kind into the wire code ("InvalidVolume.NotFound") and HTTP status.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace kura::ec2 {

// Values start at 300 so that a detail from another layer (codec 1-4, kms 100+)
// is never mistaken for an EC2 kind.
enum class Ec2Error {
  kNone = 0,
  // Generic parameter problems.
  kInvalidParameterValue = 300,  // InvalidParameterValue
  kMissingParameter,             // MissingParameter
  kInvalidParameterDependency,   // InvalidParameterDependency
  kInvalidParameterCombination,  // InvalidParameterCombination
  kInvalidParameter,             // InvalidParameter
  kInvalidId,                    // InvalidID
  kIdempotentParameterMismatch,  // IdempotentParameterMismatch
  kUnauthorizedOperation,        // UnauthorizedOperation (403)
  kDryRunOperation,              // DryRunOperation (412)
  kOperationNotPermitted,        // OperationNotPermitted
  kUnsupportedOperation,         // UnsupportedOperation
  kIncorrectState,               // IncorrectState
  kIncorrectInstanceState,       // IncorrectInstanceState
  kIncorrectModificationState,   // IncorrectModificationState
  kResourceLimitExceeded,        // ResourceLimitExceeded
  kTagLimitExceeded,             // TagLimitExceeded
  kInternal,                     // InternalError (500)
  // Volumes.
  kVolumeNotFound,               // InvalidVolume.NotFound
  kVolumeIdMalformed,            // InvalidVolumeID.Malformed
  kVolumeZoneMismatch,           // InvalidVolume.ZoneMismatch
  kVolumeInUse,                  // VolumeInUse
  kAttachmentNotFound,           // InvalidAttachment.NotFound
  kAttachmentLimitExceeded,      // AttachmentLimitExceeded
  kEncryptedVolumesNotSupported, // EncryptedVolumesNotSupported
  kZoneNotFound,                 // InvalidZone.NotFound
  // Snapshots.
  kSnapshotNotFound,             // InvalidSnapshot.NotFound
  kSnapshotIdMalformed,          // InvalidSnapshotID.Malformed
  kSnapshotInUse,                // InvalidSnapshot.InUse
  // Images.
  kAmiNotFound,                  // InvalidAMIID.NotFound
  kAmiIdMalformed,               // InvalidAMIID.Malformed
  kAmiNameDuplicate,             // InvalidAMIName.Duplicate
  kAmiAttributeItemValue,        // InvalidAMIAttributeItemValue
  // Instances.
  kInstanceNotFound,             // InvalidInstanceID.NotFound
  kInstanceIdMalformed,          // InvalidInstanceID.Malformed
  kInvalidInstanceType,          // InvalidInstanceType
  kInstanceLimitExceeded,        // InstanceLimitExceeded
  // Elastic IPs.
  kAllocationNotFound,           // InvalidAllocationID.NotFound
  kAssociationNotFound,          // InvalidAssociationID.NotFound
  kAddressNotFound,              // InvalidAddress.NotFound
  kIpAddressInUse,               // InvalidIPAddress.InUse
  kResourceAlreadyAssociated,    // Resource.AlreadyAssociated
  kAddressLimitExceeded,         // AddressLimitExceeded
  // Classic ELB.
  kLoadBalancerNotFound,         // LoadBalancerNotFound
  kDuplicateLoadBalancerName,    // DuplicateLoadBalancerName
  kInvalidInstance,              // InvalidInstance
  kInvalidConfigurationRequest,  // InvalidConfigurationRequest (409)
  kDuplicateListener,            // DuplicateListener
  kUnsupportedProtocol,          // UnsupportedProtocol
  kElbValidation,                // ValidationError
  kTooManyLoadBalancers,         // TooManyLoadBalancers
};

// A Status carrying `error` in detail() with a fitting StatusCode.
base::Status Ec2Status(Ec2Error error, std::string message);

// The Ec2Error in `status` (kNone for OK; kInternal for a non-EC2 failure).
Ec2Error ErrorOf(const base::Status& status);

}  // namespace kura::ec2
