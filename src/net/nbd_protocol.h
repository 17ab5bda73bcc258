// NBD wire-protocol codec: the constants, message structs, encoders and
// parsers of the Network Block Device protocol (fixed-newstyle handshake,
// option haggling, transmission requests and simple/structured replies) as
// the NBD project's doc/proto.md defines them. All integers are big-endian.
// Groundwork for the NBD server; this file does no I/O and owns no state.
// Thread-safety: pure functions over caller-owned buffers and constants;
// safe to call from any number of threads at once.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kura::net::nbd {

using Bytes = std::vector<uint8_t>;

// --- Magic numbers ---------------------------------------------------------
inline constexpr uint64_t kNbdMagic = 0x4e42444d41474943;           // "NBDMAGIC"
inline constexpr uint64_t kIHaveOptMagic = 0x49484156454F5054;      // "IHAVEOPT"
inline constexpr uint64_t kOptionReplyMagic = 0x3e889045565a9;
inline constexpr uint32_t kSimpleReplyMagic = 0x67446698;
inline constexpr uint32_t kStructuredReplyMagic = 0x668e33ef;
inline constexpr uint32_t kRequestMagic = 0x25609513;

// --- Fixed sizes on the wire ----------------------------------------------
inline constexpr size_t kServerGreetingSize = 18;        // magic + IHAVEOPT + flags
inline constexpr size_t kClientFlagsSize = 4;
inline constexpr size_t kOptionHeaderSize = 16;          // IHAVEOPT + option + length
inline constexpr size_t kOptionReplyHeaderSize = 20;     // magic + option + type + length
inline constexpr size_t kRequestHeaderSize = 28;
inline constexpr size_t kSimpleReplyHeaderSize = 16;
inline constexpr size_t kStructuredReplyHeaderSize = 20;
// proto.md: strings (export names, error messages) are at most 4096 bytes; a
// longer one is a protocol violation, so parsers reject rather than allocate.
inline constexpr size_t kMaxStringLength = 4096;

// --- Handshake flags (server, 16 bits, sent in the greeting) --------------
namespace handshake_flags {
inline constexpr uint16_t kFixedNewstyle = 1u << 0;
inline constexpr uint16_t kNoZeroes = 1u << 1;
}  // namespace handshake_flags

// --- Client flags (32 bits, the client's answer to the greeting) ----------
namespace client_flags {
inline constexpr uint32_t kFixedNewstyle = 1u << 0;
inline constexpr uint32_t kNoZeroes = 1u << 1;
inline constexpr uint32_t kKnownMask = kFixedNewstyle | kNoZeroes;
}  // namespace client_flags

// --- Options (NBD_OPT_*) ---------------------------------------------------
// The underlying type holds any 32-bit value, so an option the server does
// not know still parses and can be answered with NBD_REP_ERR_UNSUP.
enum class Option : uint32_t {
  kExportName = 1,
  kAbort = 2,
  kList = 3,
  kStartTls = 5,
  kInfo = 6,
  kGo = 7,
  kStructuredReply = 8,
  kListMetaContext = 9,
  kSetMetaContext = 10,
};

// --- Option reply types (NBD_REP_*) ---------------------------------------
inline constexpr uint32_t kOptionReplyErrorBit = 1u << 31;
enum class OptionReplyType : uint32_t {
  kAck = 1,
  kServer = 2,
  kInfo = 3,
  kMetaContext = 4,
  kErrUnsupported = kOptionReplyErrorBit + 1,
  kErrPolicy = kOptionReplyErrorBit + 2,
  kErrInvalid = kOptionReplyErrorBit + 3,
  kErrTlsRequired = kOptionReplyErrorBit + 5,
  kErrUnknownExport = kOptionReplyErrorBit + 6,
  kErrBlockSizeRequired = kOptionReplyErrorBit + 8,
};

// --- Info types (NBD_INFO_*), in NBD_OPT_INFO/GO and NBD_REP_INFO ----------
enum class InfoType : uint16_t {
  kExport = 0,
  kName = 1,
  kDescription = 2,
  kBlockSize = 3,
};

// --- Transmission flags (16 bits, per export) -----------------------------
namespace transmission_flags {
inline constexpr uint16_t kHasFlags = 1u << 0;  // MUST be set whenever flags are sent
inline constexpr uint16_t kReadOnly = 1u << 1;
inline constexpr uint16_t kSendFlush = 1u << 2;
inline constexpr uint16_t kSendFua = 1u << 3;
inline constexpr uint16_t kRotational = 1u << 4;
inline constexpr uint16_t kSendTrim = 1u << 5;
inline constexpr uint16_t kSendWriteZeroes = 1u << 6;
inline constexpr uint16_t kSendDf = 1u << 7;
inline constexpr uint16_t kCanMultiConn = 1u << 8;
inline constexpr uint16_t kSendResize = 1u << 9;
inline constexpr uint16_t kSendCache = 1u << 10;
inline constexpr uint16_t kSendFastZero = 1u << 11;
}  // namespace transmission_flags

// --- Commands (NBD_CMD_*) --------------------------------------------------
// Any 16-bit value parses; the server answers unknown ones with EINVAL.
enum class CommandType : uint16_t {
  kRead = 0,
  kWrite = 1,
  kDisconnect = 2,
  kFlush = 3,
  kTrim = 4,
  kCache = 5,
  kWriteZeroes = 6,
  kBlockStatus = 7,
};

// --- Command flags (NBD_CMD_FLAG_*, 16 bits per request) ------------------
namespace command_flags {
inline constexpr uint16_t kFua = 1u << 0;
inline constexpr uint16_t kNoHole = 1u << 1;
inline constexpr uint16_t kDontFragment = 1u << 2;  // NBD_CMD_FLAG_DF
inline constexpr uint16_t kReqOne = 1u << 3;
inline constexpr uint16_t kFastZero = 1u << 4;
}  // namespace command_flags

// --- Error values in replies (Linux errno numbers, fixed by the protocol,
// so they are spelled out rather than taken from the host's <cerrno>) ------
enum class Error : uint32_t {
  kNone = 0,
  kPermission = 1,     // EPERM
  kIo = 5,             // EIO
  kNoMemory = 12,      // ENOMEM
  kInvalid = 22,       // EINVAL
  kNoSpace = 28,       // ENOSPC
  kOverflow = 75,      // EOVERFLOW
  kNotSupported = 95,  // ENOTSUP
  kShutdown = 108,     // ESHUTDOWN
};

// --- Structured reply chunk types (NBD_REPLY_TYPE_*) -----------------------
inline constexpr uint16_t kReplyTypeErrorBit = 1u << 15;
enum class StructuredReplyType : uint16_t {
  kNone = 0,
  kOffsetData = 1,
  kOffsetHole = 2,
  kBlockStatus = 5,
  kError = kReplyTypeErrorBit + 1,
  kErrorOffset = kReplyTypeErrorBit + 2,
};

// --- Structured reply flags (NBD_REPLY_FLAG_*) -----------------------------
namespace reply_flags {
inline constexpr uint16_t kDone = 1u << 0;  // last chunk of this reply
}  // namespace reply_flags

// --- Metadata contexts ------------------------------------------------------
// The one context this server offers: which ranges are allocated.
inline constexpr std::string_view kBaseAllocation = "base:allocation";
namespace state_flags {  // NBD_STATE_* of base:allocation
inline constexpr uint32_t kHole = 1u << 0;
inline constexpr uint32_t kZero = 1u << 1;
}  // namespace state_flags

// --- Messages ----------------------------------------------------------------

// What follows IHAVEOPT: the option and the length of its data, which the
// caller reads next (and should bound before allocating).
struct OptionHeader {
  Option option{};
  uint32_t data_length = 0;
};

// The data of NBD_OPT_INFO and NBD_OPT_GO.
struct InfoRequest {
  std::string export_name;
  // In the client's order; unknown types are kept, the server ignores them.
  std::vector<InfoType> info_types;
};

// The data of NBD_OPT_LIST_META_CONTEXT and NBD_OPT_SET_META_CONTEXT.
struct MetaContextRequest {
  std::string export_name;
  std::vector<std::string> queries;  // "base:allocation", "base:" (LIST), ...
};

// One descriptor of an NBD_REPLY_TYPE_BLOCK_STATUS chunk.
struct BlockStatusDescriptor {
  uint32_t length = 0;  // MUST NOT be zero
  uint32_t flags = 0;   // state_flags::* for base:allocation
};

struct RequestHeader {
  uint16_t flags = 0;  // command_flags::*
  CommandType type{};
  uint64_t cookie = 0;  // a.k.a. handle; echoed in the reply, opaque to us
  uint64_t offset = 0;
  uint32_t length = 0;  // for NBD_CMD_WRITE, the payload that follows
};

struct BlockSizeConstraints {
  uint32_t minimum = 1;
  uint32_t preferred = 4096;
  uint32_t maximum = 0xffffffff;  // "no inherent limit"
};

// --- Handshake ---------------------------------------------------------------

// NBDMAGIC, IHAVEOPT, handshake flags: 18 bytes.
Bytes EncodeServerGreeting(uint16_t handshake_flags);

// The client's 32-bit flags. InvalidArgument when short or when a flag we do
// not know is set (proto.md: the server MUST then close the connection).
// Whether a known flag matches what the greeting advertised (C_NO_ZEROES
// without NO_ZEROES) is the caller's check, as only it knows the greeting.
base::Result<uint32_t> ParseClientFlags(std::span<const uint8_t> data);

// IHAVEOPT, option, length from the first 16 bytes. InvalidArgument when the
// buffer is short or the magic is wrong.
base::Result<OptionHeader> ParseOptionHeader(std::span<const uint8_t> data);

// Reply magic, option, reply type, data length, data. InvalidArgument when
// the data does not fit the 32-bit length.
base::Result<Bytes> EncodeOptionReply(Option option, OptionReplyType type,
                                      std::span<const uint8_t> data);

// NBD_REP_INFO payload for NBD_INFO_EXPORT: type, export size, transmission
// flags (12 bytes).
Bytes EncodeInfoExport(uint64_t export_size, uint16_t transmission_flags);

// NBD_REP_INFO payload for NBD_INFO_BLOCK_SIZE: type, min, preferred, max
// (14 bytes). InvalidArgument when the values break proto.md's rules:
// minimum a power of two <= 64 KiB; preferred a power of two >=
// max(minimum, 512); maximum >= minimum and a multiple of it or 0xffffffff.
base::Result<Bytes> EncodeInfoBlockSize(const BlockSizeConstraints& sizes);

// The data of NBD_OPT_INFO/NBD_OPT_GO: u32 name length, name, u16 count,
// count x u16 info type. InvalidArgument when a length runs past the buffer,
// the name is longer than kMaxStringLength, or bytes are left over.
base::Result<InfoRequest> ParseInfoRequest(std::span<const uint8_t> data);

// The server's answer to NBD_OPT_EXPORT_NAME: export size, transmission
// flags and, unless the client set NBD_FLAG_C_NO_ZEROES, 124 zero bytes.
Bytes EncodeExportNameReply(uint64_t export_size, uint16_t transmission_flags, bool no_zeroes);

// The data of one NBD_REP_SERVER reply to NBD_OPT_LIST: name length, name.
Bytes EncodeListEntry(std::string_view export_name);

// The data of LIST/SET_META_CONTEXT: u32 name length, name, u32 query count,
// then each query as u32 length and string. InvalidArgument when a length
// runs past the buffer, a string is longer than kMaxStringLength, or bytes
// are left over.
base::Result<MetaContextRequest> ParseMetaContextRequest(std::span<const uint8_t> data);

// The data of one NBD_REP_META_CONTEXT reply: context id, context name.
Bytes EncodeMetaContextEntry(uint32_t context_id, std::string_view name);

// --- Transmission ------------------------------------------------------------

// The 28-byte request header. InvalidArgument when short or the magic is
// wrong (the stream is then out of sync and the connection must close).
base::Result<RequestHeader> ParseRequestHeader(std::span<const uint8_t> data);

// Simple reply magic, error, cookie: 16 bytes. For NBD_CMD_READ without
// error, the data follows.
Bytes EncodeSimpleReplyHeader(Error error, uint64_t cookie);

// The generic 20-byte chunk header: magic, flags, type, cookie, payload
// length. Alone, it is the whole of an NBD_REPLY_TYPE_NONE chunk.
Bytes EncodeStructuredReplyHeader(uint16_t flags, StructuredReplyType type, uint64_t cookie,
                                  uint32_t payload_length);

// NBD_REPLY_TYPE_OFFSET_DATA chunk header plus the offset (28 bytes); the
// caller sends `data_length` bytes of data after it. InvalidArgument when
// offset + data does not fit the 32-bit payload length.
base::Result<Bytes> EncodeOffsetDataChunkHeader(uint16_t flags, uint64_t cookie, uint64_t offset,
                                                uint64_t data_length);

// Complete NBD_REPLY_TYPE_OFFSET_HOLE chunk: header, offset, hole size
// (32 bytes).
Bytes EncodeOffsetHoleChunk(uint16_t flags, uint64_t cookie, uint64_t offset,
                            uint32_t hole_size);

// Complete NBD_REPLY_TYPE_BLOCK_STATUS chunk: header, context id, the
// descriptors. InvalidArgument when there are none or one has length 0.
base::Result<Bytes> EncodeBlockStatusChunk(uint16_t flags, uint64_t cookie, uint32_t context_id,
                                           std::span<const BlockStatusDescriptor> descriptors);

// Complete NBD_REPLY_TYPE_ERROR chunk: header, error, message length,
// message. InvalidArgument when the error is kNone (an error chunk MUST carry
// a non-zero error) or the message exceeds kMaxStringLength.
base::Result<Bytes> EncodeErrorChunk(uint16_t flags, uint64_t cookie, Error error,
                                     std::string_view message);

}  // namespace kura::net::nbd
