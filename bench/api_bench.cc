// api_bench: load generator for the KMS API over keep-alive HTTP/1.1.
//
// N connections (Boost.Beast, asynchronous, one I/O thread by default) each
// send requests back to back: a warm-up, then a measured window of fixed
// length. Every request is SigV4-signed with client::SignRequest the way
// botocore signs (fresh X-Amz-Date per request; KMS JSON 1.1: POST /,
// X-Amz-Target TrentService.<Op>, Content-Type application/x-amz-json-1.1).
//
// It first creates a key (CreateKey, unless --key-id names one) and one
// ciphertext (GenerateDataKey), then runs the GenerateDataKey load and then
// the Decrypt load. For each it prints requests/s, p50/p99/max latency (ms)
// and the error count (any non-200 response or connection failure is an
// error). Latency is measured per request with steady_clock from the first
// byte written to the last byte of the response read (signing excluded);
// percentiles are nearest-rank over all samples of the window. A request
// counts when it starts and ends inside the window.
//
// With --server-pid it also reports the server's CPU over the window (from
// /proc/PID/stat), and always its own: cores used and CPU microseconds per
// request, which show how the load generator and the server share the cores.
//
// Besides the human lines it prints one machine line per load:
//   result label=L op=O rps=R p50_ms=A p99_ms=B max_ms=C errors=E requests=N
//          server_cores=S server_us_per_req=U client_cores=C client_us_per_req=V
//   (server_* are -1 without --server-pid)
//
// Timings never fail the run. Exit 1 when set-up fails or any request failed.
//
// Usage: api_bench --endpoint http://127.0.0.1:8080
//          [--access-key-id ID --secret-access-key S | --credentials-file F]
//          [--region us-east-1] [--connections 64] [--seconds 5] [--warmup 1]
//          [--threads 1] [--key-id ID] [--label NAME] [--ops generate,decrypt]
//          [--server-pid PID]
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <time.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include "client/sigv4.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using kura::client::Credentials;

// ---------------------------------------------------------------- options

struct Options {
  std::string endpoint;
  std::string host;  // for connecting
  std::string port;
  std::string host_header;
  Credentials credentials;
  std::string credentials_file;
  std::string region = "us-east-1";
  unsigned connections = 64;
  double seconds = 5;
  double warmup = 1;
  unsigned threads = 1;
  std::string key_id;
  std::string label = "server";
  bool run_generate = true;
  bool run_decrypt = true;
  long server_pid = 0;  // when set, the server's CPU time over the window is reported
};

[[noreturn]] void Usage(const std::string& error) {
  std::fprintf(stderr,
               "api_bench: %s\n"
               "usage: api_bench --endpoint http://HOST:PORT [--access-key-id ID --secret-access-key S |\n"
               "         --credentials-file FILE] [--region R] [--connections N] [--seconds S] [--warmup S]\n"
               "         [--threads N] [--key-id ID] [--label NAME] [--ops generate,decrypt] [--server-pid PID]\n",
               error.c_str());
  std::exit(2);
}

std::string Trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// Shared-credentials format, profile [default].
Credentials ReadCredentialsFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) Usage("cannot read credentials file " + path);
  Credentials out;
  std::string line;
  std::string section;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = Trim(line.substr(1, line.size() - 2));
      continue;
    }
    if (section != "default") continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string name = Trim(line.substr(0, eq));
    std::string value = Trim(line.substr(eq + 1));
    if (name == "aws_access_key_id") out.access_key_id = value;
    if (name == "aws_secret_access_key") out.secret_access_key = value;
    if (name == "aws_session_token") out.session_token = value;
  }
  if (out.access_key_id.empty() || out.secret_access_key.empty()) {
    Usage("no [default] access key in " + path);
  }
  return out;
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(arg + " needs a value");
      return argv[++i];
    };
    try {
      if (arg == "--endpoint") o.endpoint = value();
      else if (arg == "--access-key-id") o.credentials.access_key_id = value();
      else if (arg == "--secret-access-key") o.credentials.secret_access_key = value();
      else if (arg == "--session-token") o.credentials.session_token = value();
      else if (arg == "--credentials-file") o.credentials_file = value();
      else if (arg == "--region") o.region = value();
      else if (arg == "--connections") o.connections = static_cast<unsigned>(std::stoul(value()));
      else if (arg == "--seconds") o.seconds = std::stod(value());
      else if (arg == "--warmup") o.warmup = std::stod(value());
      else if (arg == "--threads") o.threads = static_cast<unsigned>(std::stoul(value()));
      else if (arg == "--key-id") o.key_id = value();
      else if (arg == "--label") o.label = value();
      else if (arg == "--server-pid") o.server_pid = std::stol(value());
      else if (arg == "--ops") {
        std::string ops = value();
        o.run_generate = ops.find("generate") != std::string::npos;
        o.run_decrypt = ops.find("decrypt") != std::string::npos;
      } else if (arg == "-h" || arg == "--help") Usage("help");
      else Usage("unknown option " + arg);
    } catch (const std::logic_error&) {
      Usage("bad value for " + arg);
    }
  }
  if (o.endpoint.empty()) Usage("--endpoint is required");
  if (!o.credentials_file.empty()) o.credentials = ReadCredentialsFile(o.credentials_file);
  if (o.credentials.access_key_id.empty() || o.credentials.secret_access_key.empty()) {
    Usage("credentials: --access-key-id and --secret-access-key, or --credentials-file");
  }
  if (o.connections == 0 || o.threads == 0 || o.seconds <= 0 || o.warmup < 0) Usage("bad load parameters");

  constexpr std::string_view kScheme = "http://";
  if (o.endpoint.rfind(kScheme, 0) != 0) Usage("--endpoint must be http://HOST[:PORT] (no TLS)");
  std::string rest = o.endpoint.substr(kScheme.size());
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  o.host_header = rest;
  auto colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find(']', colon) == std::string::npos) {
    o.host = rest.substr(0, colon);
    o.port = rest.substr(colon + 1);
  } else {
    o.host = rest;
    o.port = "80";
  }
  if (o.host.size() > 2 && o.host.front() == '[') o.host = o.host.substr(1, o.host.size() - 2);
  return o;
}

// ---------------------------------------------------------------- requests

std::string NowAmzDate() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return kura::client::AmzDate(std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

// A signed KMS JSON 1.1 request, as botocore builds it.
http::request<http::string_body> KmsRequest(const Options& o, const std::string& operation, const std::string& body) {
  kura::client::SignableRequest signable;
  signable.method = "POST";
  signable.path = "/";
  signable.headers = {{"Host", o.host_header},
                      {"Content-Type", "application/x-amz-json-1.1"},
                      {"X-Amz-Target", "TrentService." + operation}};
  signable.body = body;
  kura::client::SignRequest(signable, o.credentials, o.region, "kms", NowAmzDate());

  http::request<http::string_body> request{http::verb::post, "/", 11};
  for (const auto& [name, value] : signable.headers) request.set(name, value);
  request.set(http::field::user_agent, "kura-api-bench");
  request.keep_alive(true);
  request.body() = std::move(signable.body);
  request.prepare_payload();
  return request;
}

// One synchronous call (set-up only). Throws on failure.
nlohmann::json Call(const Options& o, const std::string& operation, const nlohmann::json& body) {
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(resolver.resolve(o.host, o.port));
  auto request = KmsRequest(o, operation, body.dump());
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  if (response.result_int() != 200) {
    throw std::runtime_error(operation + ": HTTP " + std::to_string(response.result_int()) + ": " + response.body());
  }
  return nlohmann::json::parse(response.body());
}

// ---------------------------------------------------------------- load

struct Window {
  Clock::time_point measure_start;
  Clock::time_point measure_end;
};

struct ConnectionStats {
  std::vector<double> latencies_ms;  // requests inside the window
  uint64_t errors = 0;               // inside or outside the window
  uint64_t window_errors = 0;
  uint64_t connects = 0;  // TCP connections opened (more than one: the server closed keep-alive)
  std::string first_error;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::io_context& ioc, const Options& options, const tcp::resolver::results_type& endpoints,
             const Window& window, std::string operation, std::string body, ConnectionStats& stats)
      : stream_(asio::make_strand(ioc)),
        options_(options),
        endpoints_(endpoints),
        window_(window),
        operation_(std::move(operation)),
        body_(std::move(body)),
        stats_(stats) {}

  void Start() { Connect(); }

 private:
  void Connect() {
    ++stats_.connects;
    stream_.expires_after(std::chrono::seconds(10));
    stream_.async_connect(endpoints_, [self = shared_from_this()](error_code ec, const tcp::endpoint&) {
      if (ec) {
        self->Error("connect: " + ec.message(), Clock::now());
        return;  // this connection stops: no busy loop against a dead server
      }
      self->stream_.socket().set_option(tcp::no_delay(true), ec);
      self->Send();
    });
  }

  void Send() {
    if (Clock::now() >= window_.measure_end) {
      error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_.close();
      return;
    }
    request_ = KmsRequest(options_, operation_, body_);  // signed with a fresh X-Amz-Date
    response_ = {};
    stream_.expires_after(std::chrono::seconds(30));
    start_ = Clock::now();
    http::async_write(stream_, request_, [self = shared_from_this()](error_code ec, size_t) {
      if (ec) return self->Retry("write: " + ec.message());
      self->ReadResponse();
    });
  }

  void ReadResponse() {
    http::async_read(stream_, buffer_, response_, [self = shared_from_this()](error_code ec, size_t) {
      if (ec) return self->Retry("read: " + ec.message());
      self->Done();
    });
  }

  void Done() {
    Clock::time_point end = Clock::now();
    bool in_window = start_ >= window_.measure_start && end <= window_.measure_end;
    if (response_.result_int() != 200) {
      Error("HTTP " + std::to_string(response_.result_int()) + ": " + response_.body().substr(0, 300), end);
    } else if (in_window) {
      stats_.latencies_ms.push_back(std::chrono::duration<double, std::milli>(end - start_).count());
    }
    if (!response_.keep_alive()) {  // the server closed: open a new connection (not an error)
      error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_.close();
      buffer_.clear();
      if (Clock::now() < window_.measure_end) Connect();
      return;
    }
    Send();
  }

  void Error(const std::string& what, Clock::time_point when) {
    ++stats_.errors;
    if (when >= window_.measure_start && when <= window_.measure_end) ++stats_.window_errors;
    if (stats_.first_error.empty()) stats_.first_error = what;
  }

  // A transport failure: counted, then one fresh connection.
  void Retry(const std::string& what) {
    Error(what, Clock::now());
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    buffer_.clear();
    if (Clock::now() < window_.measure_end) Connect();
  }

  beast::tcp_stream stream_;
  const Options& options_;
  const tcp::resolver::results_type& endpoints_;
  const Window& window_;
  const std::string operation_;
  const std::string body_;
  ConnectionStats& stats_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  Clock::time_point start_;
};

// CPU seconds (user + system) a process has used, from /proc/PID/stat; < 0 when unreadable.
double ProcessCpuSeconds(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return -1;
  auto paren = stat.rfind(')');  // the command name may hold spaces
  if (paren == std::string::npos) return -1;
  std::vector<std::string> fields;
  std::string field;
  for (char c : stat.substr(paren + 2)) {
    if (c == ' ') {
      fields.push_back(field);
      field.clear();
    } else {
      field.push_back(c);
    }
  }
  // Fields 14 and 15 (utime, stime) are the 12th and 13th after the name.
  if (fields.size() < 13) return -1;
  return (std::stod(fields[11]) + std::stod(fields[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double OwnCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct CpuSample {
  double server = -1;
  double client = 0;
};

struct LoadResult {
  std::string operation;
  double server_cores = -1;  // CPU the server used during the window (cores); < 0 when unknown
  double client_cores = 0;   // CPU this load generator used during the window
  double rps = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  uint64_t requests = 0;
  uint64_t errors = 0;
  uint64_t connects = 0;
  std::string first_error;
};

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

LoadResult RunLoad(const Options& o, const std::string& operation, const std::string& body) {
  asio::io_context ioc(static_cast<int>(o.threads));
  tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(o.host, o.port);
  Window window;
  window.measure_start = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup));
  window.measure_end = window.measure_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));

  // CPU of the server and of this process, sampled at both ends of the window.
  CpuSample at_start, at_end;
  auto sample = [&o](CpuSample& s) {
    if (o.server_pid > 0) s.server = ProcessCpuSeconds(o.server_pid);
    s.client = OwnCpuSeconds();
  };
  asio::steady_timer start_timer(ioc, window.measure_start), end_timer(ioc, window.measure_end);
  start_timer.async_wait([&](error_code) { sample(at_start); });
  end_timer.async_wait([&](error_code) { sample(at_end); });

  std::vector<ConnectionStats> stats(o.connections);
  for (unsigned i = 0; i < o.connections; ++i) {
    std::make_shared<Connection>(ioc, o, endpoints, window, operation, body, stats[i])->Start();
  }
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < o.threads; ++i) threads.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();

  LoadResult result;
  result.operation = operation;
  std::vector<double> all;
  for (const auto& s : stats) {
    all.insert(all.end(), s.latencies_ms.begin(), s.latencies_ms.end());
    result.errors += s.errors;
    result.connects += s.connects;
    if (result.first_error.empty()) result.first_error = s.first_error;
  }
  std::sort(all.begin(), all.end());
  result.requests = all.size();
  result.rps = static_cast<double>(all.size()) / o.seconds;
  result.p50_ms = Percentile(all, 0.50);
  result.p99_ms = Percentile(all, 0.99);
  result.max_ms = all.empty() ? 0 : all.back();
  if (at_start.server >= 0 && at_end.server >= 0) result.server_cores = (at_end.server - at_start.server) / o.seconds;
  result.client_cores = (at_end.client - at_start.client) / o.seconds;
  return result;
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

void Print(const Options& o, const LoadResult& r) {
  std::printf("%-8s %-16s %10.1f req/s  p50 %7.3f ms  p99 %7.3f ms  max %8.3f ms  errors %llu%s\n", o.label.c_str(),
              r.operation.c_str(), r.rps, r.p50_ms, r.p99_ms, r.max_ms, static_cast<unsigned long long>(r.errors),
              r.errors ? "  (RUN HAD ERRORS)" : "");
  if (r.errors) std::printf("         first error: %s\n", r.first_error.c_str());
  // CPU per request: CPU time over the window / requests completed in it.
  double per_request = r.rps > 0 ? 1e6 / r.rps : 0;
  std::string server_cpu = r.server_cores < 0 ? "unknown" : Fixed(r.server_cores, 2) + " cores, " +
                                                                 Fixed(r.server_cores * per_request, 0) + " us/req";
  if (r.connects > o.connections) {
    std::printf("         the server closed connections: %llu TCP connections opened for %u (not keep-alive)\n",
                static_cast<unsigned long long>(r.connects), o.connections);
  }
  std::printf("         CPU during the window: server %s; load generator %s cores, %s us/req\n",
              server_cpu.c_str(), Fixed(r.client_cores, 2).c_str(), Fixed(r.client_cores * per_request, 0).c_str());
  std::printf(
      "result label=%s op=%s rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%llu requests=%llu "
      "server_cores=%.2f server_us_per_req=%.0f client_cores=%.2f client_us_per_req=%.0f\n",
      o.label.c_str(), r.operation.c_str(), r.rps, r.p50_ms, r.p99_ms, r.max_ms,
      static_cast<unsigned long long>(r.errors), static_cast<unsigned long long>(r.requests), r.server_cores,
      r.server_cores < 0 ? -1.0 : r.server_cores * per_request, r.client_cores, r.client_cores * per_request);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseOptions(argc, argv);
  std::string ciphertext;
  try {
    if (o.key_id.empty()) {
      auto created = Call(o, "CreateKey", {{"Description", "kura api_bench"}});
      o.key_id = created.at("KeyMetadata").at("KeyId").get<std::string>();
    }
    auto generated = Call(o, "GenerateDataKey", {{"KeyId", o.key_id}, {"KeySpec", "AES_256"}});
    ciphertext = generated.at("CiphertextBlob").get<std::string>();
    // The blob must decrypt before the load starts.
    (void)Call(o, "Decrypt", {{"CiphertextBlob", ciphertext}});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "api_bench %s: set-up failed against %s: %s\n", o.label.c_str(), o.endpoint.c_str(),
                 e.what());
    return 1;
  }
  std::printf("api_bench %s: %s, key %s, %u connections, %u client thread(s), %.1f s warm-up + %.1f s per load\n",
              o.label.c_str(), o.endpoint.c_str(), o.key_id.c_str(), o.connections, o.threads, o.warmup, o.seconds);
  std::fflush(stdout);

  uint64_t errors = 0;
  if (o.run_generate) {
    nlohmann::json body = {{"KeyId", o.key_id}, {"KeySpec", "AES_256"}};
    LoadResult r = RunLoad(o, "GenerateDataKey", body.dump());
    Print(o, r);
    errors += r.errors;
  }
  if (o.run_decrypt) {
    nlohmann::json body = {{"CiphertextBlob", ciphertext}};
    LoadResult r = RunLoad(o, "Decrypt", body.dump());
    Print(o, r);
    errors += r.errors;
  }
  return errors ? 1 : 0;
}
