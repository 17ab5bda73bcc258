#include "tools/encrypt_command.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <ostream>

#include "tools/aws_client.h"
#include "tools/client_token.h"
#include "tools/encrypt_cleanup.h"
#include "tools/encrypt_planner.h"
#include "tools/encrypt_render.h"
#include "tools/encrypt_rollback.h"
#include "tools/sts_api.h"
#include "tools/traffic_api.h"
#include "tools/volume_checksum.h"

namespace kura::tools {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// One failure on its way to the exit status.
struct Failure {
  int exit_code;
  std::string message;
};

// "Name=tag:Team,Values=web,api" -> Filter.N.Name / Filter.N.Value.M.
base::Status AddFilter(const std::string& text, int index, QueryParams& params) {
  const size_t values = text.find(",Values=");
  if (text.rfind("Name=", 0) != 0 || values == std::string::npos) {
    return base::InvalidArgumentError("--filters must look like Name=tag:KEY,Values=V1,V2 (got '" + text + "')");
  }
  const std::string prefix = "Filter." + std::to_string(index) + ".";
  params.emplace_back(prefix + "Name", text.substr(5, values - 5));
  std::string rest = text.substr(values + 8);
  int n = 0;
  for (size_t start = 0; start <= rest.size();) {
    const size_t comma = std::min(rest.find(',', start), rest.size());
    params.emplace_back(prefix + "Value." + std::to_string(++n), rest.substr(start, comma - start));
    start = comma + 1;
  }
  return base::Status::Ok();
}

class EncryptCommand {
 public:
  EncryptCommand(const EncryptCommandOptions& options, const AwsClient& aws, std::ostream& out, std::ostream& log,
                 bool terminal)
      : options_(options),
        aws_(aws),
        out_(out),
        progress_(log, terminal),
        store_(options.journal_dir.empty() ? JournalStore::DefaultDir() : options.journal_dir) {}

  int Run(std::ostream& err) {
    const std::string& c = options_.command;
    std::optional<Failure> failure = c == "plan" ? Plan() : c == "run" ? Execute(false) : c == "resume" ? Execute(true)
                                     : c == "rollback" ? Rollback() : Cleanup();
    if (!failure) return kExitOk;
    if (!failure->message.empty()) err << "kura encrypt " << c << ": " << failure->message << "\n";
    return failure->exit_code;
  }

 private:
  // An AWS answer is a failure (1); a local InvalidArgument (a bad option) is a usage error (2).
  static Failure Api(const AwsError& e) {
    const bool usage = e.http_status == 0 && e.code.empty() && e.local_code == base::StatusCode::kInvalidArgument;
    return {usage ? kExitUsage : kExitFailed, e.ToString()};
  }
  static Failure Usage(const std::string& m) { return {kExitUsage, m}; }

  AwsResult<std::vector<InstanceInfo>> Instances() {
    if (options_.instance_ids.empty() && options_.filters.empty()) {
      return AwsError::FromStatus(base::InvalidArgumentError("name the instances: --instance-ids or --filters"));
    }
    QueryParams params;
    for (size_t i = 0; i < options_.instance_ids.size(); ++i) {
      params.emplace_back("InstanceId." + std::to_string(i + 1), options_.instance_ids[i]);
    }
    for (size_t i = 0; i < options_.filters.size(); ++i) {
      base::Status added = AddFilter(options_.filters[i], static_cast<int>(i + 1), params);
      if (!added.ok()) return AwsError::FromStatus(added);
    }
    KURA_AWS_ASSIGN_OR_RETURN(auto all, DescribeInstances(aws_, params));
    std::erase_if(all, [](const InstanceInfo& i) { return i.state == "terminated" || i.state == "shutting-down"; });
    return all;
  }

  std::vector<std::string> IdsOf(const std::vector<InstanceInfo>& instances) {
    std::vector<std::string> ids;
    for (const auto& i : instances) ids.push_back(i.instance_id);
    return ids;
  }

  AwsResult<KeyInfo> Key() {
    std::string key_id = options_.kms_key_id;
    if (key_id.empty()) {
      KURA_AWS_ASSIGN_OR_RETURN(key_id, GetEbsDefaultKmsKeyId(aws_));
    }
    return DescribeKey(aws_, key_id);
  }

  // A new journal: every instance planned, the key resolved, traffic recorded.
  std::optional<Failure> NewJournal(const std::vector<InstanceInfo>& instances, const KeyInfo& key, Journal& j) {
    auto run_id = NewClientToken();
    if (!run_id.ok()) return Failure{kExitFailed, run_id.status().message()};
    j.run_id = *run_id;
    j.method = options_.method == "image" ? EncryptMethod::kImage : EncryptMethod::kSnapshot;
    j.region = aws_.region();
    j.endpoint_url = aws_.endpoint_url();
    j.kms_key_id = key.arn;
    j.stop_instance = options_.stop_instance;
    j.no_reboot = options_.no_reboot;
    j.terminate_old = options_.terminate_old;
    j.created_at = Now();
    const PlanOptions plan_options{j.method, j.stop_instance, j.no_reboot, j.terminate_old};
    for (const auto& instance : instances) {
      auto volumes = DescribeVolumes(aws_, {{"Filter.1.Name", "attachment.instance-id"},
                                            {"Filter.1.Value.1", instance.instance_id}});
      if (!volumes.ok()) return Api(volumes.error());
      if (!NeedsEncryption(instance, *volumes)) {
        skipped_.push_back(instance.instance_id + " has no unencrypted volume: left out");
        continue;
      }
      auto planned = PlanInstance(instance, *volumes, plan_options);
      if (!planned.ok()) return Usage(planned.status().message());
      if (j.method == EncryptMethod::kImage) {
        auto addresses = AddressesOf(aws_, instance.instance_id);
        if (!addresses.ok()) return Api(addresses.error());
        planned->addresses = *addresses;
        auto lbs = LoadBalancersOf(aws_, instance.instance_id);
        if (!lbs.ok()) return Api(lbs.error());
        planned->load_balancers = *lbs;
      }
      j.instances.push_back(std::move(*planned));
    }
    if (j.instances.empty()) return Usage("nothing to encrypt: every volume of these instances is encrypted");
    return std::nullopt;
  }

  std::vector<std::string> Warnings(const Journal& j, const KeyInfo& key) {
    std::vector<std::string> w = skipped_;
    if (key.manager == "AWS") {
      w.push_back("the key is the AWS managed key alias/aws/ebs: snapshots and images encrypted under it can never "
                  "be shared with another account (choose a customer managed key with --kms-key-id)");
    }
    for (const auto& i : j.instances) {
      if (i.original_state != "running") {
        w.push_back(i.instance_id + " is stopped and stays stopped: its encrypted copies are verified against the "
                    "snapshots (staged NBD exports) instead of the volumes");
      } else if (j.method == EncryptMethod::kSnapshot && !j.stop_instance) {
        w.push_back(i.instance_id + ": writes made after a volume's snapshot are not in its encrypted copy; stop "
                    "writing or use --stop-instance (the verification reports any difference)");
        if (!StopsInstance(i)) {
          w.push_back(i.instance_id + ": its data volumes are detached while it runs: unmount them in the guest "
                      "first (as AWS requires for a clean detach) or use --stop-instance");
        }
      }
    }
    if (!CanVerifyContent(aws_)) w.push_back("the target is AWS: volume content is not verified (kura only)");
    return w;
  }

  // Plans and checks; `view` filled. A blocked plan is a Failure after printing.
  std::optional<Failure> PlanAndCheck(Journal& j, PlanView& view) {
    auto instances = Instances();
    if (!instances.ok()) return Api(instances.error());
    if (instances->empty()) return Usage("no running or stopped instance matches --instance-ids/--filters");
    auto key = Key();
    if (!key.ok()) return Api(key.error());
    if (key->state != "Enabled") return Failure{kExitFailed, "the key " + key->arn + " is " + key->state};
    if (auto f = NewJournal(*instances, *key, j)) return f;
    auto caller = GetCallerIdentity(aws_);
    if (!caller.ok()) return Api(caller.error());
    view.journal = &j;
    view.key = *key;
    view.kms = EstimateKmsRequests(j.instances, j.method, CanVerifyContent(aws_));
    view.permissions = CheckPermissions(aws_, j, *key, caller->arn);
    view.warnings = Warnings(j, *key);
    auto existing = store_.Load(store_.PathFor(aws_.region(), IdsOf(*instances)));
    if (existing.ok() && (existing->state == kRunInProgress || existing->state == kRunFailed)) {
      view.warnings.push_back("an unfinished run " + existing->run_id + " exists for these instances: `run` or "
                              "`resume` continues it (this plan is for a new run)");
    }
    return std::nullopt;
  }

  void PrintPlan(const PlanView& view) {
    if (options_.output == "json") {
      out_ << RenderPlanJson(view).dump(2) << "\n";
    } else {
      out_ << RenderPlanText(view);
    }
  }

  std::optional<Failure> Plan() {
    Journal j;
    PlanView view;
    if (auto f = PlanAndCheck(j, view)) return f;
    PrintPlan(view);
    if (view.permissions.Blocked()) {
      std::string missing;
      for (const auto& m : view.permissions.Missing()) missing += " " + m;
      return Failure{kExitFailed, "missing permissions:" + (missing.empty() ? std::string(" (DryRun ignored)") : missing)};
    }
    return std::nullopt;
  }

  // The journal of the instances given, or (resume without any) the region's only unfinished one.
  std::optional<Failure> Locate(bool any_unfinished, std::string& path) {
    if (options_.instance_ids.empty() && options_.filters.empty()) {
      if (!any_unfinished) return Usage("name the instances: --instance-ids or --filters");
      std::vector<std::string> open;
      for (const auto& p : store_.List(aws_.region())) {
        auto j = store_.Load(p);
        if (j.ok() && (j->state == kRunInProgress || j->state == kRunFailed)) open.push_back(p);
      }
      if (open.size() != 1) {
        return Usage(std::to_string(open.size()) + " unfinished runs in " + aws_.region() +
                     ": name the instances with --instance-ids");
      }
      path = open.front();
      return std::nullopt;
    }
    std::vector<std::string> ids = options_.instance_ids;
    if (!options_.filters.empty()) {
      auto instances = Instances();
      if (!instances.ok()) return Api(instances.error());
      ids = IdsOf(*instances);
    }
    path = store_.PathFor(aws_.region(), ids);
    return std::nullopt;
  }

  // Keeps other `kura encrypt` processes off the journal until this one exits.
  std::optional<Failure> Hold(const std::string& path) {
    auto lock = store_.Lock(path);
    if (!lock.ok()) return Usage(lock.status().message());
    lock_.emplace(std::move(*lock));
    return std::nullopt;
  }

  std::optional<Failure> Finish(const Journal& j, const std::string& path, AwsStatus done) {
    if (options_.output == "json") {
      out_ << RenderRunJson(j, path).dump(2) << "\n";
    } else {
      out_ << RenderRunText(j, path);
    }
    if (!done.ok()) return Failure{kExitFailed, done.error().ToString() + " (the journal keeps the state: resume or rollback)"};
    for (const auto& i : j.instances) {
      for (const auto& v : i.volumes) {
        if (v.verification == "mismatch") {
          return Failure{kExitFailed, v.volume_id + ": the new volume's content differs from the old one's"};
        }
      }
    }
    return std::nullopt;
  }

  std::optional<Failure> Execute(bool resume_only) {
    std::string path;
    if (auto f = Locate(resume_only, path)) return f;
    if (auto f = Hold(path)) return f;
    auto existing = store_.Load(path);
    Journal j;
    if (existing.ok() && existing->state != kRunCleanedUp) {
      j = std::move(*existing);
      if (j.state == kRunCompleted) {
        return resume_only || !options_.cleanup ? Finish(j, path, Done{}) : CleanupJournal(j, path);
      }
      if (j.state == kRunRolledBack) return Usage("the run in " + path + " was rolled back: cleanup first");
      // The journal's plan and options rule; this command's --method, --kms-key-id, ... do not.
      progress_.Line("resuming run " + j.run_id + " (" + MethodName(j.method) + ", key " + j.kms_key_id + ") from " +
                     path);
    } else if (existing.ok() || existing.status().code() == base::StatusCode::kNotFound) {
      if (resume_only) return Usage("no unfinished run in " + path);
      PlanView view;
      if (auto f = PlanAndCheck(j, view)) return f;
      if (view.permissions.Blocked() || !options_.yes) {
        PrintPlan(view);
        if (view.permissions.Blocked()) return Failure{kExitFailed, "missing permissions: nothing was changed"};
        return Usage("this is the plan; run it with --yes");
      }
    } else {
      return Usage(existing.status().message());
    }
    RunContext ctx(aws_, j, store_, path, progress_);
    AwsStatus done = RunJournal(ctx);
    if (done.ok() && options_.cleanup) done = ExecuteCleanup(ctx);
    return Finish(j, path, std::move(done));
  }

  std::optional<Failure> CleanupJournal(Journal& j, const std::string& path) {
    RunContext ctx(aws_, j, store_, path, progress_);
    return Finish(j, path, ExecuteCleanup(ctx));
  }

  std::optional<Failure> Existing(Journal& j, std::string& path) {
    if (auto f = Locate(true, path)) return f;
    if (auto f = Hold(path)) return f;
    auto loaded = store_.Load(path);
    if (!loaded.ok()) return Usage(loaded.status().message());
    j = std::move(*loaded);
    if (!options_.yes) return Usage("this changes resources; confirm with --yes");
    return std::nullopt;
  }

  std::optional<Failure> Rollback() {
    Journal j;
    std::string path;
    if (auto f = Existing(j, path)) return f;
    if (j.state == kRunCleanedUp) return Usage("the run in " + path + " was cleaned up: nothing to roll back to");
    RunContext ctx(aws_, j, store_, path, progress_);
    return Finish(j, path, ExecuteRollback(ctx));
  }

  std::optional<Failure> Cleanup() {
    Journal j;
    std::string path;
    if (auto f = Existing(j, path)) return f;
    return CleanupJournal(j, path);
  }

  const EncryptCommandOptions& options_;
  const AwsClient& aws_;
  std::ostream& out_;
  ProgressReporter progress_;
  JournalStore store_;
  std::vector<std::string> skipped_;  // instances with nothing to encrypt
  std::optional<JournalLock> lock_;
};

}  // namespace

int RunEncrypt(const EncryptCommandOptions& options, const client::EnvLookup& env, std::ostream& out,
               std::ostream& err, bool terminal) {
  static const std::vector<std::string> kCommands = {"plan", "run", "resume", "rollback", "cleanup"};
  if (std::find(kCommands.begin(), kCommands.end(), options.command) == kCommands.end()) {
    err << "kura encrypt: the command must be plan, run, resume, rollback or cleanup\n";
    return kExitUsage;
  }
  if (options.method != "snapshot" && options.method != "image") {
    err << "kura encrypt: --method must be snapshot or image\n";
    return kExitUsage;
  }
  if (options.output != "text" && options.output != "json") {
    err << "kura encrypt: --output must be text or json\n";
    return kExitUsage;
  }
  auto aws = AwsClient::Create(options.aws, env);
  if (!aws.ok()) {
    err << "kura encrypt: " << aws.status().message() << "\n";
    return kExitUsage;
  }
  // Progress goes where it does not mix with a JSON document.
  EncryptCommand command(options, *aws, out, options.output == "json" ? err : out, terminal);
  return command.Run(err);
}

}  // namespace kura::tools
