// load_generator: the connection and measurement machinery every API load
// generator in bench/ shares (api_bench for KMS, ec2_bench for EC2). A bench
// says *what* to send (a Load: how to build a unit's requests, how to read
// its responses); this file sends it and measures.
//
// Model. N keep-alive HTTP/1.1 connections (Boost.Beast, asynchronous, one
// I/O thread by default) each run "units" back to back. A unit is one
// request (CreateVolume, GenerateDataKey) or a chain of requests on the same
// connection (a paginated walk: the next page is asked for as soon as the
// previous one arrives). A unit's latency runs from the first byte of its
// first request written to the last byte of its last response read; signing
// the first request is excluded, signing later steps (microseconds) is not.
// Every request is SigV4-signed the way botocore signs (fresh X-Amz-Date per
// request).
//
// Two ways to bound a load:
//   time-bounded (count == 0): warm-up, then a window of fixed length; a unit
//     counts when it starts and ends inside the window; rate = units / window.
//     For cheap requests whose steady state matters (KMS).
//   count-bounded (count > 0): exactly warmup_units + count units, handed
//     out to the connections in order (unit i is the i-th started); the first
//     warmup_units are not measured; rate = measured units / (first measured
//     start .. last measured end). `seconds` is then a cap: no unit starts
//     after it (except the first measured one, so every load has a figure),
//     so a slow peer cannot hold the run for ever. For populating
//     (10,000 CreateVolume) and for heavy queries (a 10,000-volume
//     DescribeVolumes), where a fixed window would drop the long units.
// Percentiles are nearest-rank over all measured units. Any non-200 response
// or transport failure is an error; the unit is abandoned (not retried) and
// the connection goes on (reconnecting after a transport failure).
//
// Thread-safety: a Load's callbacks are called from the I/O threads (several
// at once with threads > 1); everything else is single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "client/sigv4.h"

namespace kura::bench {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// Where requests go and whom they are signed as.
struct Endpoint {
  std::string url;          // http://HOST[:PORT]
  std::string host, port;   // for connecting
  std::string host_header;  // HOST[:PORT] as sent and signed
  client::Credentials credentials;
  std::string region = "us-east-1";
};

// The options every load generator takes (see CommonUsage()).
struct CommonOptions {
  Endpoint endpoint;
  std::string credentials_file;
  unsigned connections = 64;
  double seconds = 5;
  double warmup = 1;
  unsigned threads = 1;
  std::string label = "server";
  long server_pid = 0;  // when set, the server's CPU over the load is reported
};

// Usage text of the common options, for a bench's --help.
const char* CommonUsage();
// Consumes argv[i] (and its value) when it is a common option; `value()`
// returns the next argument. Throws std::invalid_argument on a bad value.
bool ParseCommonOption(const std::string& arg, const std::function<std::string()>& value, CommonOptions& o);
// Checks the options once all are parsed: endpoint parsed, credentials read.
// Throws std::invalid_argument with what is wrong.
void FinishCommonOptions(CommonOptions& o);
// The whole command line: common options, then each other one through
// `extra` (false: not one of its options), then FinishCommonOptions.
// Throws std::invalid_argument with what is wrong ("help" for -h/--help).
using ExtraOption = std::function<bool(const std::string& arg, const std::function<std::string()>& value)>;
void ParseArguments(int argc, char** argv, CommonOptions& o, const ExtraOption& extra);

// Signed requests, as botocore builds them.
// KMS JSON 1.1: POST /, X-Amz-Target TrentService.<operation>.
HttpRequest KmsRequest(const Endpoint& e, const std::string& operation, const std::string& json_body);
// EC2 Query: POST / with a form body, service "ec2"; `params` in the order
// given (Action and Version first, as botocore sends them), URI-encoded here.
using QueryParams = std::vector<std::pair<std::string, std::string>>;
HttpRequest Ec2Request(const Endpoint& e, const QueryParams& params);

// One synchronous request on a fresh connection (set-up and polling; not
// measured). Returns the response whatever its status; throws
// std::runtime_error on a transport failure.
HttpResponse SendOnce(const Endpoint& e, HttpRequest request);

// What one load sends; see the header comment for the two bounds.
struct Load {
  std::string name;  // "op" in the result line
  unsigned connections = 1;
  double warmup_seconds = 0;  // time-bounded only
  double seconds = 5;         // the window (time-bounded) or the cap (count-bounded)
  uint64_t count = 0;         // > 0: count-bounded
  uint64_t warmup_units = 0;  // count-bounded only
  // The first request of unit `unit` (0-based, in the order units start).
  std::function<HttpRequest(uint64_t unit)> first;
  // Optional; called with every 200 response of a unit: the unit's next
  // request, or nullopt when the unit is complete. Unset: one request a unit.
  std::function<std::optional<HttpRequest>(uint64_t unit, const HttpResponse&)> next;
  // Optional; how many items a 200 response carries (summed over the unit),
  // reported so a run that measured an empty list shows it.
  std::function<uint64_t(const HttpResponse&)> items;
};

struct LoadResult {
  std::string operation;
  unsigned connections = 0;
  double rps = 0;  // measured units per second
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  uint64_t units = 0;          // measured units
  uint64_t http_requests = 0;  // 200 responses of measured units
  int64_t items = -1;          // items of the last measured unit; -1 without Load::items
  uint64_t errors = 0;
  uint64_t connects = 0;   // TCP connections opened (more than `connections`: the server closed keep-alive)
  double span_seconds = 0;  // what rps divides by
  bool capped = false;      // count-bounded and the cap stopped it before `count`
  double server_cores = -1;  // server CPU over the load (cores); < 0 when unknown
  double client_cores = 0;   // this process's CPU over the load
  std::string first_error;
};

// Runs one load to completion. `server_pid` > 0: sample that process's CPU.
LoadResult RunLoad(const Load& load, const Endpoint& endpoint, unsigned threads, long server_pid);

// The human lines and the one machine line of a result:
//   result label=L op=O rps=R p50_ms=A p99_ms=B max_ms=C errors=E requests=N
//          server_cores=S server_us_per_req=U client_cores=C client_us_per_req=V
//          connections=K http_requests=H items=I span_s=T capped=0|1
// (requests = measured units; server_* are -1 without a server pid, items
// -1 when the load does not count them).
void PrintResult(const std::string& label, const LoadResult& r);

std::string Fixed(double v, int decimals);

}  // namespace kura::bench
