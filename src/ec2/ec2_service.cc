#include "ec2/ec2_service.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "ec2/data_keys.h"
#include "ec2/hosts.h"
#include "ec2/instance_types.h"
#include "ec2/worker.h"

namespace kura::ec2 {

namespace {

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// AWS returns an opaque blob that only sts:DecodeAuthorizationMessage opens.
// kura's blob is the base64 of the decision context (principal, action,
// resources): nothing secret, and enough for an operator to see what was denied.
std::string EncodedFailure(const Caller& caller, const std::string& action, const std::vector<std::string>& resources) {
  nlohmann::json context = {{"allowed", false},
                            {"context", {{"principal", {{"arn", caller.principal.arn}}},
                                         {"action", action},
                                         {"resources", resources}}}};
  const std::string text = context.dump();
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < text.size(); i += 3) {
    uint32_t v = (uint8_t(text[i]) << 16) | (uint8_t(text[i + 1]) << 8) | uint8_t(text[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i < text.size()) {
    uint32_t v = uint8_t(text[i]) << 16;
    if (i + 1 < text.size()) v |= uint8_t(text[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < text.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

Ec2Service::Ec2Service(Ec2Options options) : options_(std::move(options)) {}

base::Result<std::unique_ptr<Ec2Service>> Ec2Service::Open(Ec2Options options) {
  if (!options.db || !options.engine || !options.kms || !options.identity_policies) {
    return base::InvalidArgumentError("ec2: db, engine, kms and identity_policies are required");
  }
  if (!options.clock_ms) options.clock_ms = SystemNowMs;
  std::unique_ptr<Ec2Service> svc(new Ec2Service(std::move(options)));
  KURA_ASSIGN_OR_RETURN(svc->store_, Ec2Store::Open(svc->options_.db));
  KURA_ASSIGN_OR_RETURN(svc->instance_types_, InstanceTypeCatalog::Load(svc->options_.instance_types_file));
  svc->data_keys_ = std::make_unique<DataKeys>(svc->options_.kms);
  svc->hosts_ = std::make_unique<Hosts>();
  svc->worker_ = std::make_unique<Worker>(svc->options_.workers);
  return svc;
}

Ec2Service::~Ec2Service() { Shutdown(); }

base::Status Ec2Service::Resume() {
  ResumeVolumes();
  ResumeSnapshots();
  ResumeImages();
  ResumeInstances();
  return base::Status::Ok();
}

void Ec2Service::Shutdown() {
  if (shut_down_.exchange(true)) return;
  if (worker_) worker_->Stop();
  if (hosts_) hosts_->Clear();
  // What the last jobs recorded reaches the database before the process goes.
  if (store_) {
    if (base::Status flushed = store_->Flush(); !flushed.ok()) {
      base::LogEvent(base::LogLevel::kError, "ec2_store_flush_failed", {{"error", flushed.ToString()}});
    }
  }
}

void Ec2Service::WaitIdle() { worker_->WaitIdle(); }

base::Status Ec2Service::WaitDurable() { return store_->WaitDurable(); }

int64_t Ec2Service::NowMs() const { return options_.clock_ms(); }

base::Status Ec2Service::CheckRegion(const Caller& caller) const {
  if (Contains(options_.regions, caller.region)) return base::Status::Ok();
  return Ec2Status(Ec2Error::kUnauthorizedOperation,
                   "The region '" + caller.region + "' is not enabled for this account.");
}

void Ec2Service::HoldTransition(int64_t since_ms) const {
  if (options_.min_transition_ms <= 0) return;
  const int64_t left = since_ms + options_.min_transition_ms - NowMs();
  if (left > 0) std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(left, options_.min_transition_ms)));
}

void Ec2Service::Submit(const std::string& resource, std::function<void()> job) {
  if (!worker_->Submit(resource, std::move(job))) {
    // Stopping: the record stays in its transitional state for Resume() at the next start.
    base::LogEvent(base::LogLevel::kInfo, "ec2_job_deferred", {{"resource", resource}});
  }
}

base::Status Ec2Service::Authorize(const Caller& caller, const std::string& action,
                                   const std::vector<std::string>& resources) {
  KURA_RETURN_IF_ERROR(CheckRegion(caller));
  if (caller.principal.is_root()) return base::Status::Ok();
  auto policies = options_.identity_policies(caller.principal);
  if (!policies.ok()) return policies.status();
  std::vector<const iam::PolicyDocument*> docs;
  for (const auto& p : *policies) docs.push_back(p.get());
  const std::vector<std::string> targets = resources.empty() ? std::vector<std::string>{"*"} : resources;
  for (const auto& resource : targets) {
    iam::RequestContext request;
    request.action = action;
    request.resource = resource;
    request.principal = caller.principal;
    request.conditions["aws:RequestedRegion"] = {caller.region};
    if (iam::EvaluateIdentityPolicies(docs, request) != iam::Decision::kAllow) {
      return Ec2Status(Ec2Error::kUnauthorizedOperation,
                       "You are not authorized to perform this operation. Encoded authorization failure message: " +
                           EncodedFailure(caller, action, targets));
    }
  }
  return base::Status::Ok();
}

EbsSettings Ec2Service::SettingsOf(const std::string& account, const std::string& region) const {
  const auto* r = store_->Find<SettingsRecord>(ScopedKey(account, region, "ebs"));
  return r ? r->settings : EbsSettings{};
}

const VolumeRecord* Ec2Service::OwnedVolume(const Caller& caller, const std::string& id) const {
  const auto* v = store_->Find<VolumeRecord>(id);
  if (!v || v->account != caller.principal.account_id || v->region != caller.region) return nullptr;
  return v;
}

const InstanceRecord* Ec2Service::OwnedInstance(const Caller& caller, const std::string& id) const {
  const auto* i = store_->Find<InstanceRecord>(id);
  if (!i || i->account != caller.principal.account_id || i->region != caller.region) return nullptr;
  return i;
}

const SnapshotRecord* Ec2Service::UsableSnapshot(const Caller& caller, const std::string& id) const {
  const auto* s = store_->Find<SnapshotRecord>(id);
  if (!s || s->region != caller.region) return nullptr;
  const auto& account = caller.principal.account_id;
  if (s->account == account || s->is_public || Contains(s->shared_with, account)) return s;
  return nullptr;
}

const ImageRecord* Ec2Service::UsableImage(const Caller& caller, const std::string& id) const {
  const auto* i = store_->Find<ImageRecord>(id);
  if (!i || i->region != caller.region || i->state == ImageState::kDeregistered) return nullptr;
  const auto& account = caller.principal.account_id;
  if (i->account == account || i->is_public || Contains(i->launch_users, account)) return i;
  return nullptr;
}

base::Status Ec2Service::CheckRunning(const std::string& account, const std::string& instance_id) const {
  const auto* instance = store_->Find<InstanceRecord>(instance_id);
  if (!instance || instance->account != account) {
    return Ec2Status(Ec2Error::kInstanceNotFound, "The instance ID '" + instance_id + "' does not exist");
  }
  if (instance->state != InstanceState::kRunning) {
    return Ec2Status(Ec2Error::kIncorrectInstanceState,
                     "The instance '" + instance_id + "' is not in the 'running' state.");
  }
  return base::Status::Ok();
}

base::Result<std::shared_ptr<blocks::Volume>> Ec2Service::OpenAttachedVolume(const std::string& account,
                                                                             const std::string& instance_id,
                                                                             const std::string& volume_id) {
  {
    std::lock_guard lock(mu_);
    KURA_RETURN_IF_ERROR(CheckRunning(account, instance_id));
    const auto* volume = store_->Find<VolumeRecord>(volume_id);
    if (!volume || volume->account != account) {
      return Ec2Status(Ec2Error::kVolumeNotFound, "The volume '" + volume_id + "' does not exist.");
    }
    if (!volume->attachment || volume->attachment->instance_id != instance_id ||
        volume->attachment->state != AttachmentState::kAttached) {
      return Ec2Status(Ec2Error::kIncorrectState,
                       "The volume '" + volume_id + "' is not attached to instance '" + instance_id + "'.");
    }
  }
  auto open = hosts_->Find(instance_id, volume_id);
  if (!open) {
    return Ec2Status(Ec2Error::kIncorrectState,
                     "The volume '" + volume_id + "' is not yet usable on instance '" + instance_id + "'.");
  }
  return open;
}

base::Result<std::vector<std::string>> Ec2Service::HostVolumeIds(const std::string& account,
                                                                const std::string& instance_id) {
  {
    std::lock_guard lock(mu_);
    KURA_RETURN_IF_ERROR(CheckRunning(account, instance_id));
  }
  return hosts_->VolumeIdsOf(instance_id);
}

void Ec2Service::SetHostObserver(std::shared_ptr<HostObserver> observer) { hosts_->SetObserver(std::move(observer)); }

base::Status Ec2Service::Reset() {
  worker_->WaitIdle();
  // Grants and keys go with the KMS's own reset; only memory is wiped here.
  hosts_->Clear();
  {
    std::lock_guard lock(mu_);
    KURA_RETURN_IF_ERROR(store_->DeleteEverything());
  }
  return store_->WaitDurable();
}

}  // namespace kura::ec2
