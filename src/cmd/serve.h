// `kura serve`: opens the data directory, the root key, the identity store,
// the KMS and the EC2/EBS/ELB domain, and serves every AWS API on one HTTP port until SIGTERM/SIGINT,
// then stops gracefully (requests in flight finish).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cmd/metadata_config.h"

namespace kura::cmd {

struct ServeOptions {
  std::string data_dir;
  MetadataConfig metadata;  // --metadata-url, $KURA_METADATA_URL (default: SQLite in the data dir)
  std::string listen = "127.0.0.1:8080";
  std::string auth = "verify";           // "verify" | "open"
  std::string default_account_id;        // --auth open: the account every caller acts as
  std::string bootstrap_account_id;      // first start: the bootstrap account's id (random when empty)
  std::string root_key_file;             // default <data dir>/root.key
  std::string root_key_passphrase_file;  // instead of a key file
  std::vector<std::string> regions = {"us-east-1", "ap-northeast-1"};
  unsigned workers = 0;                  // handler threads; 0: handle on the I/O threads
  unsigned io_threads = 0;               // 0: one per CPU
  // EC2: the instance-type catalog (JSON; "" = built in), the shortest time a
  // resource stays in a transitional state, and the pre-May-2019 AMI sharing rule.
  std::string instance_types_file;
  int64_t ec2_min_transition_ms = 0;
  bool legacy_encrypted_ami_sharing = false;
  // NBD: the TCP address ("off": none), the directory of the per-instance
  // Unix sockets ("" = <data dir>/nbd) and TLS on TCP ("require" | "off").
  std::string nbd_listen = "127.0.0.1:10809";
  std::string nbd_socket_dir;
  std::string nbd_tls = "require";
};

int Serve(const ServeOptions& options);

}  // namespace kura::cmd
