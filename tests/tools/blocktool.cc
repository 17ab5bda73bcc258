// blocktool: a small CLI over blocks::Engine for the end-to-end tests
// (tests/e2e). It opens the data directory DIR as the engine lays it out
// (DIR/metadata.db, DIR/chunks/) and runs one operation per invocation.
// Data keys are read from files of exactly 64 raw bytes; no key file means
// an unencrypted volume. Ids are printed alone on stdout; errors print the
// Status on stderr and exit 1.
//
//   blocktool --data-dir DIR [--key-file K] create-volume --size-gib N
//   blocktool --data-dir DIR [--key-file K] write --volume V --offset O --input FILE
//   blocktool --data-dir DIR [--key-file K] read --volume V --offset O --length L --output FILE
//   blocktool --data-dir DIR snapshot --volume V
//   blocktool --data-dir DIR [--key-file K] volume-from-snapshot --snapshot S
//   blocktool --data-dir DIR copy --snapshot S [--source-key-file F] [--target-key-file G] [--to-volume]
//   blocktool --data-dir DIR delete-snapshot --snapshot S
//   blocktool --data-dir DIR delete-volume --volume V
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "blocks/engine.h"
#include "blocks/layout.h"
#include "blocks/local/local_chunk_store.h"
#include "crypto/secret_bytes.h"
#include "env/filesystem.h"
#include "meta/sqlite/sqlite_database.h"

namespace {

using kura::base::Result;
using kura::base::Status;
namespace blocks = kura::blocks;

Result<std::unique_ptr<blocks::Engine>> OpenEngine(const std::string& dir) {
  auto fs = kura::env::PosixFilesystem();
  KURA_RETURN_IF_ERROR(fs->CreateDirs(dir));
  KURA_ASSIGN_OR_RETURN(auto db, kura::meta::OpenSqliteDatabase(dir + "/metadata.db"));
  KURA_ASSIGN_OR_RETURN(auto store, blocks::LocalChunkStore::Open(fs, dir + "/chunks"));
  return blocks::Engine::Open(std::shared_ptr<kura::meta::Database>(std::move(db)),
                              std::shared_ptr<blocks::ChunkStore>(std::move(store)));
}

// An empty path means "no key" (unencrypted).
Result<std::optional<kura::crypto::SecretBytes>> ReadKey(const std::string& path) {
  if (path.empty()) return std::optional<kura::crypto::SecretBytes>();
  KURA_ASSIGN_OR_RETURN(auto bytes, kura::env::PosixFilesystem()->ReadFile(path));
  kura::crypto::SecretBytes key(bytes);
  std::fill(bytes.begin(), bytes.end(), 0);
  if (key.size() != 64) {
    return kura::base::InvalidArgumentError("key file " + path + " has " + std::to_string(key.size()) +
                                            " bytes; a data key is 64 raw bytes");
  }
  return std::optional<kura::crypto::SecretBytes>(std::move(key));
}

blocks::KeyPtr Ptr(const std::optional<kura::crypto::SecretBytes>& key) { return key ? &*key : nullptr; }

Result<std::vector<uint8_t>> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return kura::base::NotFoundError("cannot open input file " + path);
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return kura::base::InternalError("cannot read input file " + path);
  return data;
}

Status WriteWholeFile(const std::string& path, const std::vector<uint8_t>& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) return kura::base::InternalError("cannot write output file " + path);
  return Status::Ok();
}

struct Options {
  std::string data_dir;
  std::string key_file;
  std::string source_key_file;
  std::string target_key_file;
  uint64_t size_gib = 0;
  int64_t volume = 0;
  int64_t snapshot = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
  std::string input;
  std::string output;
  bool to_volume = false;
};

Status Run(const std::string& command, const Options& o) {
  KURA_ASSIGN_OR_RETURN(auto key, ReadKey(o.key_file));
  KURA_ASSIGN_OR_RETURN(auto engine, OpenEngine(o.data_dir));

  if (command == "create-volume") {
    KURA_ASSIGN_OR_RETURN(auto id, engine->CreateVolume(o.size_gib * blocks::kGiB, Ptr(key)));
    std::cout << id << "\n";
    return Status::Ok();
  }
  if (command == "write") {
    KURA_ASSIGN_OR_RETURN(auto data, ReadWholeFile(o.input));
    KURA_ASSIGN_OR_RETURN(auto volume, engine->OpenVolume(o.volume, Ptr(key)));
    KURA_RETURN_IF_ERROR(volume->Write(o.offset, data));
    return volume->Flush();
  }
  if (command == "read") {
    KURA_ASSIGN_OR_RETURN(auto volume, engine->OpenVolume(o.volume, Ptr(key)));
    std::vector<uint8_t> data(o.length);
    KURA_RETURN_IF_ERROR(volume->Read(o.offset, data));
    return WriteWholeFile(o.output, data);
  }
  if (command == "snapshot") {
    KURA_ASSIGN_OR_RETURN(auto id, engine->CreateSnapshot(o.volume));
    std::cout << id << "\n";
    return Status::Ok();
  }
  if (command == "volume-from-snapshot") {
    KURA_ASSIGN_OR_RETURN(auto id, engine->CreateVolumeFromSnapshot(o.snapshot, 0, Ptr(key)));
    std::cout << id << "\n";
    return Status::Ok();
  }
  if (command == "copy") {
    KURA_ASSIGN_OR_RETURN(auto source_key, ReadKey(o.source_key_file));
    KURA_ASSIGN_OR_RETURN(auto target_key, ReadKey(o.target_key_file));
    KURA_ASSIGN_OR_RETURN(auto job, engine->StartCopy(o.snapshot, Ptr(target_key), o.to_volume));
    KURA_ASSIGN_OR_RETURN(auto result, engine->RunCopy(job, Ptr(source_key), Ptr(target_key), {}));
    std::cout << result.id << "\n";
    return Status::Ok();
  }
  if (command == "delete-snapshot") return engine->DeleteSnapshot(o.snapshot);
  if (command == "delete-volume") return engine->DeleteVolume(o.volume);
  return kura::base::InvalidArgumentError("unknown command " + command);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"blocktool: block engine operations for the end-to-end tests"};
  app.require_subcommand(1);
  Options o;
  app.add_option("--data-dir", o.data_dir, "data directory (metadata.db, chunks/)")->required();
  app.add_option("--key-file", o.key_file, "file holding the 64-byte data key (absent: unencrypted)");

  auto* create = app.add_subcommand("create-volume", "create a volume; prints its id");
  create->add_option("--size-gib", o.size_gib, "size in GiB")->required();

  auto* write = app.add_subcommand("write", "write a file's bytes at an offset, then flush");
  write->add_option("--volume", o.volume)->required();
  write->add_option("--offset", o.offset)->required();
  write->add_option("--input", o.input)->required();

  auto* read = app.add_subcommand("read", "read a range into a file");
  read->add_option("--volume", o.volume)->required();
  read->add_option("--offset", o.offset)->required();
  read->add_option("--length", o.length)->required();
  read->add_option("--output", o.output)->required();

  auto* snapshot = app.add_subcommand("snapshot", "snapshot a volume; prints the snapshot id");
  snapshot->add_option("--volume", o.volume)->required();

  auto* from_snapshot = app.add_subcommand("volume-from-snapshot", "create a volume from a snapshot; prints its id");
  from_snapshot->add_option("--snapshot", o.snapshot)->required();

  auto* copy = app.add_subcommand("copy", "copy a snapshot under another key; prints the new snapshot or volume id");
  copy->add_option("--snapshot", o.snapshot)->required();
  copy->add_option("--source-key-file", o.source_key_file, "the snapshot's key (absent: unencrypted)");
  copy->add_option("--target-key-file", o.target_key_file, "the copy's key (absent: unencrypted)");
  copy->add_flag("--to-volume", o.to_volume, "make the copy a volume instead of a snapshot");

  auto* delete_snapshot = app.add_subcommand("delete-snapshot", "delete a snapshot");
  delete_snapshot->add_option("--snapshot", o.snapshot)->required();

  auto* delete_volume = app.add_subcommand("delete-volume", "delete a volume");
  delete_volume->add_option("--volume", o.volume)->required();

  CLI11_PARSE(app, argc, argv);

  Status status = Run(app.get_subcommands().front()->get_name(), o);
  if (!status.ok()) {
    std::cerr << status.ToString() << "\n";
    return 1;
  }
  return 0;
}
