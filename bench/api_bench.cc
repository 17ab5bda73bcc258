// api_bench: load generator for the KMS API over keep-alive HTTP/1.1.
//
// The connections, signing and measuring are bench/load_generator.h's (read
// its header for what exactly is timed); this file says what KMS load to
// send. N connections each send requests back to back: a warm-up, then a
// measured window of fixed length (time-bounded loads). Requests are KMS
// JSON 1.1 as botocore sends them (POST /, X-Amz-Target TrentService.<Op>,
// Content-Type application/x-amz-json-1.1), SigV4-signed per request.
//
// It first creates a key (CreateKey, unless --key-id names one) and one
// ciphertext (GenerateDataKey), then runs the GenerateDataKey load and then
// the Decrypt load. For each it prints requests/s, p50/p99/max latency (ms)
// and the error count (any non-200 response or connection failure is an
// error), the server's CPU (with --server-pid) and its own, and one machine
// line per load (format in load_generator.h, PrintResult).
//
// Timings never fail the run. Exit 1 when set-up fails or any request failed.
//
// Usage: api_bench --endpoint http://127.0.0.1:8080
//          [--access-key-id ID --secret-access-key S | --credentials-file F]
//          [--region us-east-1] [--connections 64] [--seconds 5] [--warmup 1]
//          [--threads 1] [--key-id ID] [--label NAME] [--ops generate,decrypt]
//          [--server-pid PID]
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "load_generator.h"

namespace {

using namespace kura::bench;

struct Options {
  CommonOptions common;
  std::string key_id;
  bool run_generate = true;
  bool run_decrypt = true;
};

[[noreturn]] void Usage(const std::string& error) {
  std::fprintf(stderr, "api_bench: %s\nusage: api_bench %s\n         [--key-id ID] [--ops generate,decrypt]\n",
               error.c_str(), CommonUsage());
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  try {
    ParseArguments(argc, argv, o.common, [&o](const std::string& arg, const std::function<std::string()>& value) {
      if (arg == "--key-id") o.key_id = value();
      else if (arg == "--ops") {
        std::string ops = value();
        o.run_generate = ops.find("generate") != std::string::npos;
        o.run_decrypt = ops.find("decrypt") != std::string::npos;
      } else return false;
      return true;
    });
  } catch (const std::invalid_argument& e) {
    Usage(e.what());
  }
  return o;
}

// One set-up call; throws on anything but 200.
nlohmann::json Call(const Endpoint& e, const std::string& operation, const nlohmann::json& body) {
  HttpResponse response = SendOnce(e, KmsRequest(e, operation, body.dump()));
  if (response.result_int() != 200) {
    throw std::runtime_error(operation + ": HTTP " + std::to_string(response.result_int()) + ": " + response.body());
  }
  return nlohmann::json::parse(response.body());
}

// The same request again and again, for `seconds` after a warm-up.
LoadResult RunKmsLoad(const Options& o, const std::string& operation, const nlohmann::json& body) {
  Load load;
  load.name = operation;
  load.connections = o.common.connections;
  load.warmup_seconds = o.common.warmup;
  load.seconds = o.common.seconds;
  const Endpoint& e = o.common.endpoint;
  load.first = [&e, operation, text = body.dump()](uint64_t) { return KmsRequest(e, operation, text); };
  return RunLoad(load, e, o.common.threads, o.common.server_pid);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseOptions(argc, argv);
  const Endpoint& e = o.common.endpoint;
  const std::string& label = o.common.label;
  std::string ciphertext;
  try {
    if (o.key_id.empty()) {
      auto created = Call(e, "CreateKey", {{"Description", "kura api_bench"}});
      o.key_id = created.at("KeyMetadata").at("KeyId").get<std::string>();
    }
    auto generated = Call(e, "GenerateDataKey", {{"KeyId", o.key_id}, {"KeySpec", "AES_256"}});
    ciphertext = generated.at("CiphertextBlob").get<std::string>();
    // The blob must decrypt before the load starts.
    (void)Call(e, "Decrypt", {{"CiphertextBlob", ciphertext}});
  } catch (const std::exception& err) {
    std::fprintf(stderr, "api_bench %s: set-up failed against %s: %s\n", label.c_str(), e.url.c_str(), err.what());
    return 1;
  }
  std::printf("api_bench %s: %s, key %s, %u connections, %u client thread(s), %.1f s warm-up + %.1f s per load\n",
              label.c_str(), e.url.c_str(), o.key_id.c_str(), o.common.connections, o.common.threads,
              o.common.warmup, o.common.seconds);
  std::fflush(stdout);

  uint64_t errors = 0;
  if (o.run_generate) {
    LoadResult r = RunKmsLoad(o, "GenerateDataKey", {{"KeyId", o.key_id}, {"KeySpec", "AES_256"}});
    PrintResult(label, r);
    errors += r.errors;
  }
  if (o.run_decrypt) {
    LoadResult r = RunKmsLoad(o, "Decrypt", {{"CiphertextBlob", ciphertext}});
    PrintResult(label, r);
    errors += r.errors;
  }
  return errors ? 1 : 0;
}
