#include "cmd/serve.h"

#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/admin_handler.h"
#include "api/ce_provider.h"
#include "api/ec2_provider.h"
#include "api/elb_provider.h"
#include "api/iam_provider.h"
#include "api/kms_provider.h"
#include "api/router.h"
#include "api/sts_provider.h"
#include "base/log.h"
#include "cmd/bootstrap.h"
#include "cmd/services.h"
#include "iam/identity_store.h"
#include "kms/audit.h"
#include "kms/kms_service.h"
#include "net/http_server.h"
#include "net/nbd_server.h"

namespace kura::cmd {

namespace {

int Fail(std::string_view what, const base::Status& status) {
  base::LogEvent(base::LogLevel::kError, "serve_failed", {{"step", std::string(what)}, {"error", status.ToString()}});
  return 1;
}

base::Result<std::pair<std::string, uint16_t>> ParseListen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return base::InvalidArgumentError("--listen takes HOST:PORT, got " + listen);
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (...) {
    port = -1;
  }
  if (port < 0 || port > 65535) return base::InvalidArgumentError("--listen: bad port in " + listen);
  return std::make_pair(host, static_cast<uint16_t>(port));
}

// --auth open only: wipes all state for test harnesses (README.md).
constexpr std::string_view kResetPath = "/_kura/reset";

// Prometheus scrapes the NBD counters here (no signature: counts and ids only, no data).
constexpr std::string_view kMetricsPath = "/_kura/metrics";

base::Result<std::shared_ptr<net::NbdServer>> StartNbd(const ServeOptions& options, const std::string& data_dir) {
  net::NbdServerOptions nbd;
  nbd.socket_dir = options.nbd_socket_dir.empty() ? data_dir + "/nbd" : options.nbd_socket_dir;
  nbd.tls = options.nbd_tls == "off" ? net::NbdTls::kOff : net::NbdTls::kRequire;
  nbd.tcp_enabled = options.nbd_listen != "off" && !options.nbd_listen.empty();
  if (nbd.tcp_enabled) {
    KURA_ASSIGN_OR_RETURN(auto address, ParseListen(options.nbd_listen));
    nbd.tcp_host = address.first;
    nbd.tcp_port = address.second;
  }
  return net::NbdServer::Start(nbd);
}

bool IsResetRequest(const api::HttpRequest& request) {
  return request.method == "POST" && request.Path() == kResetPath;
}

// Runs with every other request and the maintenance thread held out (the gate, exclusively).
api::HttpResponse Reset(Services& services, const std::string& keep_account_id) {
  api::HttpResponse response;
  response.SetHeader("Content-Type", "application/json");
  base::Status status = ResetServices(services, keep_account_id);
  if (status.ok()) {
    base::LogEvent(base::LogLevel::kWarn, "state_reset", {{"account", keep_account_id}});
    response.status = 200;
    response.body = nlohmann::json{{"reset", true}}.dump();
    return response;
  }
  base::LogEvent(base::LogLevel::kError, "state_reset_failed", {{"error", status.ToString()}});
  const bool conflict = status.code() == base::StatusCode::kFailedPrecondition;
  response.status = conflict ? 409 : 500;
  response.body =
      nlohmann::json{{"__type", conflict ? "ResetConflict" : "InternalFailure"}, {"message", status.ToString()}}
          .dump();
  return response;
}

// Cost Explorer answers from the KMS meter, for the caller's account only.
std::shared_ptr<api::Provider> MakeCeProvider(const std::shared_ptr<kms::KmsService>& kms,
                                              const std::shared_ptr<iam::IdentityStore>& identities) {
  return std::make_shared<api::CeProvider>(
      [kms](const std::string& account_id, const std::string& month) { return kms->ComputeBill(account_id, month); },
      [identities](const iam::Principal& principal) { return identities->PoliciesOf(principal); });
}

}  // namespace

int Serve(const ServeOptions& options) {
  // Everything kura writes (metadata, chunks, keys, logs) is for its own user only.
  ::umask(077);
  // NBD replies of up to 32 MiB are allocated and freed at a high rate; by
  // default glibc hands such memory back to the kernel (trim, munmap) and the
  // next request faults it in again, zero-filled. Keep it in the process.
  ::mallopt(M_MMAP_THRESHOLD, 64 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 256 << 20);
  // Block the stop signals before any thread starts, then wait for one.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A log line per request: written in batches, not a write(2) each (a
  // tenth of a KMS request's cost went to the audit and log writes).
  base::BufferLogOutput(std::chrono::seconds(1));

  auto listen = ParseListen(options.listen);
  if (!listen.ok()) return Fail("listen", listen.status());
  bool open_auth = options.auth == "open";
  if (!open_auth && options.auth != "verify") {
    return Fail("auth", base::InvalidArgumentError("--auth takes verify or open"));
  }
  if (open_auth && options.default_account_id.size() != 12) {
    return Fail("auth", base::InvalidArgumentError("--auth open needs --default-account-id with 12 digits"));
  }

  ServicesOptions services_options;
  services_options.data_dir = options.data_dir;
  services_options.metadata = options.metadata;
  services_options.root_key_file = options.root_key_file;
  services_options.root_key_passphrase_file = options.root_key_passphrase_file;
  services_options.regions = options.regions;
  services_options.instance_types_file = options.instance_types_file;
  services_options.ec2_min_transition_ms = options.ec2_min_transition_ms;
  services_options.legacy_encrypted_ami_sharing = options.legacy_encrypted_ami_sharing;
  auto services = OpenServices(services_options);
  if (!services.ok()) return Fail("open", services.status());
  std::shared_ptr<iam::IdentityStore> identities = services->identities;
  std::shared_ptr<kms::KmsService> kms = services->kms;
  std::shared_ptr<ec2::Ec2Service> ec2_service = services->ec2;

  auto bootstrap = BootstrapIfNew(*identities, services->data_dir,
                                  open_auth ? options.default_account_id : options.bootstrap_account_id);
  if (!bootstrap.ok()) return Fail("bootstrap", bootstrap.status());
  if (bootstrap->created) {
    base::LogEvent(base::LogLevel::kInfo, "bootstrap_account_created",
                   {{"account", bootstrap->account_id}, {"credentials", bootstrap->credentials_path}});
  }
  if (open_auth && !identities->GetAccount(options.default_account_id).ok()) {
    auto created = identities->CreateAccount(options.default_account_id, "default");
    if (!created.ok()) return Fail("default account", created.status());
  }

  auto nbd = StartNbd(options, services->data_dir);
  if (!nbd.ok()) return Fail("nbd", nbd.status());
  std::shared_ptr<net::NbdServer> nbd_server = *nbd;
  // Before Resume(): instances brought back up are exported too.
  ec2_service->SetHostObserver(nbd_server);

  api::KeyOwnerLookup lookup = [identities](const std::string& access_key_id) -> std::optional<api::KeyOwner> {
    auto found = identities->LookupAccessKey(access_key_id);
    if (!found.ok() || !found->has_value()) return std::nullopt;
    return api::KeyOwner{(*found)->principal, (*found)->secret_access_key};
  };
  api::AdminOptions admin_options;
  admin_options.verify_signatures = !open_auth;
  admin_options.open_account_id = options.default_account_id;
  admin_options.ec2 = ec2_service;
  admin_options.nbd_exports = [nbd_server](const std::string& instance_id) {
    return nbd_server->EndpointsOf(instance_id);
  };
  auto admin = std::make_shared<api::AdminHandler>(admin_options, identities, lookup);

  api::RouterOptions router_options;
  router_options.verify_signatures = !open_auth;
  router_options.open_account_id = options.default_account_id;
  router_options.regions = options.regions;
  Services* state = &*services;  // outlives the server, which is stopped before Serve returns
  const std::string open_account = open_auth ? options.default_account_id : std::string();
  router_options.local_routes = [admin, state, open_account, nbd_server](
                                    const api::HttpRequest& request) -> std::optional<api::HttpResponse> {
    if (!open_account.empty() && IsResetRequest(request)) return Reset(*state, open_account);
    if (request.method == "GET" && request.Path() == kMetricsPath) {
      api::HttpResponse metrics;
      metrics.status = 200;
      metrics.SetHeader("Content-Type", "text/plain; version=0.0.4");
      metrics.body = nbd_server->RenderMetrics();
      return metrics;
    }
    return admin->Route(request);
  };
  auto router = std::make_shared<api::Router>(router_options, lookup);
  for (std::shared_ptr<api::Provider> provider : std::vector<std::shared_ptr<api::Provider>>{
           std::make_shared<api::KmsProvider>(kms), std::make_shared<api::IamProvider>(identities),
           std::make_shared<api::StsProvider>(), std::make_shared<api::Ec2Provider>(ec2_service),
           std::make_shared<api::ElbProvider>(ec2_service), MakeCeProvider(kms, identities)}) {
    base::Status added = router->AddProvider(provider);
    if (!added.ok()) return Fail("service model", added);
  }

  net::HttpServerOptions http;
  http.host = listen->first;
  http.port = listen->second;
  http.worker_threads = options.workers;
  // EC2 and ELB calls wait for the EC2 store's group commit (ec2/store.h): on
  // the I/O threads only io_threads of them could wait at once, and each
  // commit would take that few. They get a pool; KMS & co. stay inline.
  http.blocking = [](const api::HttpRequest& request) {
    const std::string* auth = request.Header("authorization");
    return auth != nullptr && (auth->find("/ec2/aws4_request") != std::string::npos ||
                               auth->find("/elasticloadbalancing/aws4_request") != std::string::npos);
  };
  http.io_threads = options.io_threads != 0 ? options.io_threads : std::max(1u, std::thread::hardware_concurrency());
  // Requests share the gate; a reset takes it exclusively, so no request (and
  // no maintenance pass) interleaves with it.
  auto gate = std::make_shared<std::shared_mutex>();
  auto server = net::HttpServer::Start(http, [router, gate, open_auth](api::HttpRequest&& request) {
    if (open_auth && IsResetRequest(request)) {
      std::unique_lock exclusive(*gate);
      return router->Handle(std::move(request));
    }
    std::shared_lock shared(*gate);
    return router->Handle(std::move(request));
  });
  if (!server.ok()) return Fail("listen", server.status());
  if (open_auth) {
    base::LogEvent(base::LogLevel::kWarn, "auth_open",
                   {{"warning", "signatures are NOT verified: every caller acts as account " +
                                    options.default_account_id + "; for local test harnesses only"}});
  }
  // Finish what a previous run left in flight and bring running instances back up.
  base::Status resumed = ec2_service->Resume();
  if (!resumed.ok()) {
    base::LogEvent(base::LogLevel::kError, "ec2_resume_failed", {{"error", resumed.ToString()}});
  }
  base::LogEvent(base::LogLevel::kInfo, "serve_ready",
                 {{"endpoint", fmt::format("http://{}:{}", http.host, (*server)->port())},
                  {"nbd_port", std::to_string(nbd_server->tcp_port())},
                  {"data_dir", services->data_dir},
                  {"credentials", bootstrap->credentials_path}});
  base::FlushLog();  // an operator or script waiting for readiness sees it now

  // Background work: key rotation and deletion when due, meter flushes, EC2
  // housekeeping (terminated instances hidden after an hour, deleted volumes removed).
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::thread maintenance([&] {
    std::unique_lock lock(mu);
    while (!cv.wait_for(lock, std::chrono::seconds(30), [&] { return stopping; })) {
      lock.unlock();
      {
        std::shared_lock shared(*gate);
        auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
        auto due = kms->ProcessDue(now);
        if (!due.ok()) {
          base::LogEvent(base::LogLevel::kWarn, "kms_maintenance_failed", {{"error", due.status().ToString()}});
        }
        (void)kms->FlushMeter();
        base::Status ec2_due = ec2_service->ProcessDue();
        if (!ec2_due.ok()) {
          base::LogEvent(base::LogLevel::kWarn, "ec2_maintenance_failed", {{"error", ec2_due.ToString()}});
        }
      }
      lock.lock();
    }
  });

  int signal = 0;
  sigwait(&stop_signals, &signal);
  base::LogEvent(base::LogLevel::kInfo, "serve_stopping", {{"signal", std::to_string(signal)}});
  (*server)->Stop();
  {
    std::lock_guard lock(mu);
    stopping = true;
  }
  cv.notify_all();
  maintenance.join();
  // Work in flight finishes, host volumes are flushed and closed, data keys wiped — before the engine closes.
  ec2_service->Shutdown();
  nbd_server->Stop();  // every export is closed by now; this ends the listeners and any client still in its handshake
  (void)kms->FlushMeter();
  base::LogEvent(base::LogLevel::kInfo, "serve_stopped");
  base::FlushLog();
  return 0;
}

}  // namespace kura::cmd
