// The kura binary: subcommands and wiring (the only composition root).
#include <CLI/CLI.hpp>

#include <iostream>

#include "base/log.h"
#include "cmd/admin.h"
#include "cmd/data_dir.h"
#include "cmd/disk_images.h"
#include "cmd/serve.h"
#include "tools/share_image_command.h"  // before audit_command.h: merges beside the encrypt branch
#include "tools/audit_command.h"
#include "tools/encrypt_command.h"

#include <unistd.h>

#ifndef KURA_VERSION
#define KURA_VERSION "dev"
#endif

namespace {

// The metadata store options, the same for the server and the tools that read its tables.
void AddMetadataOptions(CLI::App* command, kura::cmd::MetadataConfig& config) {
  command
      ->add_option("--metadata-url", config.url,
                   "metadata store: sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE "
                   "(default: sqlite in the data dir)")
      ->envname("KURA_METADATA_URL");
  command->add_option("--metadata-pool-size", config.postgres_pool_size, "PostgreSQL connections")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kura: self-hosted, AWS-compatible block storage with real encryption at rest"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "debug, info, warn or error")->capture_default_str();

  kura::cmd::ServeOptions serve_options;
  serve_options.data_dir = kura::cmd::DefaultDataDir();
  auto* serve = app.add_subcommand("serve", "run the kura service on this machine");
  serve->add_option("--data-dir", serve_options.data_dir, "state directory (metadata.db, chunks/, root.key)")
      ->capture_default_str();
  AddMetadataOptions(serve, serve_options.metadata);
  serve->add_option("--listen", serve_options.listen, "HOST:PORT of the AWS API endpoint")->capture_default_str();
  serve->add_option("--auth", serve_options.auth,
                    "verify: check every SigV4 signature; open: accept any well-formed credentials as the root "
                    "of --default-account-id (local test harnesses only)")
      ->check(CLI::IsMember({"verify", "open"}))
      ->capture_default_str();
  serve->add_option("--default-account-id", serve_options.default_account_id, "the account of --auth open");
  serve->add_option("--bootstrap-account-id", serve_options.bootstrap_account_id,
                    "id of the account created on first start (random when absent)");
  serve->add_option("--root-key-file", serve_options.root_key_file, "root key file (default <data dir>/root.key)");
  serve->add_option("--root-key-passphrase-file", serve_options.root_key_passphrase_file,
                    "derive the root key from the passphrase in this file instead of a key file");
  serve->add_option("--regions", serve_options.regions, "enabled regions")->delimiter(',')->capture_default_str();
  serve->add_option("--workers", serve_options.workers,
                    "requests handled at once on threads of their own; 0: on the I/O threads")
      ->capture_default_str();
  serve->add_option("--io-threads", serve_options.io_threads, "threads reading and writing HTTP; 0: one per CPU")
      ->capture_default_str();
  serve->add_option("--instance-types", serve_options.instance_types_file,
                    "EC2 instance-type catalog (JSON, as src/ec2/data/instance-types.json; default: built in)");
  serve->add_option("--ec2-min-transition-ms", serve_options.ec2_min_transition_ms,
                    "shortest time an EC2 resource stays in a transitional state (creating, pending, ...)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve->add_option("--nbd-listen", serve_options.nbd_listen,
                    "HOST:PORT of the NBD server's TCP side (TLS with per-instance PSKs); off: none")
      ->capture_default_str();
  serve->add_option("--nbd-socket-dir", serve_options.nbd_socket_dir,
                    "directory of the instances' NBD Unix sockets (default <data dir>/nbd)");
  serve->add_option("--nbd-tls", serve_options.nbd_tls,
                    "require: TCP clients must use TLS; off: no TLS, loopback only, any client opens any volume "
                    "(benchmarks)")
      ->check(CLI::IsMember({"require", "off"}))
      ->capture_default_str();
  serve->add_flag("--legacy-encrypted-ami-sharing", serve_options.legacy_encrypted_ami_sharing,
                  "refuse sharing AMIs with encrypted snapshots with other accounts (AWS before May 2019)");

  // kura admin ...
  auto* admin = app.add_subcommand("admin", "operator commands: accounts, access keys, audit trail, cost");
  admin->require_subcommand(1);
  kura::cmd::AdminClientOptions admin_client;
  auto add_client_options = [&](CLI::App* command) {
    command->add_option("--endpoint-url", admin_client.endpoint_url, "the running kura serve")->capture_default_str();
    command->add_option("--profile", admin_client.profile,
                        "credentials profile (default: AWS_PROFILE, else `default`); credentials come from the "
                        "environment or the shared credentials file, as for the aws CLI");
  };
  kura::cmd::CreateAccountOptions create_account;
  auto* create_account_cmd =
      admin->add_subcommand("create-account", "create an account and its first root access key (operator only)");
  add_client_options(create_account_cmd);
  create_account_cmd->add_option("--account-id", create_account.account_id, "12 digits (random when absent)");
  create_account_cmd->add_option("--name", create_account.name, "the account's name");
  kura::cmd::CreateAccessKeyOptions create_key;
  auto* create_key_cmd = admin->add_subcommand(
      "create-access-key", "create an access key for an account's root or one of its IAM users");
  add_client_options(create_key_cmd);
  create_key_cmd->add_option("--account-id", create_key.account_id, "the account")->required();
  create_key_cmd->add_option("--user-name", create_key.user_name, "an IAM user (default: the account root)");
  auto* key_id_opt = create_key_cmd->add_option("--access-key-id", create_key.access_key_id, "a chosen key id");
  auto* secret_opt =
      create_key_cmd->add_option("--secret-access-key", create_key.secret_access_key, "the chosen key's secret");
  key_id_opt->needs(secret_opt);
  secret_opt->needs(key_id_opt);
  kura::cmd::AuditOptions audit;
  audit.data_dir = kura::cmd::DefaultDataDir();
  auto* audit_cmd = admin->add_subcommand("audit", "print lines of <data dir>/audit.log, newest last");
  audit_cmd->add_option("--data-dir", audit.data_dir, "the server's state directory")->capture_default_str();
  audit_cmd->add_option("--account", audit.account, "calls by this account or on its keys");
  audit_cmd->add_option("--operation", audit.operation, "a KMS operation (Encrypt, CreateKey, ...)");
  audit_cmd->add_option("--since", audit.since, "ISO 8601 date or date-time (UTC unless an offset is given)");
  audit_cmd->add_option("--limit", audit.limit, "only the last N matching lines")->check(CLI::NonNegativeNumber);
  kura::cmd::NbdExportsOptions nbd_exports;
  auto* nbd_exports_cmd = admin->add_subcommand(
      "nbd-exports", "print the NBD URIs of the volumes attached to a running instance (JSON)");
  add_client_options(nbd_exports_cmd);
  nbd_exports_cmd->add_option("--instance-id", nbd_exports.instance_id, "the running instance")->required();
  nbd_exports_cmd->add_option("--account-id", nbd_exports.account_id, "the instance's account (operator only)");
  nbd_exports_cmd->add_option("--tls-psk-file", nbd_exports.psk_file,
                              "write the instance's TLS pre-shared key here (mode 0600) for TcpUri");
  kura::cmd::ImportImageOptions import_image;
  auto* import_cmd = admin->add_subcommand(
      "import-image", "create a snapshot from a disk image (raw, qcow2, … through qemu-img); prints its SnapshotId");
  add_client_options(import_cmd);
  import_cmd->add_option("file", import_image.file, "the disk image")->required();
  import_cmd->add_option("--format", import_image.format, "the image format (default: detected by qemu-img)");
  import_cmd->add_flag("--encrypted", import_image.encrypted, "encrypt the snapshot (as CreateVolume --encrypted)");
  import_cmd->add_option("--kms-key-id", import_image.kms_key_id, "the KMS key (implies --encrypted)");
  import_cmd->add_option("--description", import_image.description, "the snapshot's description");
  import_cmd->add_option("--region", import_image.region, "the region")->capture_default_str();
  import_cmd->add_option("--account-id", import_image.account_id, "the owning account (operator only)");
  kura::cmd::ExportSnapshotOptions export_snapshot;
  auto* export_cmd = admin->add_subcommand("export-snapshot", "write one of your snapshots to a disk image file");
  add_client_options(export_cmd);
  export_cmd->add_option("--snapshot-id", export_snapshot.snapshot_id, "the snapshot")->required();
  export_cmd->add_option("--output", export_snapshot.output, "the image file to write")->required();
  export_cmd->add_option("--format", export_snapshot.format, "raw or qcow2")
      ->check(CLI::IsMember({"raw", "qcow2"}))
      ->capture_default_str();
  export_cmd->add_option("--region", export_snapshot.region, "the region")->capture_default_str();
  export_cmd->add_option("--account-id", export_snapshot.account_id, "the owning account (operator only)");
  kura::cmd::CostOptions cost;
  cost.data_dir = kura::cmd::DefaultDataDir();
  auto* cost_cmd = admin->add_subcommand("cost", "print an account's KMS bill for a month");
  cost_cmd->add_option("--account", cost.account, "the account")->required();
  cost_cmd->add_option("--month", cost.month, "YYYY-MM (UTC)")->required();
  cost_cmd->add_option("--data-dir", cost.data_dir, "the server's state directory")->capture_default_str();
  AddMetadataOptions(cost_cmd, cost.metadata);
  cost_cmd->add_option("--root-key-file", cost.root_key_file, "root key file (default <data dir>/root.key)");
  cost_cmd->add_option("--root-key-passphrase-file", cost.root_key_passphrase_file,
                       "derive the root key from the passphrase in this file");

  // kura audit: a client of the public APIs, against kura or real AWS.
  kura::tools::AuditCommandOptions audit_report;
  auto* audit_report_cmd = app.add_subcommand(
      "audit", "EBS encryption compliance report for the caller's account and region (exit 1: something is unencrypted)");
  audit_report_cmd->add_option("--output", audit_report.output, "text, json or csv")
      ->check(CLI::IsMember({"text", "json", "csv"}))
      ->capture_default_str();
  audit_report_cmd->add_option("--endpoint-url", audit_report.aws.endpoint_url,
                               "send every request here (a kura serve) instead of AWS's public endpoints");
  audit_report_cmd->add_option("--region", audit_report.aws.region,
                               "the region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region)");
  audit_report_cmd->add_option("--profile", audit_report.aws.profile, "credentials and config profile");

  // kura encrypt: a client of the public APIs, against kura or real AWS.
  kura::tools::EncryptCommandOptions encrypt;
  auto* encrypt_cmd = app.add_subcommand("encrypt", "encrypt the existing EBS volumes of instances, safely (journaled)");
  encrypt_cmd->require_subcommand(1);
  const std::vector<std::pair<std::string, std::string>> encrypt_commands = {
      {"plan", "print the steps, their downtime, KMS requests and cost; check every permission; change nothing"},
      {"run", "plan, check, then (with --yes) encrypt; an unfinished run of the same instances is resumed"},
      {"resume", "continue an interrupted run"},
      {"rollback", "put the original volumes and instance state back (--yes)"},
      {"cleanup", "delete the old volumes, snapshots and images the run kept (--yes)"}};
  for (const auto& [name, help] : encrypt_commands) {
    auto* c = encrypt_cmd->add_subcommand(name, help);
    c->add_option("--instance-ids", encrypt.instance_ids, "the instances");
    c->add_option("--filters", encrypt.filters, "instances matching Name=tag:KEY,Values=V1,V2 (as the aws CLI)");
    c->add_option("--method", encrypt.method, "snapshot (keeps the instance) or image (a replacement from an encrypted AMI)")
        ->check(CLI::IsMember({"snapshot", "image"}))
        ->capture_default_str();
    c->add_option("--kms-key-id", encrypt.kms_key_id, "the KMS key (default: the account's default EBS key)");
    c->add_flag("--stop-instance", encrypt.stop_instance,
                "snapshot: stop the instance for the whole run (consistent copies); image: stop the old instance at the end");
    c->add_flag("--no-reboot", encrypt.no_reboot, "image: CreateImage without rebooting the instance");
    c->add_flag("--terminate-old", encrypt.terminate_old, "image: terminate the old instance at the end");
    c->add_flag("--yes", encrypt.yes, "do it (run, rollback, cleanup)");
    c->add_flag("--cleanup", encrypt.cleanup, "run: delete what the run kept once it succeeded");
    c->add_option("--journal-dir", encrypt.journal_dir, "where run journals live (default ~/.kura/encrypt)");
    c->add_option("--output", encrypt.output, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
    c->add_option("--endpoint-url", encrypt.aws.endpoint_url,
                  "send every request here (a kura serve) instead of AWS's public endpoints");
    c->add_option("--region", encrypt.aws.region, "the region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's)");
    c->add_option("--profile", encrypt.aws.profile, "credentials and config profile");
    c->callback([&encrypt, name = name] { encrypt.command = name; });
  }

  app.add_subcommand("version", "print the version");
  // kura encrypt share-image: an AMI with encrypted snapshots into another account (public APIs only).
  // `encrypt` may already exist (the other encrypt subcommands, defined above); share-image joins it.
  auto existing_encrypt = app.get_subcommands([](CLI::App* a) { return a->get_name() == "encrypt"; });
  CLI::App* encrypt_group = existing_encrypt.empty()
                                ? app.add_subcommand("encrypt", "encrypt EBS volumes and images in place, safely")
                                : existing_encrypt.front();
  encrypt_group->require_subcommand(1);
  kura::tools::ShareImageOptions share_image;
  auto* share_image_cmd = encrypt_group->add_subcommand(
      "share-image", "copy an AMI with encrypted snapshots into another account, under that account's key");
  // Required options and --output are checked by the command itself, so that
  // every usage error exits 2 as it documents (CLI11 would exit 105-109).
  share_image_cmd->add_option("--image-id", share_image.image_id, "(required) the AMI, owned by the source account");
  share_image_cmd->add_option("--target-account-id", share_image.target_account_id,
                              "(required) the account receiving it");
  share_image_cmd->add_option("--target-profile", share_image.target_profile,
                              "(required) credentials profile of the target account (copies and registers there)");
  share_image_cmd->add_option("--target-kms-key-id", share_image.target_kms_key_id,
                              "the target's key for the copies (default: its default EBS key)");
  share_image_cmd->add_option("--target-region", share_image.target_region, "the target region (default: --region)");
  share_image_cmd->add_option("--name", share_image.name, "the new AMI's name (default: the source's)");
  share_image_cmd->add_option("--output", share_image.output, "text or json")->capture_default_str();
  share_image_cmd->add_flag("--update-key-policy", share_image.update_key_policy,
                            "add the missing statement to the source key's policy (asks first unless --yes)");
  share_image_cmd->add_flag("--share-launch-permission", share_image.share_launch_permission,
                            "also let the target launch the source AMI itself");
  share_image_cmd->add_flag("--yes", share_image.yes, "do not ask for confirmation");
  share_image_cmd->add_option("--endpoint-url", share_image.aws.endpoint_url,
                              "send every request here (a kura serve) instead of AWS's public endpoints");
  share_image_cmd->add_option("--region", share_image.aws.region,
                              "the source region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region)");
  share_image_cmd->add_option("--profile", share_image.aws.profile, "credentials profile of the source account");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    // kura encrypt promises 2 for every usage error; CLI11's own codes stay for the rest.
    return code != 0 && *encrypt_cmd ? 2 : code;
  }

  kura::base::LogLevel level;
  if (!kura::base::ParseLogLevel(log_level, &level)) {
    std::cerr << "kura: --log-level must be debug, info, warn or error\n";
    return 2;
  }
  kura::base::SetLogLevel(level);

  if (app.got_subcommand("version")) {
    std::cout << "kura " << KURA_VERSION << "\n";
    return 0;
  }
  // Before `encrypt` itself: share-image is one of its subcommands.
  if (*share_image_cmd) return kura::tools::RunShareImageOnStdio(share_image, kura::client::ProcessEnv());
  if (*audit_report_cmd) {
    return kura::tools::RunAudit(audit_report, kura::client::ProcessEnv(), std::cout, std::cerr);
  }
  if (*encrypt_cmd) {
    const bool terminal = ::isatty(encrypt.output == "json" ? STDERR_FILENO : STDOUT_FILENO) == 1;
    return kura::tools::RunEncrypt(encrypt, kura::client::ProcessEnv(), std::cout, std::cerr, terminal);
  }
  if (*create_account_cmd) return kura::cmd::AdminCreateAccount(admin_client, create_account, std::cout, std::cerr);
  if (*create_key_cmd) return kura::cmd::AdminCreateAccessKey(admin_client, create_key, std::cout, std::cerr);
  if (*import_cmd) return kura::cmd::AdminImportImage(admin_client, import_image, std::cout, std::cerr);
  if (*export_cmd) return kura::cmd::AdminExportSnapshot(admin_client, export_snapshot, std::cout, std::cerr);
  if (*nbd_exports_cmd) return kura::cmd::AdminNbdExports(admin_client, nbd_exports, std::cout, std::cerr);
  if (*audit_cmd) return kura::cmd::AdminAudit(audit, std::cout, std::cerr);
  if (*cost_cmd) return kura::cmd::AdminCost(cost, std::cout, std::cerr);
  return kura::cmd::Serve(serve_options);
}
