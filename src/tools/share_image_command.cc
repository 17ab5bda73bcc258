#include "tools/share_image_command.h"

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <optional>

#include "tools/ec2_api.h"
#include "tools/kms_api.h"
#include "tools/share_image_checks.h"
#include "tools/share_image_plan.h"
#include "tools/share_image_run.h"
#include "tools/sts_api.h"

namespace kura::tools {

namespace {

// Ordered: output members in the order a reader expects (Result first).
using json = nlohmann::ordered_json;

constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kContinue = -1;
constexpr char kPrefix[] = "kura encrypt share-image: ";

bool IsAccountId(const std::string& s) {
  return s.size() == 12 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct CopyOutcome {
  std::string device_name;
  std::string source_snapshot_id;
  std::string snapshot_id;
  std::string kms_key_id;
  bool reused = false;
};

// One run of the command: the two clients and what it has learnt so far.
class ShareImageRun {
 public:
  ShareImageRun(const ShareImageOptions& options, ShareImageIo& io) : o_(options), io_(io) {}

  int Main(const client::EnvLookup& env) {
    if (int code = Validate(); code != kContinue) return code;
    if (int code = Connect(env); code != kContinue) return code;
    auto check = CheckSource(*source_, {o_.image_id, source_account_, o_.target_account_id, target_arn_});
    if (!check.ok()) return Failed("reading " + o_.image_id + " and its keys", check.error());
    for (const auto& n : check->notes) io_.err << "note: " << n << "\n";
    if (!check->refusals.empty() || (!check->KeysMissingActions().empty() && !o_.update_key_policy)) {
      return Refuse(*check);
    }
    if (int code = UpdateKeyPolicies(*check); code != kContinue) return code;
    if (int code = Share(*check); code != kContinue) return code;
    if (int code = ResolveTargetKey(); code != kContinue) return code;
    std::vector<CopyOutcome> copies;
    if (int code = Copy(*check, copies); code != kContinue) return code;
    return Register(check->image, copies);
  }

 private:
  int Usage(const std::string& message) {
    io_.err << kPrefix << message << "\n";
    return kExitUsage;
  }
  int Refused(const std::string& message) {
    io_.err << kPrefix << message << "\n";
    return kExitRefused;
  }
  int Failed(const std::string& what, const AwsError& error) {
    io_.err << kPrefix << what << ": " << error.ToString() << "\n";
    return kExitRefused;
  }

  int Validate() {
    if (o_.output != "text" && o_.output != "json") return Usage("--output must be text or json");
    if (o_.image_id.empty()) return Usage("--image-id is required: the AMI to move");
    if (o_.image_id.rfind("ami-", 0) != 0) return Usage("--image-id must be an AMI id (ami-...)");
    if (!IsAccountId(o_.target_account_id)) return Usage("--target-account-id must be 12 digits");
    if (o_.target_profile.empty()) return Usage("--target-profile is required: the target account's credentials");
    return kContinue;
  }

  // Both clients, and who each set of credentials is: a wrong --target-profile
  // is found before anything changes.
  int Connect(const client::EnvLookup& env) {
    auto source = AwsClient::Create(o_.aws, env, io_.aws_hooks);
    if (!source.ok()) return Usage("source account: " + source.status().message());
    source_.emplace(std::move(source).value());
    AwsOptions target_options{o_.aws.endpoint_url, o_.target_region.empty() ? source_->region() : o_.target_region,
                              o_.target_profile};
    auto target = AwsClient::Create(target_options, env, io_.aws_hooks);
    if (!target.ok()) return Usage("--target-profile " + o_.target_profile + ": " + target.status().message());
    target_.emplace(std::move(target).value());
    auto source_id = GetCallerIdentity(*source_);
    if (!source_id.ok()) {
      return Usage("source credentials (" + source_->credentials_source() + "): " + source_id.error().ToString());
    }
    auto target_id = GetCallerIdentity(*target_);
    if (!target_id.ok()) {
      return Usage("--target-profile " + o_.target_profile + " (" + target_->credentials_source() +
                   "): " + target_id.error().ToString());
    }
    source_account_ = source_id->account;
    target_arn_ = target_id->arn;
    if (target_id->account != o_.target_account_id) {
      return Usage("--target-profile " + o_.target_profile + " is account " + target_id->account + " (" +
                   target_id->arn + "), not --target-account-id " + o_.target_account_id);
    }
    if (source_account_ == o_.target_account_id) {
      return Usage("the source and target credentials are both account " + source_account_ +
                   "; use aws ec2 copy-image within one account");
    }
    return kContinue;
  }

  json StatementFor(const KeyFinding& key) const {
    return StatementForAccount(o_.target_account_id, key.check.MissingActions());
  }

  int Refuse(const SourceCheck& check) {
    const auto missing = check.KeysMissingActions();
    if (o_.output == "json") {
      json statements = json::array();
      for (const KeyFinding* k : missing) {
        statements.push_back({{"KeyArn", k->key_arn}, {"MissingActions", k->check.MissingActions()},
                              {"Statement", StatementFor(*k)}});
      }
      io_.out << json{{"Result", "Refused"},       {"SourceImageId", o_.image_id},
                      {"TargetAccountId", o_.target_account_id}, {"Reasons", check.refusals},
                      {"KeyPolicyStatements", statements},       {"Notes", check.notes}}
                     .dump(2)
              << "\n";
    }
    for (const auto& r : check.refusals) io_.err << kPrefix << "refused: " << r << "\n";
    if (!check.refusals.empty()) {
      io_.err << kPrefix << "nothing was shared\n";
      return kExitRefused;
    }
    for (const KeyFinding* k : missing) {
      std::string actions;
      for (const auto& a : k->check.MissingActions()) actions += (actions.empty() ? "" : ", ") + a;
      io_.err << kPrefix << "the policy of " << k->key_arn << " does not let account " << o_.target_account_id
              << " use it for " << actions << ", which copying its snapshots needs. Add this statement to the "
              << "policy's Statement list (aws kms get-key-policy / put-key-policy --policy-name default), or run "
              << "again with --update-key-policy:\n";
      if (o_.output != "json") io_.out << StatementFor(*k).dump(2) << "\n";
    }
    io_.err << kPrefix << "nothing was shared\n";
    return kExitRefused;
  }

  bool Confirm(const std::string& question) {
    if (o_.yes) return true;
    if (!io_.terminal) {
      io_.err << kPrefix << question << " needs --yes when not run on a terminal\n";
      return false;
    }
    io_.err << question << " [y/N] " << std::flush;
    std::string answer;
    std::getline(io_.in, answer);
    return answer == "y" || answer == "Y" || answer == "yes";
  }

  // --update-key-policy: appends each missing statement, then reads the policy
  // back and checks again, so success means KMS really holds the new policy.
  int UpdateKeyPolicies(const SourceCheck& check) {
    for (const KeyFinding* k : check.KeysMissingActions()) {
      const json statement = StatementFor(*k);
      io_.err << "The policy of " << k->key_arn << " gets this statement:\n" << statement.dump(2) << "\n";
      if (!Confirm("Add it to the key policy?")) {
        return Refused("the key policy was left as it was; nothing was shared");
      }
      auto updated = AppendStatement(k->policy, statement);
      if (!updated.ok()) return Refused(updated.status().message());
      if (auto put = PutKeyPolicy(*source_, k->key_arn, *updated); !put.ok()) {
        return Failed("PutKeyPolicy on " + k->key_arn, put.error());
      }
      auto reread = GetKeyPolicy(*source_, k->key_arn);
      if (!reread.ok()) return Failed("GetKeyPolicy on " + k->key_arn, reread.error());
      auto again = CheckKeyPolicyForAccount(*reread, k->key_arn, o_.target_account_id, target_arn_);
      if (!again.ok() || !again->MissingActions().empty()) {
        return Refused("the policy of " + k->key_arn + " still does not allow account " + o_.target_account_id +
                       " after the update");
      }
      io_.err << "updated the policy of " << k->key_arn << "\n";
    }
    return kContinue;
  }

  int Share(const SourceCheck& check) {
    for (const auto& s : check.snapshots) {
      if (auto r = AddCreateVolumePermission(*source_, s.snapshot_id, o_.target_account_id); !r.ok()) {
        return Failed("sharing " + s.snapshot_id + " with " + o_.target_account_id, r.error());
      }
      io_.err << "shared " << s.snapshot_id << " with account " << o_.target_account_id << "\n";
    }
    if (o_.share_launch_permission) {
      if (auto r = AddLaunchPermission(*source_, o_.image_id, o_.target_account_id); !r.ok()) {
        return Failed("sharing the launch permission of " + o_.image_id, r.error());
      }
      io_.err << "shared the launch permission of " << o_.image_id << "\n";
    }
    return kContinue;
  }

  // The key the copies go under, named as the target account resolves it (an
  // ARN), so a wrong --target-kms-key-id is reported before any copy starts.
  int ResolveTargetKey() {
    std::string key = o_.target_kms_key_id;
    if (key.empty()) {
      auto by_default = GetEbsDefaultKmsKeyId(*target_);
      if (!by_default.ok()) return Failed("the target account's default EBS key", by_default.error());
      key = *by_default;
    }
    auto described = DescribeKey(*target_, key);
    if (!described.ok()) return Failed("the target key " + key, described.error());
    target_key_ = described->arn.empty() ? key : described->arn;
    return kContinue;
  }

  // Finds the copy an earlier run made of `s`, or starts one.
  AwsResult<CopyOutcome> CopyOne(const std::string& device, const SnapshotState& s) {
    const std::string token = ShareCopyToken(source_->region(), s.snapshot_id, o_.target_account_id);
    KURA_AWS_ASSIGN_OR_RETURN(auto earlier, DescribeOwnSnapshotsTagged(*target_, kShareCopyTokenTag, token));
    for (const auto& e : earlier) {
      if (e.state != "error") return CopyOutcome{device, s.snapshot_id, e.snapshot_id, e.kms_key_id, true};
    }
    EncryptedCopyRequest request{source_->region(), s.snapshot_id, target_key_,
                                 "Copy of " + s.snapshot_id + " (" + o_.image_id + ") from account " +
                                     source_account_ + " by kura encrypt share-image",
                                 {{kShareCopyTokenTag, token},
                                  {kShareCopySourceTag, source_account_ + "/" + source_->region() + "/" + s.snapshot_id}}};
    KURA_AWS_ASSIGN_OR_RETURN(std::string id, CopySnapshotEncrypted(*target_, request));
    return CopyOutcome{device, s.snapshot_id, id, target_key_, false};
  }

  int Copy(const SourceCheck& check, std::vector<CopyOutcome>& copies) {
    for (const auto& s : check.snapshots) {
      std::string device;
      for (const auto& d : check.image.devices) {
        if (d.ebs && d.ebs->snapshot_id == s.snapshot_id && device.empty()) device = d.device_name;
      }
      auto copy = CopyOne(device, s);
      if (!copy.ok()) return Failed("copying " + s.snapshot_id + " into account " + o_.target_account_id, copy.error());
      io_.err << (copy->reused ? "reusing " : "copying ") << s.snapshot_id << " as " << copy->snapshot_id << "\n";
      copies.push_back(std::move(copy).value());
    }
    std::vector<std::string> ids;
    for (const auto& c : copies) ids.push_back(c.snapshot_id);
    auto states = WaitForSnapshots(*target_, ids, io_.err, io_.terminal, io_.wait_hooks);
    if (!states.ok()) return Failed("waiting for the copies", states.error());
    for (const auto& st : *states) {
      if (st.state != "completed") {
        return Refused("the copy " + st.snapshot_id + " failed (" + st.state + "): " + st.state_message);
      }
      for (auto& c : copies) {
        if (c.snapshot_id == st.snapshot_id && !st.kms_key_id.empty()) c.kms_key_id = st.kms_key_id;
      }
    }
    return kContinue;
  }

  // Reuses an image of the same name over the same copies (an earlier run's),
  // refuses one over other snapshots, else registers the image.
  int Register(const ImageDetail& source, const std::vector<CopyOutcome>& copies) {
    CopyMap map;
    for (const auto& c : copies) map[c.source_snapshot_id] = c.snapshot_id;
    const std::string name = o_.name.empty() ? source.name : o_.name;
    auto existing = DescribeOwnImagesNamed(*target_, name);
    if (!existing.ok()) return Failed("looking for an image named " + name, existing.error());
    std::string image_id;
    const bool reused = !existing->empty();
    if (reused) {
      const ImageDetail& found = existing->front();
      if (!ImageUsesCopies(found, source, map)) {
        return Refused("account " + o_.target_account_id + " already has an image named \"" + name + "\" (" +
                       found.image_id + ") over other snapshots; choose another --name");
      }
      image_id = found.image_id;
      io_.err << "reusing " << image_id << ", registered by an earlier run\n";
    } else {
      auto params = RegisterImageParams(source, name, map, target_key_);
      if (!params.ok()) return Refused(params.status().message());
      auto registered = RegisterImage(*target_, *params);
      if (!registered.ok()) return Failed("registering " + name + " in account " + o_.target_account_id,
                                          registered.error());
      image_id = *registered;
    }
    auto image = WaitForImage(*target_, image_id, io_.err, io_.wait_hooks);
    if (!image.ok()) return Failed("waiting for " + image_id, image.error());
    if (image->state != "available") return Refused(image_id + " is " + image->state);
    Print(image_id, name, reused, copies);
    return kExitOk;
  }

  void Print(const std::string& image_id, const std::string& name, bool reused, const std::vector<CopyOutcome>& copies) {
    if (o_.output == "json") {
      json snapshots = json::array();
      for (const auto& c : copies) {
        snapshots.push_back({{"DeviceName", c.device_name}, {"SourceSnapshotId", c.source_snapshot_id},
                             {"SnapshotId", c.snapshot_id}, {"KmsKeyId", c.kms_key_id}, {"Reused", c.reused}});
      }
      io_.out << json{{"Result", "Shared"},
                      {"SourceImageId", o_.image_id},
                      {"SourceAccountId", source_account_},
                      {"TargetAccountId", o_.target_account_id},
                      {"Region", target_->region()},
                      {"ImageId", image_id},
                      {"Name", name},
                      {"ImageReused", reused},
                      {"LaunchPermissionShared", o_.share_launch_permission},
                      {"KmsKeyId", target_key_},
                      {"Snapshots", snapshots}}
                     .dump(2)
              << "\n";
      return;
    }
    io_.out << image_id << " \"" << name << "\" in account " << o_.target_account_id << " (" << target_->region()
            << "), from " << o_.image_id << " of account " << source_account_ << (reused ? " (reused)" : "") << "\n";
    for (const auto& c : copies) {
      io_.out << "  " << c.device_name << "  " << c.source_snapshot_id << " -> " << c.snapshot_id
              << "  encrypted under " << c.kms_key_id << (c.reused ? " (reused)" : "") << "\n";
    }
  }

  const ShareImageOptions& o_;
  ShareImageIo& io_;
  std::optional<AwsClient> source_;
  std::optional<AwsClient> target_;
  std::string source_account_;
  std::string target_arn_;
  std::string target_key_;
};

}  // namespace

int RunShareImage(const ShareImageOptions& options, const client::EnvLookup& env, ShareImageIo& io) {
  return ShareImageRun(options, io).Main(env);
}

int RunShareImageOnStdio(const ShareImageOptions& options, const client::EnvLookup& env) {
  ShareImageIo io{std::cout, std::cerr, std::cin, isatty(STDIN_FILENO) && isatty(STDERR_FILENO), {}, {}};
  return RunShareImage(options, env, io);
}

}  // namespace kura::tools
