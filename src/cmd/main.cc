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
  serve->add_option("--data-dir", serve_options.data_dir, "state directory (metadata.db, chunks/)")
      ->capture_default_str();

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
