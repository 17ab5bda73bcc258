#include "tools/encrypt_runner.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "tools/volume_checksum.h"

namespace kura::tools {

namespace {

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

AwsError LocalError(const std::string& message) {
  AwsError e;
  e.message = message;
  e.local_code = base::StatusCode::kFailedPrecondition;
  return e;
}

AwsStatus CreateOnce(RunContext& ctx, const Ec2Call& call, const char* id_path, std::string& id) {
  if (!id.empty()) return Done{};
  KURA_AWS_ASSIGN_OR_RETURN(XmlResponse r, Perform(ctx.aws(), call));
  ctx.CrashPoint("created");
  id = CreatedId(r, id_path);
  if (id.empty()) return LocalError(call.action + " answered without " + id_path);
  return ctx.Save();
}

RunContext::RunContext(const AwsClient& aws, Journal& journal, const JournalStore& store, std::string path,
                       ProgressReporter& progress)
    : aws_(aws), journal_(journal), store_(store), path_(std::move(path)), progress_(progress) {
  if (const char* crash = std::getenv("KURA_ENCRYPT_TEST_CRASH")) {
    const std::string spec = crash;
    const size_t colon = spec.find(':');
    crash_step_ = std::atoi(spec.substr(0, colon).c_str());
    crash_point_ = colon == std::string::npos ? "done" : spec.substr(colon + 1);
  }
}

AwsStatus RunContext::Save() {
  journal_.updated_at = Now();
  base::Status saved = store_.Save(path_, journal_);
  if (!saved.ok()) return AwsError::FromStatus(saved);
  return Done{};
}

void RunContext::CrashPoint(const char* point) const {
  if (crash_step_ != 0 && crash_step_ == step_number_ && crash_point_ == point) ::kill(::getpid(), SIGKILL);
}

AwsStatus RunJournal(RunContext& ctx) {
  Journal& journal = ctx.journal();
  journal.state = kRunInProgress;
  journal.error.clear();
  KURA_AWS_RETURN_IF_ERROR(ctx.Save());
  int number = 0;
  for (JournalInstance& instance : journal.instances) {
    for (Step& step : instance.steps) {
      ctx.SetStepNumber(++number);
      if (step.status == StepStatus::kDone) continue;
      const std::string name = instance.instance_id + " " + StepKindName(step.kind) +
                               (step.volume_id.empty() ? "" : " " + step.volume_id);
      ctx.progress().Line((step.status == StepStatus::kStarted ? "resuming " : "") + name);
      step.status = StepStatus::kStarted;
      KURA_AWS_RETURN_IF_ERROR(ctx.Save());
      ctx.CrashPoint("started");
      AwsStatus done = journal.method == EncryptMethod::kSnapshot ? RunSnapshotStep(ctx, instance, step)
                                                                    : RunImageStep(ctx, instance, step);
      if (!done.ok()) {
        journal.state = kRunFailed;
        journal.error = name + ": " + done.error().ToString();
        (void)ctx.Save();  // the failure is what the user needs; a failed save adds nothing
        return done.error();
      }
      step.status = StepStatus::kDone;
      KURA_AWS_RETURN_IF_ERROR(ctx.Save());
      ctx.CrashPoint("done");
    }
  }
  journal.state = kRunCompleted;
  return ctx.Save();
}

namespace {

QueryParams TokenFilter(const std::string& token) {
  return {{"Owner.1", "self"}, {"Filter.1.Name", std::string("tag:") + kTokenTag}, {"Filter.1.Value.1", token}};
}

}  // namespace

AwsResult<std::string> FindTaggedSnapshot(const AwsClient& aws, const std::string& token) {
  KURA_AWS_ASSIGN_OR_RETURN(auto all, DescribeSnapshots(aws, TokenFilter(token)));
  return all.empty() ? std::string() : all.front().snapshot_id;
}

AwsResult<std::string> FindTaggedImage(const AwsClient& aws, const std::string& token) {
  KURA_AWS_ASSIGN_OR_RETURN(auto all, DescribeImages(aws, TokenFilter(token)));
  return all.empty() ? std::string() : all.front().image_id;
}

namespace {

void Record(const base::Result<DeviceDigest>& sum, std::string& digest, std::string& why) {
  if (!sum.ok()) {
    why = "not verified: " + sum.status().message();
    return;
  }
  digest = sum->sha256_hex;
}

constexpr char kNotOnAws[] = "not verified: AWS has no API to read a volume's bytes (kura only, through NBD)";

}  // namespace

void ChecksumAttached(const AwsClient& aws, const std::string& instance_id, const std::string& volume_id,
                      std::string& digest, std::string& why) {
  if (!CanVerifyContent(aws)) {
    why = kNotOnAws;
    return;
  }
  Record(AttachedVolumeSha256(aws, instance_id, volume_id), digest, why);
}

void ChecksumSnapshot(const AwsClient& aws, const std::string& snapshot_id, std::string& digest, std::string& why) {
  if (!CanVerifyContent(aws)) {
    why = kNotOnAws;
    return;
  }
  Record(SnapshotSha256(aws, snapshot_id), digest, why);
}

}  // namespace kura::tools
