// The kura binary: subcommands and wiring (the only composition root).
#include <CLI/CLI.hpp>

#include <iostream>

#include "base/log.h"
#include "cmd/data_dir.h"
#include "cmd/serve.h"

#ifndef KURA_VERSION
#define KURA_VERSION "dev"
#endif

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
  serve->add_option("--workers", serve_options.workers, "requests handled at once")->capture_default_str();

  app.add_subcommand("version", "print the version");

  CLI11_PARSE(app, argc, argv);

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
  return kura::cmd::Serve(serve_options);
}
