#include "ec2/types.h"

namespace kura::ec2 {

const char* Name(VolumeState s) {
  switch (s) {
    case VolumeState::kCreating: return "creating";
    case VolumeState::kAvailable: return "available";
    case VolumeState::kInUse: return "in-use";
    case VolumeState::kDeleting: return "deleting";
    case VolumeState::kDeleted: return "deleted";
    case VolumeState::kError: return "error";
  }
  return "error";
}

const char* Name(AttachmentState s) {
  switch (s) {
    case AttachmentState::kAttaching: return "attaching";
    case AttachmentState::kAttached: return "attached";
    case AttachmentState::kDetaching: return "detaching";
    case AttachmentState::kDetached: return "detached";
  }
  return "detached";
}

const char* Name(SnapshotState s) {
  switch (s) {
    case SnapshotState::kPending: return "pending";
    case SnapshotState::kCompleted: return "completed";
    case SnapshotState::kError: return "error";
  }
  return "error";
}

const char* Name(ImageState s) {
  switch (s) {
    case ImageState::kPending: return "pending";
    case ImageState::kAvailable: return "available";
    case ImageState::kFailed: return "failed";
    case ImageState::kDeregistered: return "deregistered";
  }
  return "failed";
}

const char* Name(InstanceState s) {
  switch (s) {
    case InstanceState::kPending: return "pending";
    case InstanceState::kRunning: return "running";
    case InstanceState::kShuttingDown: return "shutting-down";
    case InstanceState::kTerminated: return "terminated";
    case InstanceState::kStopping: return "stopping";
    case InstanceState::kStopped: return "stopped";
  }
  return "terminated";
}

int Code(InstanceState s) {
  switch (s) {
    case InstanceState::kPending: return 0;
    case InstanceState::kRunning: return 16;
    case InstanceState::kShuttingDown: return 32;
    case InstanceState::kTerminated: return 48;
    case InstanceState::kStopping: return 64;
    case InstanceState::kStopped: return 80;
  }
  return 48;
}

}  // namespace kura::ec2
