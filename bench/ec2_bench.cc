// ec2_bench: the EBS side of the EC2 API under load — volume and snapshot
// creation throughput, and Describe latency over a large inventory.
//
// The connections, signing and measuring are bench/load_generator.h's (read
// its header for what exactly is timed); this file says what EC2 load to
// send. Requests are EC2 Query as botocore sends them (POST /, form body
// Action=...&Version=2016-11-15, SigV4 service "ec2"), read back as XML.
//
// Phases, in order, against one server:
//  0. One DescribeAvailabilityZones, not measured (the API answers; one-time
//     start-up costs stay out of the figures).
//  1. CreateVolume x --volumes (10,000) over --connections (32) connections,
//     count-bounded: this IS the CreateVolume throughput measurement
//     (volumes/s over the whole populate, p50/p99 per call). Size=1, except
//     every 10th (u % 10 == 0) Size=2, and u % 10 == 1 tagged bench=x, so
//     each filter below matches a tenth of the inventory.
//  2. Waits until no volume is `creating` (DescribeVolumes status=creating;
//     creation is asynchronous on kura) — snapshots need `available` volumes,
//     and a server still finishing work would skew the latencies.
//  3. CreateSnapshot x --snapshots (10,000), round-robin over the volumes,
//     u % 10 == 1 tagged bench=x; measured the same way. Then waits until no
//     snapshot is `pending`.
//  4. Describe latency, each load count-bounded: --query-connections (1)
//     connection(s), one warm-up unit each, then --queries (20) measured units,
//     capped at --query-seconds (30) so a slow peer ends:
//       DescribeVolumes-all     no MaxResults: the whole inventory in one response
//       DescribeVolumes-page    MaxResults=--page-size (1,000): one page
//       DescribeVolumes-tag     Filter tag:bench=x (a tenth)
//       DescribeVolumes-size    Filter size=2 (a tenth)
//       DescribeVolumes-walk    MaxResults=page, following nextToken to the end;
//                               one unit = the whole walk
//       DescribeSnapshots-all / -page / -tag / -walk   the same, with Owner.1=self
//     Before the page loads it probes MaxResults=--page-size once: when the
//     server refuses it ("Expecting a value between A and B") the page is B
//     and a `note` line says so; when the server ignores it (moto returns the
//     whole list) a note says that too. Every load reports items (volumes or
//     snapshots in the last measured unit) so an empty or short answer shows.
//
// Prints the load_generator lines per load (one `result ...` machine line
// each) and `note ...` lines. Timings never fail the run. Exit 1 when set-up
// fails or any request failed; 2 on bad usage.
//
// Usage: ec2_bench --endpoint http://127.0.0.1:8080 [credentials, see --help]
//          [--volumes 10000] [--snapshots 10000] [--connections 32]
//          [--queries 20] [--query-connections 1] [--query-seconds 30]
//          [--page-size 1000] [--create-seconds 3600] [--wait-seconds 900]
//          [--ops all|LIST] [--label NAME] [--server-pid PID]
//   LIST: comma-separated Describe load names in lower case, e.g.
//         describe-volumes-page,describe-snapshots-walk
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "load_generator.h"

namespace {

using namespace kura::bench;
using Clock = std::chrono::steady_clock;

constexpr const char* kVersion = "2016-11-15";

struct Options {
  CommonOptions common;
  uint64_t volumes = 10000;
  uint64_t snapshots = 10000;
  uint64_t queries = 20;
  unsigned query_connections = 1;
  double query_seconds = 30;
  double create_seconds = 3600;
  double wait_seconds = 900;
  int page_size = 1000;
  std::string ops = "all";
};

[[noreturn]] void Usage(const std::string& error) {
  std::fprintf(stderr,
               "ec2_bench: %s\nusage: ec2_bench %s\n"
               "         [--volumes N] [--snapshots N] [--queries N] [--query-connections N] [--query-seconds S]\n"
               "         [--page-size N] [--create-seconds S] [--wait-seconds S] [--ops all|LIST]\n",
               error.c_str(), CommonUsage());
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  o.common.connections = 32;  // the populate's concurrency
  try {
    ParseArguments(argc, argv, o.common, [&o](const std::string& arg, const std::function<std::string()>& value) {
      // stoull/stod throw std::logic_error subclasses on junk: one message for all.
      auto number = [&](auto convert) {
        std::string text = value();
        try {
          return convert(text);
        } catch (const std::logic_error&) {
          throw std::invalid_argument("bad value for " + arg + ": " + text);
        }
      };
      auto u64 = [](const std::string& s) { return static_cast<uint64_t>(std::stoull(s)); };
      auto real = [](const std::string& s) { return std::stod(s); };
      if (arg == "--volumes") o.volumes = number(u64);
      else if (arg == "--snapshots") o.snapshots = number(u64);
      else if (arg == "--queries") o.queries = number(u64);
      else if (arg == "--query-connections") o.query_connections = static_cast<unsigned>(number(u64));
      else if (arg == "--query-seconds") o.query_seconds = number(real);
      else if (arg == "--create-seconds") o.create_seconds = number(real);
      else if (arg == "--wait-seconds") o.wait_seconds = number(real);
      else if (arg == "--page-size") o.page_size = static_cast<int>(number(u64));
      else if (arg == "--ops") o.ops = value();
      else return false;
      return true;
    });
    if (o.volumes == 0 || o.queries == 0 || o.query_connections == 0 || o.page_size <= 0 ||
        o.query_seconds <= 0 || o.create_seconds <= 0) {
      throw std::invalid_argument("bad sizes (volumes, queries, query-connections, page-size, *-seconds)");
    }
  } catch (const std::invalid_argument& e) {
    Usage(e.what());
  }
  return o;
}

// ---------------------------------------------------------------- XML
// The responses are read only for a few leaf elements, so plain text search
// does: no namespace or nesting questions arise for these.

// The five predefined entities: an opaque nextToken may hold any of & < > " '.
std::string XmlUnescape(std::string_view text) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (const auto& [entity, c] : kEntities) {
      if (text.substr(i, entity.size()) == entity) {
        out += c;
        i += entity.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

// Text of the first <name>...</name>; "" when absent or empty (<name/>).
std::string ElementText(std::string_view xml, std::string_view name) {
  std::string open = "<" + std::string(name) + ">";
  auto begin = xml.find(open);
  if (begin == std::string_view::npos) return "";
  begin += open.size();
  auto end = xml.find("</" + std::string(name) + ">", begin);
  if (end == std::string_view::npos) return "";
  return XmlUnescape(xml.substr(begin, end - begin));
}

uint64_t CountElements(std::string_view xml, std::string_view name) {
  std::string open = "<" + std::string(name) + ">";
  uint64_t n = 0;
  for (auto at = xml.find(open); at != std::string_view::npos; at = xml.find(open, at + open.size())) ++n;
  return n;
}

// Each volume item holds one <volumeId> (no attachments here), each snapshot item one <snapshotId>.
uint64_t VolumeItems(const HttpResponse& r) { return CountElements(r.body(), "volumeId"); }
uint64_t SnapshotItems(const HttpResponse& r) { return CountElements(r.body(), "snapshotId"); }

std::string Describe(const HttpResponse& r) {
  std::string code = ElementText(r.body(), "Code");
  std::string message = ElementText(r.body(), "Message");
  if (code.empty()) return "HTTP " + std::to_string(r.result_int()) + ": " + r.body().substr(0, 300);
  return "HTTP " + std::to_string(r.result_int()) + " " + code + ": " + message;
}

// ---------------------------------------------------------------- bench

class Ec2Bench {
 public:
  explicit Ec2Bench(const Options& o) : o_(o), e_(o.common.endpoint), zone_(e_.region + "a") {}

  int Run() {
    std::printf("ec2_bench %s: %s, %llu volumes + %llu snapshots over %u connections; queries: %llu x %u connection(s), "
                "cap %.0f s, page %d\n",
                label().c_str(), e_.url.c_str(), static_cast<unsigned long long>(o_.volumes),
                static_cast<unsigned long long>(o_.snapshots), o_.common.connections,
                static_cast<unsigned long long>(o_.queries), o_.query_connections, o_.query_seconds, o_.page_size);
    std::fflush(stdout);
    try {
      // One unmeasured call first: it proves the EC2 API answers (signing,
      // routing) and pays one-time start-up costs outside the figures (moto
      // builds its EC2 backend on first use: seconds).
      (void)Call(Action("DescribeAvailabilityZones"));
      Populate();
      Queries();
    } catch (const std::exception& err) {
      std::fprintf(stderr, "ec2_bench %s: set-up failed against %s: %s\n", label().c_str(), e_.url.c_str(), err.what());
      return 1;
    }
    return errors_ ? 1 : 0;
  }

 private:
  const std::string& label() const { return o_.common.label; }

  QueryParams Action(const std::string& action) const { return {{"Action", action}, {"Version", kVersion}}; }

  // A set-up call; throws on anything but 200.
  HttpResponse Call(const QueryParams& params) const {
    HttpResponse r = SendOnce(e_, Ec2Request(e_, params));
    if (r.result_int() != 200) throw std::runtime_error(params.front().second + ": " + Describe(r));
    return r;
  }

  void Report(const LoadResult& r) {
    PrintResult(label(), r);
    errors_ += r.errors;
  }
  void Note(const std::string& text) const {
    std::printf("note label=%s %s\n", label().c_str(), text.c_str());
    std::fflush(stdout);
  }

  // -------------------------------------------------------------- populate

  void Populate() {
    // CreateVolume: unit u creates volume u; its id lands in volume_ids_[u].
    volume_ids_.assign(o_.volumes, "");
    Load create = CreateLoad("CreateVolume", o_.volumes);
    create.first = [this](uint64_t u) {
      QueryParams p = Action("CreateVolume");
      p.emplace_back("AvailabilityZone", zone_);
      p.emplace_back("Size", u % 10 == 0 ? "2" : "1");
      if (u % 10 == 1) AddBenchTag(p, "volume");
      return Ec2Request(e_, p);
    };
    create.next = [this](uint64_t u, const HttpResponse& r) -> std::optional<HttpRequest> {
      std::string id = ElementText(r.body(), "volumeId");
      if (id.empty()) throw std::runtime_error("CreateVolume answered without a volumeId");
      volume_ids_[u] = std::move(id);  // one slot per unit: no two threads write the same string
      return std::nullopt;
    };
    Report(RunLoad(create, e_, o_.common.threads, o_.common.server_pid));
    std::erase(volume_ids_, std::string());
    if (volume_ids_.empty()) throw std::runtime_error("no volume was created");
    WaitUntilNone("DescribeVolumes", "creating", "volumes", VolumeItems);

    if (o_.snapshots == 0) return;
    Load snap = CreateLoad("CreateSnapshot", o_.snapshots);
    snap.first = [this](uint64_t u) {
      QueryParams p = Action("CreateSnapshot");
      p.emplace_back("VolumeId", volume_ids_[u % volume_ids_.size()]);
      p.emplace_back("Description", "kura ec2_bench");
      if (u % 10 == 1) AddBenchTag(p, "snapshot");
      return Ec2Request(e_, p);
    };
    snap.next = [](uint64_t, const HttpResponse& r) -> std::optional<HttpRequest> {
      if (ElementText(r.body(), "snapshotId").empty()) throw std::runtime_error("CreateSnapshot answered without a snapshotId");
      return std::nullopt;
    };
    Report(RunLoad(snap, e_, o_.common.threads, o_.common.server_pid));
    WaitUntilNone("DescribeSnapshots", "pending", "snapshots", SnapshotItems);
  }

  // `count` creations over the populate's connections, capped at --create-seconds.
  Load CreateLoad(const std::string& name, uint64_t count) const {
    Load load;
    load.name = name;
    load.connections = o_.common.connections;
    load.count = count;
    load.seconds = o_.create_seconds;
    return load;
  }

  static void AddBenchTag(QueryParams& p, const std::string& resource_type) {
    p.emplace_back("TagSpecification.1.ResourceType", resource_type);
    p.emplace_back("TagSpecification.1.Tag.1.Key", "bench");
    p.emplace_back("TagSpecification.1.Tag.1.Value", "x");
  }

  // Polls `action` with Filter status=`state` until it returns nothing.
  void WaitUntilNone(const std::string& action, const std::string& state, const std::string& what,
                     uint64_t (*items)(const HttpResponse&)) {
    QueryParams p = Action(action);
    if (action == "DescribeSnapshots") p.emplace_back("Owner.1", "self");
    p.emplace_back("Filter.1.Name", "status");
    p.emplace_back("Filter.1.Value.1", state);
    p.emplace_back("MaxResults", "5");  // any is enough to know; 5 is the smallest AWS accepts
    auto start = Clock::now();
    auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.wait_seconds));
    while (items(Call(p)) > 0) {
      if (Clock::now() > deadline) {
        throw std::runtime_error(what + " still " + state + " after " + Fixed(o_.wait_seconds, 0) + " s");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    Note("waited_for=" + what + "_" + state + " seconds=" +
         Fixed(std::chrono::duration<double>(Clock::now() - start).count(), 2));
  }

  // -------------------------------------------------------------- queries

  bool Selected(const std::string& name) const {
    if (o_.ops == "all") return true;
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string wanted = "," + o_.ops + ",";
    // "DescribeVolumes-page" is named describe-volumes-page on the command line.
    std::string dashed;
    for (size_t i = 0; i < name.size(); ++i) {
      if (i > 0 && std::isupper(static_cast<unsigned char>(name[i])) && name[i - 1] != '-') dashed += '-';
      dashed += static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
    }
    return wanted.find("," + dashed + ",") != std::string::npos || wanted.find("," + lower + ",") != std::string::npos;
  }

  Load QueryLoad(const std::string& name, QueryParams params, uint64_t (*items)(const HttpResponse&)) const {
    Load load;
    load.name = name;
    load.connections = o_.query_connections;
    load.count = o_.queries;
    load.warmup_units = o_.query_connections;  // one each: connection set-up and first-touch costs stay out
    load.seconds = o_.query_seconds;
    load.first = [this, params = std::move(params)](uint64_t) { return Ec2Request(e_, params); };
    load.items = items;
    return load;
  }

  // One page of `action`: the MaxResults the server accepts, found once.
  int PageSize(const QueryParams& base, uint64_t (*items)(const HttpResponse&)) {
    QueryParams p = base;
    p.emplace_back("MaxResults", std::to_string(o_.page_size));
    HttpResponse r = SendOnce(e_, Ec2Request(e_, p));
    const std::string& action = base.front().second;
    if (r.result_int() == 200) {
      uint64_t n = items(r);
      if (n > static_cast<uint64_t>(o_.page_size)) {
        Note("action=" + action + " max_results=" + std::to_string(o_.page_size) + " ignored: one page returned " +
             std::to_string(n) + " items (the whole list; no pagination)");
      } else {
        Note("action=" + action + " max_results=" + std::to_string(o_.page_size) + " accepted: one page returned " +
             std::to_string(n) + " items");
      }
      return o_.page_size;
    }
    // "Value ( 1000 ) for parameter maxResults is invalid. Expecting a value between 5 and 500."
    std::string message = ElementText(r.body(), "Message");
    auto at = message.find(" and ");
    if (r.result_int() == 400 && at != std::string::npos) {
      int limit = std::atoi(message.c_str() + at + 5);
      if (limit > 0 && limit < o_.page_size) {
        Note("action=" + action + " max_results=" + std::to_string(o_.page_size) + " refused (\"" + message +
             "\"); page=" + std::to_string(limit));
        return limit;
      }
    }
    throw std::runtime_error(action + " MaxResults=" + std::to_string(o_.page_size) + ": " + Describe(r));
  }

  // All pages, following nextToken; one unit = the whole walk.
  Load WalkLoad(const std::string& name, const QueryParams& base, int page,
                uint64_t (*items)(const HttpResponse&)) const {
    QueryParams first = base;
    first.emplace_back("MaxResults", std::to_string(page));
    Load load = QueryLoad(name, first, items);
    load.next = [this, first](uint64_t, const HttpResponse& r) -> std::optional<HttpRequest> {
      std::string token = ElementText(r.body(), "nextToken");
      if (token.empty()) return std::nullopt;
      QueryParams p = first;
      p.emplace_back("NextToken", token);
      return Ec2Request(e_, p);
    };
    return load;
  }

  void Queries() {
    RunFamily("DescribeVolumes", Action("DescribeVolumes"), VolumeItems,
              {{"tag", {{"Filter.1.Name", "tag:bench"}, {"Filter.1.Value.1", "x"}}},
               {"size", {{"Filter.1.Name", "size"}, {"Filter.1.Value.1", "2"}}}});
    QueryParams snaps = Action("DescribeSnapshots");
    snaps.emplace_back("Owner.1", "self");
    if (o_.snapshots > 0) {
      RunFamily("DescribeSnapshots", snaps, SnapshotItems,
                {{"tag", {{"Filter.1.Name", "tag:bench"}, {"Filter.1.Value.1", "x"}}}});
    }
  }

  struct FilteredQuery {
    std::string suffix;
    QueryParams filter;
  };

  // all, page, the filtered ones, walk — in that order, each when selected.
  void RunFamily(const std::string& action, const QueryParams& base, uint64_t (*items)(const HttpResponse&),
                 const std::vector<FilteredQuery>& filtered) {
    if (Selected(action + "-all")) Report(RunLoad(QueryLoad(action + "-all", base, items), e_, o_.common.threads, o_.common.server_pid));
    bool paged = Selected(action + "-page") || Selected(action + "-walk");
    int page = paged ? PageSize(base, items) : o_.page_size;
    if (Selected(action + "-page")) {
      QueryParams p = base;
      p.emplace_back("MaxResults", std::to_string(page));
      Report(RunLoad(QueryLoad(action + "-page", p, items), e_, o_.common.threads, o_.common.server_pid));
    }
    for (const auto& f : filtered) {
      if (!Selected(action + "-" + f.suffix)) continue;
      QueryParams p = base;
      p.insert(p.end(), f.filter.begin(), f.filter.end());
      Report(RunLoad(QueryLoad(action + "-" + f.suffix, p, items), e_, o_.common.threads, o_.common.server_pid));
    }
    if (Selected(action + "-walk")) {
      Report(RunLoad(WalkLoad(action + "-walk", base, page, items), e_, o_.common.threads, o_.common.server_pid));
    }
  }

  const Options& o_;
  const Endpoint& e_;
  const std::string zone_;
  std::vector<std::string> volume_ids_;
  uint64_t errors_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseOptions(argc, argv);
  return Ec2Bench(o).Run();
}
