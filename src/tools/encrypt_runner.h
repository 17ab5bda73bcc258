// The runner of `kura encrypt run|resume`: executes the steps of a journal in
// order, instance by instance, from the first one not done. For each step it
// marks it started and saves the journal, acts, records every id AWS answers
// with and saves again at once, waits for the resource to settle, then marks
// it done and saves. Every step is idempotent given the journal: an id
// already recorded is reused and only waited for; a create whose answer was
// lost is found again by its ClientToken (CreateVolume, CopyImage,
// RunInstances) or, for the calls without one (CreateSnapshot, CopySnapshot,
// CreateImage), by the tag kura-encrypt-token=<the same derived token> it
// was created with; attach/detach/stop/start look at the current state
// first. So a run killed anywhere is finished by running it again.
// The steps themselves live in encrypt_snapshot_steps.cc (--method snapshot)
// and encrypt_image_steps.cc (--method image).
// Test-only: KURA_ENCRYPT_TEST_CRASH=<n>:<point> makes the process SIGKILL
// itself at step n (1-based over the whole journal) when it reaches <point>:
// "started" (journal says started, nothing done), "created" (AWS answered a
// create, the id is not saved yet) or "done" (the step is saved as done).
// Thread-safety: one runner per journal, on one thread.
#pragma once

#include <string>

#include "tools/aws_client.h"
#include "tools/ec2_calls.h"
#include "tools/encrypt_journal.h"
#include "tools/encrypt_progress.h"
#include "tools/encrypt_waiters.h"

namespace kura::tools {

inline constexpr char kTokenTag[] = "kura-encrypt-token";

class RunContext {
 public:
  RunContext(const AwsClient& aws, Journal& journal, const JournalStore& store, std::string path,
             ProgressReporter& progress);

  const AwsClient& aws() const { return aws_; }
  Journal& journal() { return journal_; }
  ProgressReporter& progress() { return progress_; }
  const WaitOptions& wait() const { return wait_; }

  // Saves the journal now (updated_at stamped); an error is fatal to the run.
  AwsStatus Save();
  // The test-only crash hook (see above) for the step being run.
  void CrashPoint(const char* point) const;
  void SetStepNumber(int n) { step_number_ = n; }

 private:
  const AwsClient& aws_;
  Journal& journal_;
  const JournalStore& store_;
  std::string path_;
  ProgressReporter& progress_;
  WaitOptions wait_;
  int crash_step_ = 0;
  std::string crash_point_;
  int step_number_ = 0;
};

// Runs every step not done. On a failure the journal says "failed" with the
// error, the step stays "started", and the error is returned.
AwsStatus RunJournal(RunContext& ctx);

// One step of each method (encrypt_snapshot_steps.cc, encrypt_image_steps.cc).
AwsStatus RunSnapshotStep(RunContext& ctx, JournalInstance& instance, Step& step);
AwsStatus RunImageStep(RunContext& ctx, JournalInstance& instance, Step& step);

// Shared by the steps: the id of the caller's own snapshot/image tagged
// kura-encrypt-token=`token`, "" when there is none (a create not made yet).
AwsResult<std::string> FindTaggedSnapshot(const AwsClient& aws, const std::string& token);
AwsResult<std::string> FindTaggedImage(const AwsClient& aws, const std::string& token);
// SHA-256 of `volume_id` attached to running `instance_id` into `digest`, or
// the reason it cannot be read into `why`.
void ChecksumAttached(const AwsClient& aws, const std::string& instance_id, const std::string& volume_id,
                      std::string& digest, std::string& why);
// The same for a snapshot, through a staged export.
void ChecksumSnapshot(const AwsClient& aws, const std::string& snapshot_id, std::string& digest, std::string& why);
AwsError LocalError(const std::string& message);

// The create every step shares: when `id` is empty, makes `call`, takes the
// new id from the answer at `id_path` (ec2_calls.h CreatedId) and saves the
// journal at once; an empty id in the answer is an error.
AwsStatus CreateOnce(RunContext& ctx, const Ec2Call& call, const char* id_path, std::string& id);

// State changes that look first (encrypt_snapshot_steps.cc; rollback uses them too):
// detach `volume_id` from `instance_id` unless it is not attached there; attach it
// at `device` unless attached already; stop the instance (stopped_by_run saved
// first) unless stopped; start it unless running. Each waits for the end state.
AwsStatus DetachIfAttached(RunContext& ctx, const std::string& volume_id, const std::string& instance_id);
AwsStatus AttachIfDetached(RunContext& ctx, const std::string& volume_id, const std::string& instance_id,
                           const std::string& device);
AwsStatus StopForRun(RunContext& ctx, JournalInstance& instance);
AwsStatus StartInstance(RunContext& ctx, const std::string& instance_id);

}  // namespace kura::tools
