// See load_generator.h for the model (units, the two bounds, what is timed).
#include "load_generator.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <thread>

#include <time.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace kura::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// Generous: a 10,000-volume DescribeVolumes from moto takes seconds, and a
// timeout must never be what a slow peer's figure measures.
constexpr auto kRequestTimeout = std::chrono::seconds(300);

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

std::string Trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// Shared-credentials format, profile [default] (what `kura serve` writes to DIR/credentials).
client::Credentials ReadCredentialsFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cannot read credentials file " + path);
  client::Credentials out;
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
    throw std::invalid_argument("no [default] access key in " + path);
  }
  return out;
}

void ParseEndpointUrl(Endpoint& e) {
  constexpr std::string_view kScheme = "http://";
  if (e.url.rfind(kScheme, 0) != 0) throw std::invalid_argument("--endpoint must be http://HOST[:PORT] (no TLS)");
  std::string rest = e.url.substr(kScheme.size());
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  e.host_header = rest;
  auto colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find(']', colon) == std::string::npos) {
    e.host = rest.substr(0, colon);
    e.port = rest.substr(colon + 1);
  } else {
    e.host = rest;
    e.port = "80";
  }
  if (e.host.size() > 2 && e.host.front() == '[') e.host = e.host.substr(1, e.host.size() - 2);
}

std::string NowAmzDate() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return client::AmzDate(std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

HttpRequest SignedPost(const Endpoint& e, const std::string& service,
                       std::vector<std::pair<std::string, std::string>> headers, std::string body) {
  client::SignableRequest signable;
  signable.method = "POST";
  signable.path = "/";
  signable.headers = std::move(headers);
  signable.headers.insert(signable.headers.begin(), {"Host", e.host_header});
  signable.body = std::move(body);
  client::SignRequest(signable, e.credentials, e.region, service, NowAmzDate());

  HttpRequest request{http::verb::post, "/", 11};
  for (const auto& [name, value] : signable.headers) request.set(name, value);
  request.set(http::field::user_agent, "kura-bench");
  request.keep_alive(true);
  request.body() = std::move(signable.body);
  request.prepare_payload();
  return request;
}

// A response parser without Beast's default 8 MiB body limit: a
// DescribeVolumes of 10,000 volumes is larger than that.
using ResponseParser = http::response_parser<http::string_body>;
void Unlimited(ResponseParser& parser) { parser.body_limit(std::numeric_limits<std::uint64_t>::max()); }

// ---------------------------------------------------------------- CPU

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
  void Take(long server_pid) {
    if (server_pid > 0) server = ProcessCpuSeconds(server_pid);
    client = OwnCpuSeconds();
  }
};

// ---------------------------------------------------------------- load

struct ConnectionStats {
  std::vector<double> latencies_ms;  // measured units
  uint64_t http_requests = 0;        // 200 responses of measured units
  uint64_t items = 0;                // of the last measured unit
  uint64_t errors = 0;
  uint64_t connects = 0;
  bool capped = false;
  Clock::time_point first_start = Clock::time_point::max();  // of measured units
  Clock::time_point last_end = Clock::time_point::min();
  std::string first_error;
};

// What all connections of one load share.
struct Run {
  const Load& load;
  tcp::resolver::results_type endpoints;
  bool counted;                   // count-bounded
  uint64_t total_units;           // count-bounded: warmup_units + count
  Clock::time_point measure_start;  // time-bounded: the window; count-bounded: the start
  Clock::time_point measure_end;    // time-bounded: the window's end; count-bounded: the cap
  std::atomic<uint64_t> next_unit{0};

  // Past the window's end (time-bounded) or the cap (count-bounded). The cap
  // lets at least one measured unit start: a unit slower than the cap (a
  // 25 s moto DescribeVolumes) must still give one figure after its warm-up.
  bool PastEnd() const {
    if (Clock::now() < measure_end) return false;
    return !counted || next_unit.load() > load.warmup_units;
  }
  // May another unit start now?
  bool MayStart() const { return !PastEnd() && (!counted || next_unit.load() < total_units); }
  std::optional<uint64_t> TakeUnit(ConnectionStats& stats) {
    if (PastEnd()) {
      if (counted && next_unit.load() < total_units) stats.capped = true;
      return std::nullopt;
    }
    uint64_t unit = next_unit.fetch_add(1);
    if (counted && unit >= total_units) return std::nullopt;
    return unit;
  }
  bool Measured(uint64_t unit, Clock::time_point start, Clock::time_point end) const {
    if (counted) return unit >= load.warmup_units;
    return start >= measure_start && end <= measure_end;
  }
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::io_context& ioc, Run& run, ConnectionStats& stats)
      : stream_(asio::make_strand(ioc)), run_(run), stats_(stats) {}

  void Start() { Connect(); }

 private:
  void Connect() {
    ++stats_.connects;
    stream_.expires_after(std::chrono::seconds(10));
    stream_.async_connect(run_.endpoints, [self = shared_from_this()](error_code ec, const tcp::endpoint&) {
      if (ec) {
        self->Error("connect: " + ec.message());
        return;  // this connection stops: no busy loop against a dead server
      }
      self->stream_.socket().set_option(tcp::no_delay(true), ec);
      self->Issue();
    });
  }

  // Sends the next request: the pending step of the unit in progress, or the
  // first request of a new unit.
  void Issue() {
    try {
      if (in_unit_) {
        // A time-bounded unit still running at the window's end cannot count.
        if (!run_.counted && Clock::now() >= run_.measure_end) return CloseSocket();
        request_ = std::move(*pending_);
        pending_.reset();
      } else {
        std::optional<uint64_t> unit = run_.TakeUnit(stats_);
        if (!unit) return CloseSocket();
        unit_ = *unit;
        in_unit_ = true;
        steps_ = 0;
        unit_items_ = 0;
        request_ = run_.load.first(unit_);
        unit_start_ = Clock::now();
      }
    } catch (const std::exception& e) {  // a bench's request builder failed: report, stop this connection
      Error(std::string("building the request: ") + e.what());
      return CloseSocket();
    }
    parser_.emplace();
    Unlimited(*parser_);
    stream_.expires_after(kRequestTimeout);
    http::async_write(stream_, request_, [self = shared_from_this()](error_code ec, size_t) {
      if (ec) return self->Retry("write: " + ec.message());
      self->ReadResponse();
    });
  }

  void ReadResponse() {
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](error_code ec, size_t) {
      if (ec) return self->Retry("read: " + ec.message());
      self->OnResponse();
    });
  }

  void OnResponse() {
    Clock::time_point end = Clock::now();
    HttpResponse response = parser_->release();
    bool keep_alive = response.keep_alive();
    if (response.result_int() != 200) {
      Error("HTTP " + std::to_string(response.result_int()) + ": " + response.body().substr(0, 400));
      in_unit_ = false;
      pending_.reset();
    } else {
      try {
        ++steps_;
        if (run_.load.items) unit_items_ += run_.load.items(response);
        if (run_.load.next) pending_ = run_.load.next(unit_, response);
        if (!pending_) {
          in_unit_ = false;
          Record(end);
        }
      } catch (const std::exception& e) {  // the response was not what the bench expects
        Error(std::string("reading the response: ") + e.what());
        in_unit_ = false;
        pending_.reset();
      }
    }
    if (!keep_alive) {  // the server closed: a new connection (not an error); a unit in progress goes on
      CloseSocket();
      if (in_unit_ || run_.MayStart()) Connect();
      return;
    }
    Issue();
  }

  void Record(Clock::time_point end) {
    if (!run_.Measured(unit_, unit_start_, end)) return;
    stats_.latencies_ms.push_back(std::chrono::duration<double, std::milli>(end - unit_start_).count());
    stats_.http_requests += steps_;
    stats_.items = unit_items_;
    stats_.first_start = std::min(stats_.first_start, unit_start_);
    stats_.last_end = std::max(stats_.last_end, end);
  }

  void Error(const std::string& what) {
    ++stats_.errors;
    if (stats_.first_error.empty()) stats_.first_error = what;
  }

  // A transport failure: counted, the unit abandoned, then one fresh connection.
  void Retry(const std::string& what) {
    Error(what);
    in_unit_ = false;
    pending_.reset();
    CloseSocket();
    if (run_.MayStart()) Connect();
  }

  void CloseSocket() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    buffer_.clear();
  }

  beast::tcp_stream stream_;
  Run& run_;
  ConnectionStats& stats_;
  beast::flat_buffer buffer_;
  HttpRequest request_;
  std::optional<ResponseParser> parser_;
  // The unit in progress.
  bool in_unit_ = false;
  uint64_t unit_ = 0;
  uint64_t steps_ = 0;
  uint64_t unit_items_ = 0;
  std::optional<HttpRequest> pending_;  // its next step
  Clock::time_point unit_start_;
};

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

// ---------------------------------------------------------------- options

const char* CommonUsage() {
  return "--endpoint http://HOST:PORT [--access-key-id ID --secret-access-key S [--session-token T] |\n"
         "         --credentials-file FILE] [--region R] [--connections N] [--seconds S] [--warmup S]\n"
         "         [--threads N] [--label NAME] [--server-pid PID]";
}

bool ParseCommonOption(const std::string& arg, const std::function<std::string()>& value, CommonOptions& o) {
  try {
    if (arg == "--endpoint") o.endpoint.url = value();
    else if (arg == "--access-key-id") o.endpoint.credentials.access_key_id = value();
    else if (arg == "--secret-access-key") o.endpoint.credentials.secret_access_key = value();
    else if (arg == "--session-token") o.endpoint.credentials.session_token = value();
    else if (arg == "--credentials-file") o.credentials_file = value();
    else if (arg == "--region") o.endpoint.region = value();
    else if (arg == "--connections") o.connections = static_cast<unsigned>(std::stoul(value()));
    else if (arg == "--seconds") o.seconds = std::stod(value());
    else if (arg == "--warmup") o.warmup = std::stod(value());
    else if (arg == "--threads") o.threads = static_cast<unsigned>(std::stoul(value()));
    else if (arg == "--label") o.label = value();
    else if (arg == "--server-pid") o.server_pid = std::stol(value());
    else return false;
  } catch (const std::logic_error&) {  // stoul/stod: not a number
    throw std::invalid_argument("bad value for " + arg);
  }
  return true;
}

void FinishCommonOptions(CommonOptions& o) {
  if (o.endpoint.url.empty()) throw std::invalid_argument("--endpoint is required");
  if (!o.credentials_file.empty()) o.endpoint.credentials = ReadCredentialsFile(o.credentials_file);
  if (o.endpoint.credentials.access_key_id.empty() || o.endpoint.credentials.secret_access_key.empty()) {
    throw std::invalid_argument("credentials: --access-key-id and --secret-access-key, or --credentials-file");
  }
  if (o.connections == 0 || o.threads == 0 || o.seconds <= 0 || o.warmup < 0) {
    throw std::invalid_argument("bad load parameters (connections, threads, seconds, warmup)");
  }
  ParseEndpointUrl(o.endpoint);
}

void ParseArguments(int argc, char** argv, CommonOptions& o, const ExtraOption& extra) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") throw std::invalid_argument("help");
    if (!ParseCommonOption(arg, value, o) && !extra(arg, value)) throw std::invalid_argument("unknown option " + arg);
  }
  FinishCommonOptions(o);
}

// ---------------------------------------------------------------- requests

HttpRequest KmsRequest(const Endpoint& e, const std::string& operation, const std::string& json_body) {
  return SignedPost(e, "kms",
                    {{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", "TrentService." + operation}},
                    json_body);
}

HttpRequest Ec2Request(const Endpoint& e, const QueryParams& params) {
  std::string body;
  for (const auto& [name, value] : params) {
    if (!body.empty()) body += '&';
    body += client::UriEncode(name, false);
    body += '=';
    body += client::UriEncode(value, false);
  }
  return SignedPost(e, "ec2", {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
                    std::move(body));
}

HttpResponse SendOnce(const Endpoint& e, HttpRequest request) {
  try {
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(kRequestTimeout);
    stream.connect(resolver.resolve(e.host, e.port));
    http::write(stream, request);
    beast::flat_buffer buffer;
    ResponseParser parser;
    Unlimited(parser);
    http::read(stream, buffer, parser);
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return parser.release();
  } catch (const boost::system::system_error& err) {
    throw std::runtime_error(e.url + ": " + err.what());
  }
}

// ---------------------------------------------------------------- running

LoadResult RunLoad(const Load& load, const Endpoint& endpoint, unsigned threads, long server_pid) {
  asio::io_context ioc(static_cast<int>(threads));
  tcp::resolver resolver(ioc);
  Run run{load, resolver.resolve(endpoint.host, endpoint.port), load.count > 0, load.warmup_units + load.count, {}, {}};
  Clock::time_point begin = Clock::now();
  if (run.counted) {
    run.measure_start = begin;
    run.measure_end = begin + Seconds(load.seconds);
  } else {
    run.measure_start = begin + Seconds(load.warmup_seconds);
    run.measure_end = run.measure_start + Seconds(load.seconds);
  }

  // CPU of the server and of this process: over the window (time-bounded) or
  // the whole load, warm-up units included (count-bounded).
  CpuSample at_start, at_end;
  asio::steady_timer start_timer(ioc), end_timer(ioc);
  if (run.counted) {
    at_start.Take(server_pid);
  } else {
    start_timer.expires_at(run.measure_start);
    end_timer.expires_at(run.measure_end);
    start_timer.async_wait([&](error_code) { at_start.Take(server_pid); });
    end_timer.async_wait([&](error_code) { at_end.Take(server_pid); });
  }

  std::vector<ConnectionStats> stats(load.connections);
  for (unsigned i = 0; i < load.connections; ++i) std::make_shared<Connection>(ioc, run, stats[i])->Start();
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  Clock::time_point finished = Clock::now();
  if (run.counted) at_end.Take(server_pid);

  LoadResult result;
  result.operation = load.name;
  result.connections = load.connections;
  std::vector<double> all;
  Clock::time_point first_start = Clock::time_point::max(), last_end = Clock::time_point::min();
  for (const auto& s : stats) {
    all.insert(all.end(), s.latencies_ms.begin(), s.latencies_ms.end());
    result.http_requests += s.http_requests;
    result.errors += s.errors;
    result.connects += s.connects;
    result.capped = result.capped || s.capped;
    if (!s.latencies_ms.empty() && load.items) result.items = static_cast<int64_t>(s.items);
    if (result.first_error.empty()) result.first_error = s.first_error;
    first_start = std::min(first_start, s.first_start);
    last_end = std::max(last_end, s.last_end);
  }
  std::sort(all.begin(), all.end());
  result.units = all.size();
  if (run.counted) {
    result.span_seconds = all.empty() ? 0 : std::chrono::duration<double>(last_end - first_start).count();
  } else {
    result.span_seconds = load.seconds;
  }
  result.rps = result.span_seconds > 0 ? static_cast<double>(all.size()) / result.span_seconds : 0;
  result.p50_ms = Percentile(all, 0.50);
  result.p99_ms = Percentile(all, 0.99);
  result.max_ms = all.empty() ? 0 : all.back();
  double cpu_seconds = run.counted ? std::chrono::duration<double>(finished - begin).count() : load.seconds;
  if (cpu_seconds > 0) {
    if (at_start.server >= 0 && at_end.server >= 0) result.server_cores = (at_end.server - at_start.server) / cpu_seconds;
    result.client_cores = (at_end.client - at_start.client) / cpu_seconds;
  }
  return result;
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

void PrintResult(const std::string& label, const LoadResult& r) {
  std::printf("%-8s %-28s %10.1f /s  p50 %8.3f ms  p99 %8.3f ms  max %9.3f ms  errors %llu%s\n", label.c_str(),
              r.operation.c_str(), r.rps, r.p50_ms, r.p99_ms, r.max_ms, static_cast<unsigned long long>(r.errors),
              r.errors ? "  (RUN HAD ERRORS)" : "");
  if (r.errors) std::printf("         first error: %s\n", r.first_error.c_str());
  if (r.http_requests > r.units) {
    std::printf("         %llu units took %llu requests (%.1f a unit); latency and rate are per unit\n",
                static_cast<unsigned long long>(r.units), static_cast<unsigned long long>(r.http_requests),
                r.units ? static_cast<double>(r.http_requests) / static_cast<double>(r.units) : 0.0);
  }
  if (r.capped) std::printf("         stopped by the time cap before all units ran\n");
  if (r.connects > r.connections) {
    std::printf("         the server closed connections: %llu TCP connections opened for %u (not keep-alive)\n",
                static_cast<unsigned long long>(r.connects), r.connections);
  }
  // CPU per unit: CPU time over the load / units completed in it.
  double per_unit = r.rps > 0 ? 1e6 / r.rps : 0;
  std::string server_cpu = r.server_cores < 0 ? "unknown" : Fixed(r.server_cores, 2) + " cores, " +
                                                                 Fixed(r.server_cores * per_unit, 0) + " us/unit";
  std::printf("         CPU: server %s; load generator %s cores, %s us/unit\n", server_cpu.c_str(),
              Fixed(r.client_cores, 2).c_str(), Fixed(r.client_cores * per_unit, 0).c_str());
  std::printf(
      "result label=%s op=%s rps=%.3f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%llu requests=%llu "
      "server_cores=%.2f server_us_per_req=%.0f client_cores=%.2f client_us_per_req=%.0f "
      "connections=%u http_requests=%llu items=%lld span_s=%.3f capped=%d\n",
      label.c_str(), r.operation.c_str(), r.rps, r.p50_ms, r.p99_ms, r.max_ms,
      static_cast<unsigned long long>(r.errors), static_cast<unsigned long long>(r.units), r.server_cores,
      r.server_cores < 0 ? -1.0 : r.server_cores * per_unit, r.client_cores, r.client_cores * per_unit,
      r.connections, static_cast<unsigned long long>(r.http_requests), static_cast<long long>(r.items),
      r.span_seconds, r.capped ? 1 : 0);
  std::fflush(stdout);
}

}  // namespace kura::bench
