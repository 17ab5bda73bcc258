#include "net/nbd_protocol.h"

#include <bit>
#include <limits>
#include <string>
#include <utility>

namespace kura::net::nbd {
namespace {

// Appends `value` big-endian in sizeof(T) bytes; byte shifts rather than
// htobe* keep the codec independent of the host's byte order and headers.
template <typename T>
void Put(Bytes& out, T value) {
  for (int shift = static_cast<int>(sizeof(T) * 8) - 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<uint8_t>(static_cast<uint64_t>(value) >> shift));
  }
}

// Reads a big-endian T at `pos`; the caller has checked the bounds.
template <typename T>
T Get(std::span<const uint8_t> data, size_t pos) {
  uint64_t value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) value = (value << 8) | data[pos + i];
  return static_cast<T>(value);
}

base::Status ShortBuffer(std::string_view what, size_t need, size_t have) {
  return base::InvalidArgumentError("NBD " + std::string(what) + ": need " +
                                    std::to_string(need) + " bytes, have " +
                                    std::to_string(have));
}

void PutStructuredHeader(Bytes& out, uint16_t flags, StructuredReplyType type, uint64_t cookie,
                         uint32_t payload_length) {
  Put(out, kStructuredReplyMagic);
  Put(out, flags);
  Put(out, static_cast<uint16_t>(type));
  Put(out, cookie);
  Put(out, payload_length);
}

}  // namespace

Bytes EncodeServerGreeting(uint16_t handshake_flags) {
  Bytes out;
  out.reserve(kServerGreetingSize);
  Put(out, kNbdMagic);
  Put(out, kIHaveOptMagic);
  Put(out, handshake_flags);
  return out;
}

base::Result<uint32_t> ParseClientFlags(std::span<const uint8_t> data) {
  if (data.size() < kClientFlagsSize) return ShortBuffer("client flags", kClientFlagsSize, data.size());
  const uint32_t flags = Get<uint32_t>(data, 0);
  if ((flags & ~client_flags::kKnownMask) != 0) {
    return base::InvalidArgumentError("NBD client flags: unknown bits set in " +
                                      std::to_string(flags));
  }
  return flags;
}

base::Result<OptionHeader> ParseOptionHeader(std::span<const uint8_t> data) {
  if (data.size() < kOptionHeaderSize) return ShortBuffer("option header", kOptionHeaderSize, data.size());
  if (Get<uint64_t>(data, 0) != kIHaveOptMagic) {
    return base::InvalidArgumentError("NBD option header: magic is not IHAVEOPT");
  }
  OptionHeader header;
  header.option = static_cast<Option>(Get<uint32_t>(data, 8));
  header.data_length = Get<uint32_t>(data, 12);
  return header;
}

base::Result<Bytes> EncodeOptionReply(Option option, OptionReplyType type,
                                      std::span<const uint8_t> data) {
  if (data.size() > std::numeric_limits<uint32_t>::max()) {
    return base::InvalidArgumentError("NBD option reply: data longer than 2^32-1 bytes");
  }
  Bytes out;
  out.reserve(kOptionReplyHeaderSize + data.size());
  Put(out, kOptionReplyMagic);
  Put(out, static_cast<uint32_t>(option));
  Put(out, static_cast<uint32_t>(type));
  Put(out, static_cast<uint32_t>(data.size()));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Bytes EncodeInfoExport(uint64_t export_size, uint16_t transmission_flags) {
  Bytes out;
  out.reserve(12);
  Put(out, static_cast<uint16_t>(InfoType::kExport));
  Put(out, export_size);
  Put(out, transmission_flags);
  return out;
}

base::Result<Bytes> EncodeInfoBlockSize(const BlockSizeConstraints& sizes) {
  // Checked here so that a misconfigured export fails on our side instead of
  // being advertised to clients that would then reject or misuse it.
  if (!std::has_single_bit(sizes.minimum) || sizes.minimum > 65536) {
    return base::InvalidArgumentError("NBD block size: minimum must be a power of two <= 65536");
  }
  if (!std::has_single_bit(sizes.preferred) || sizes.preferred < sizes.minimum ||
      sizes.preferred < 512) {
    return base::InvalidArgumentError(
        "NBD block size: preferred must be a power of two >= max(minimum, 512)");
  }
  if (sizes.maximum < sizes.minimum ||
      (sizes.maximum != 0xffffffff && sizes.maximum % sizes.minimum != 0)) {
    return base::InvalidArgumentError(
        "NBD block size: maximum must be a multiple of minimum or 0xffffffff");
  }
  Bytes out;
  out.reserve(14);
  Put(out, static_cast<uint16_t>(InfoType::kBlockSize));
  Put(out, sizes.minimum);
  Put(out, sizes.preferred);
  Put(out, sizes.maximum);
  return out;
}

base::Result<InfoRequest> ParseInfoRequest(std::span<const uint8_t> data) {
  if (data.size() < 4) return ShortBuffer("info request name length", 4, data.size());
  // Kept 64-bit so that `4 + name_length + 2` cannot wrap.
  const uint64_t name_length = Get<uint32_t>(data, 0);
  if (name_length > kMaxStringLength) {
    return base::InvalidArgumentError("NBD info request: export name longer than " +
                                      std::to_string(kMaxStringLength) + " bytes");
  }
  const uint64_t count_pos = 4 + name_length;
  if (data.size() < count_pos + 2) {
    return ShortBuffer("info request (name + count)", count_pos + 2, data.size());
  }
  InfoRequest request;
  request.export_name.assign(reinterpret_cast<const char*>(data.data() + 4), name_length);
  const size_t count = Get<uint16_t>(data, count_pos);
  const uint64_t expected = count_pos + 2 + 2 * count;
  // proto.md: the option length must match its content exactly; trailing or
  // missing bytes mean the client and we disagree on the framing.
  if (data.size() != expected) {
    return base::InvalidArgumentError("NBD info request: " + std::to_string(count) +
                                      " info types need " + std::to_string(expected) +
                                      " bytes, option has " + std::to_string(data.size()));
  }
  request.info_types.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    request.info_types.push_back(static_cast<InfoType>(Get<uint16_t>(data, count_pos + 2 + 2 * i)));
  }
  return request;
}

Bytes EncodeExportNameReply(uint64_t export_size, uint16_t transmission_flags, bool no_zeroes) {
  Bytes out;
  Put(out, export_size);
  Put(out, transmission_flags);
  if (!no_zeroes) out.resize(out.size() + 124, 0);
  return out;
}

Bytes EncodeListEntry(std::string_view export_name) {
  Bytes out;
  Put(out, static_cast<uint32_t>(export_name.size()));
  out.insert(out.end(), export_name.begin(), export_name.end());
  return out;
}

base::Result<MetaContextRequest> ParseMetaContextRequest(std::span<const uint8_t> data) {
  MetaContextRequest request;
  size_t pos = 0;
  // Each string: u32 length then bytes; lengths kept 64-bit so sums cannot wrap.
  auto read_string = [&](std::string_view what, std::string& out) -> base::Status {
    if (data.size() - pos < 4) return ShortBuffer(what, pos + 4, data.size());
    const uint64_t length = Get<uint32_t>(data, pos);
    pos += 4;
    if (length > kMaxStringLength) {
      return base::InvalidArgumentError("NBD meta context request: " + std::string(what) + " longer than " +
                                        std::to_string(kMaxStringLength) + " bytes");
    }
    if (data.size() - pos < length) return ShortBuffer(what, pos + length, data.size());
    out.assign(reinterpret_cast<const char*>(data.data() + pos), length);
    pos += length;
    return base::Status::Ok();
  };
  KURA_RETURN_IF_ERROR(read_string("meta context export name", request.export_name));
  if (data.size() - pos < 4) return ShortBuffer("meta context query count", pos + 4, data.size());
  const uint32_t count = Get<uint32_t>(data, pos);
  pos += 4;
  // Every query takes at least its 4-byte length: a larger count cannot fit.
  if (count > (data.size() - pos) / 4) {
    return base::InvalidArgumentError("NBD meta context request: " + std::to_string(count) +
                                      " queries do not fit in " + std::to_string(data.size()) + " bytes");
  }
  request.queries.resize(count);
  for (auto& query : request.queries) KURA_RETURN_IF_ERROR(read_string("meta context query", query));
  if (pos != data.size()) {
    return base::InvalidArgumentError("NBD meta context request: " + std::to_string(data.size() - pos) +
                                      " bytes left over");
  }
  return request;
}

Bytes EncodeMetaContextEntry(uint32_t context_id, std::string_view name) {
  Bytes out;
  Put(out, context_id);
  out.insert(out.end(), name.begin(), name.end());
  return out;
}

base::Result<RequestHeader> ParseRequestHeader(std::span<const uint8_t> data) {
  if (data.size() < kRequestHeaderSize) return ShortBuffer("request header", kRequestHeaderSize, data.size());
  if (Get<uint32_t>(data, 0) != kRequestMagic) {
    return base::InvalidArgumentError("NBD request header: wrong magic");
  }
  RequestHeader header;
  header.flags = Get<uint16_t>(data, 4);
  header.type = static_cast<CommandType>(Get<uint16_t>(data, 6));
  header.cookie = Get<uint64_t>(data, 8);
  header.offset = Get<uint64_t>(data, 16);
  header.length = Get<uint32_t>(data, 24);
  return header;
}

Bytes EncodeSimpleReplyHeader(Error error, uint64_t cookie) {
  Bytes out;
  out.reserve(kSimpleReplyHeaderSize);
  Put(out, kSimpleReplyMagic);
  Put(out, static_cast<uint32_t>(error));
  Put(out, cookie);
  return out;
}

Bytes EncodeStructuredReplyHeader(uint16_t flags, StructuredReplyType type, uint64_t cookie,
                                  uint32_t payload_length) {
  Bytes out;
  out.reserve(kStructuredReplyHeaderSize);
  PutStructuredHeader(out, flags, type, cookie, payload_length);
  return out;
}

base::Result<Bytes> EncodeOffsetDataChunkHeader(uint16_t flags, uint64_t cookie, uint64_t offset,
                                                uint64_t data_length) {
  if (data_length > std::numeric_limits<uint32_t>::max() - 8) {
    return base::InvalidArgumentError("NBD offset-data chunk: data too long for one chunk");
  }
  Bytes out;
  out.reserve(kStructuredReplyHeaderSize + 8);
  PutStructuredHeader(out, flags, StructuredReplyType::kOffsetData, cookie,
                      static_cast<uint32_t>(8 + data_length));
  Put(out, offset);
  return out;
}

Bytes EncodeOffsetHoleChunk(uint16_t flags, uint64_t cookie, uint64_t offset,
                            uint32_t hole_size) {
  Bytes out;
  out.reserve(kStructuredReplyHeaderSize + 12);
  PutStructuredHeader(out, flags, StructuredReplyType::kOffsetHole, cookie, 12);
  Put(out, offset);
  Put(out, hole_size);
  return out;
}

base::Result<Bytes> EncodeBlockStatusChunk(uint16_t flags, uint64_t cookie, uint32_t context_id,
                                           std::span<const BlockStatusDescriptor> descriptors) {
  if (descriptors.empty()) return base::InvalidArgumentError("NBD block status chunk: no descriptors");
  if (descriptors.size() > (std::numeric_limits<uint32_t>::max() - 4) / 8) {
    return base::InvalidArgumentError("NBD block status chunk: too many descriptors");
  }
  Bytes out;
  const auto payload = static_cast<uint32_t>(4 + 8 * descriptors.size());
  out.reserve(kStructuredReplyHeaderSize + payload);
  PutStructuredHeader(out, flags, StructuredReplyType::kBlockStatus, cookie, payload);
  Put(out, context_id);
  for (const auto& d : descriptors) {
    if (d.length == 0) return base::InvalidArgumentError("NBD block status chunk: a descriptor of length 0");
    Put(out, d.length);
    Put(out, d.flags);
  }
  return out;
}

base::Result<Bytes> EncodeErrorChunk(uint16_t flags, uint64_t cookie, Error error,
                                     std::string_view message) {
  if (error == Error::kNone) {
    return base::InvalidArgumentError("NBD error chunk: error must be non-zero");
  }
  if (message.size() > kMaxStringLength) {
    return base::InvalidArgumentError("NBD error chunk: message longer than " +
                                      std::to_string(kMaxStringLength) + " bytes");
  }
  Bytes out;
  out.reserve(kStructuredReplyHeaderSize + 6 + message.size());
  PutStructuredHeader(out, flags, StructuredReplyType::kError, cookie,
                      static_cast<uint32_t>(6 + message.size()));
  Put(out, static_cast<uint32_t>(error));
  Put(out, static_cast<uint16_t>(message.size()));
  out.insert(out.end(), message.begin(), message.end());
  return out;
}

}  // namespace kura::net::nbd
