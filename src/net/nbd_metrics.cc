#include "net/nbd_metrics.h"

#include <atomic>
#include <fmt/format.h>

namespace kura::net {

namespace {

struct Family {
  const char* name;
  const char* type;
  const char* help;
  uint64_t (*value)(const NbdCounters&);
};

template <auto Member>
uint64_t Load(const NbdCounters& c) {
  return static_cast<uint64_t>((c.*Member).load(std::memory_order_relaxed));
}

const Family kFamilies[] = {
    {"kura_nbd_read_bytes_total", "counter", "Bytes read by NBD clients.", Load<&NbdCounters::read_bytes>},
    {"kura_nbd_written_bytes_total", "counter", "Bytes written by NBD clients.", Load<&NbdCounters::write_bytes>},
    {"kura_nbd_zeroed_bytes_total", "counter", "Bytes zeroed by NBD_CMD_WRITE_ZEROES.", Load<&NbdCounters::zero_bytes>},
    {"kura_nbd_trimmed_bytes_total", "counter", "Bytes discarded by NBD_CMD_TRIM.", Load<&NbdCounters::trim_bytes>},
    {"kura_nbd_read_ops_total", "counter", "NBD_CMD_READ requests served.", Load<&NbdCounters::read_ops>},
    {"kura_nbd_write_ops_total", "counter", "NBD_CMD_WRITE requests served.", Load<&NbdCounters::write_ops>},
    {"kura_nbd_flush_ops_total", "counter", "NBD_CMD_FLUSH requests served.", Load<&NbdCounters::flush_ops>},
    {"kura_nbd_trim_ops_total", "counter", "NBD_CMD_TRIM requests served.", Load<&NbdCounters::trim_ops>},
    {"kura_nbd_write_zeroes_ops_total", "counter", "NBD_CMD_WRITE_ZEROES requests served.", Load<&NbdCounters::zero_ops>},
    {"kura_nbd_cache_ops_total", "counter", "NBD_CMD_CACHE requests served.", Load<&NbdCounters::cache_ops>},
    {"kura_nbd_block_status_ops_total", "counter", "NBD_CMD_BLOCK_STATUS requests served.",
     Load<&NbdCounters::block_status_ops>},
    {"kura_nbd_errors_total", "counter", "Requests answered with an error.", Load<&NbdCounters::errors>},
    {"kura_nbd_connections_total", "counter", "Connections that opened the volume.", Load<&NbdCounters::connections_total>},
    {"kura_nbd_connections_open", "gauge", "Connections using the volume now.", Load<&NbdCounters::connections_open>},
};

}  // namespace

std::string RenderNbdMetrics(const std::vector<NbdVolumeCounters>& volumes) {
  std::string out;
  for (const Family& family : kFamilies) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", family.name, family.help, family.name, family.type);
    // Volume and instance ids are [a-z0-9-]: nothing to escape in a label value.
    for (const auto& v : volumes) {
      out += fmt::format("{}{{volume_id=\"{}\",instance_id=\"{}\"}} {}\n", family.name, v.volume_id, v.instance_id,
                         family.value(*v.counters));
    }
  }
  return out;
}

}  // namespace kura::net
