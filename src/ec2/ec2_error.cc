#include "ec2/ec2_error.h"

namespace kura::ec2 {

namespace {

base::StatusCode CodeFor(Ec2Error error) {
  switch (error) {
    case Ec2Error::kVolumeNotFound:
    case Ec2Error::kSnapshotNotFound:
    case Ec2Error::kAmiNotFound:
    case Ec2Error::kInstanceNotFound:
    case Ec2Error::kAttachmentNotFound:
    case Ec2Error::kAllocationNotFound:
    case Ec2Error::kAssociationNotFound:
    case Ec2Error::kAddressNotFound:
    case Ec2Error::kLoadBalancerNotFound:
    case Ec2Error::kZoneNotFound:
      return base::StatusCode::kNotFound;
    case Ec2Error::kUnauthorizedOperation:
      return base::StatusCode::kPermissionDenied;
    case Ec2Error::kIncorrectState:
    case Ec2Error::kIncorrectInstanceState:
    case Ec2Error::kIncorrectModificationState:
    case Ec2Error::kVolumeInUse:
    case Ec2Error::kSnapshotInUse:
    case Ec2Error::kIpAddressInUse:
    case Ec2Error::kResourceAlreadyAssociated:
    case Ec2Error::kOperationNotPermitted:
    case Ec2Error::kDryRunOperation:
      return base::StatusCode::kFailedPrecondition;
    case Ec2Error::kResourceLimitExceeded:
    case Ec2Error::kTagLimitExceeded:
    case Ec2Error::kAttachmentLimitExceeded:
    case Ec2Error::kInstanceLimitExceeded:
    case Ec2Error::kAddressLimitExceeded:
    case Ec2Error::kTooManyLoadBalancers:
      return base::StatusCode::kResourceExhausted;
    case Ec2Error::kAmiNameDuplicate:
    case Ec2Error::kDuplicateLoadBalancerName:
    case Ec2Error::kDuplicateListener:
      return base::StatusCode::kAlreadyExists;
    case Ec2Error::kInternal:
      return base::StatusCode::kInternal;
    case Ec2Error::kNone:
      return base::StatusCode::kOk;
    default:
      return base::StatusCode::kInvalidArgument;
  }
}

}  // namespace

base::Status Ec2Status(Ec2Error error, std::string message) {
  if (error == Ec2Error::kNone) return base::Status::Ok();
  return base::Status(CodeFor(error), static_cast<int>(error), std::move(message));
}

Ec2Error ErrorOf(const base::Status& status) {
  if (status.ok()) return Ec2Error::kNone;
  const int detail = status.detail();
  if (detail >= static_cast<int>(Ec2Error::kInvalidParameterValue) &&
      detail <= static_cast<int>(Ec2Error::kTooManyLoadBalancers)) {
    return static_cast<Ec2Error>(detail);
  }
  return Ec2Error::kInternal;
}

}  // namespace kura::ec2
