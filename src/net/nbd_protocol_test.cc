#include "net/nbd_protocol.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kura::net::nbd {
namespace {

using base::StatusCode;

// Expected bytes below are written out by hand from proto.md's layouts, not
// produced by the encoder, so a shared misunderstanding cannot pass.
Bytes B(std::initializer_list<uint8_t> bytes) { return Bytes(bytes); }

// The constants are the protocol; pin the ones that are easy to mistype.
static_assert(kNbdMagic == 0x4e42444d41474943);
static_assert(kIHaveOptMagic == 0x49484156454F5054);
static_assert(kOptionReplyMagic == 0x3e889045565a9);
static_assert(static_cast<uint32_t>(OptionReplyType::kErrUnsupported) == 0x80000001u);
static_assert(static_cast<uint32_t>(OptionReplyType::kErrBlockSizeRequired) == 0x80000008u);
static_assert(static_cast<uint16_t>(StructuredReplyType::kError) == 0x8001);
static_assert(static_cast<uint16_t>(StructuredReplyType::kErrorOffset) == 0x8002);
static_assert(transmission_flags::kSendFastZero == 0x0800);
static_assert(command_flags::kFastZero == 0x0010);
static_assert(static_cast<uint32_t>(Error::kShutdown) == 108);
static_assert(static_cast<uint32_t>(Option::kListMetaContext) == 9);
static_assert(static_cast<uint32_t>(Option::kSetMetaContext) == 10);
static_assert(static_cast<uint32_t>(OptionReplyType::kMetaContext) == 4);
static_assert(static_cast<uint16_t>(StructuredReplyType::kBlockStatus) == 5);

TEST(NbdProtocolTest, ServerGreeting) {
  EXPECT_EQ(EncodeServerGreeting(handshake_flags::kFixedNewstyle | handshake_flags::kNoZeroes),
            B({0x4e, 0x42, 0x44, 0x4d, 0x41, 0x47, 0x49, 0x43,    // NBDMAGIC
               0x49, 0x48, 0x41, 0x56, 0x45, 0x4f, 0x50, 0x54,    // IHAVEOPT
               0x00, 0x03}));
}

TEST(NbdProtocolTest, ClientFlags) {
  auto flags = ParseClientFlags(B({0x00, 0x00, 0x00, 0x03}));
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(*flags, client_flags::kFixedNewstyle | client_flags::kNoZeroes);
  EXPECT_EQ(ParseClientFlags(B({0x00, 0x00, 0x00, 0x04})).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseClientFlags(B({0x00, 0x00, 0x00})).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(NbdProtocolTest, ParseOptionHeader) {
  auto header = ParseOptionHeader(B({0x49, 0x48, 0x41, 0x56, 0x45, 0x4f, 0x50, 0x54,
                                     0x00, 0x00, 0x00, 0x07,  // NBD_OPT_GO
                                     0x00, 0x00, 0x00, 0x0a}));
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  EXPECT_EQ(header->option, Option::kGo);
  EXPECT_EQ(header->data_length, 10u);
}

TEST(NbdProtocolTest, ParseOptionHeaderKeepsUnknownOption) {
  auto header = ParseOptionHeader(B({0x49, 0x48, 0x41, 0x56, 0x45, 0x4f, 0x50, 0x54,
                                     0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00}));
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(static_cast<uint32_t>(header->option), 0x100u);
}

TEST(NbdProtocolTest, ParseOptionHeaderRejectsShortBufferAndWrongMagic) {
  EXPECT_EQ(ParseOptionHeader(B({})).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseOptionHeader(B({0x49, 0x48, 0x41, 0x56, 0x45, 0x4f, 0x50, 0x54,
                                 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00}))
                .status().code(),
            StatusCode::kInvalidArgument);
  // NBDMAGIC where IHAVEOPT belongs.
  EXPECT_EQ(ParseOptionHeader(B({0x4e, 0x42, 0x44, 0x4d, 0x41, 0x47, 0x49, 0x43,
                                 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00}))
                .status().code(),
            StatusCode::kInvalidArgument);
}

TEST(NbdProtocolTest, OptionReplyAck) {
  auto reply = EncodeOptionReply(Option::kGo, OptionReplyType::kAck, {});
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(*reply, B({0x00, 0x03, 0xe8, 0x89, 0x04, 0x55, 0x65, 0xa9,
                       0x00, 0x00, 0x00, 0x07,
                       0x00, 0x00, 0x00, 0x01,
                       0x00, 0x00, 0x00, 0x00}));
}

TEST(NbdProtocolTest, OptionReplyWithData) {
  const Bytes data = B({0xaa, 0xbb});
  auto reply = EncodeOptionReply(Option::kStartTls, OptionReplyType::kErrUnsupported, data);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(*reply, B({0x00, 0x03, 0xe8, 0x89, 0x04, 0x55, 0x65, 0xa9,
                       0x00, 0x00, 0x00, 0x05,
                       0x80, 0x00, 0x00, 0x01,
                       0x00, 0x00, 0x00, 0x02,
                       0xaa, 0xbb}));
}

TEST(NbdProtocolTest, InfoExport) {
  EXPECT_EQ(EncodeInfoExport(0x100000000ull, transmission_flags::kHasFlags |
                                                 transmission_flags::kSendFlush |
                                                 transmission_flags::kCanMultiConn),
            B({0x00, 0x00,
               0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
               0x01, 0x05}));
}

TEST(NbdProtocolTest, InfoBlockSize) {
  auto info = EncodeInfoBlockSize({.minimum = 512, .preferred = 4096, .maximum = 33554432});
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(*info, B({0x00, 0x03,
                      0x00, 0x00, 0x02, 0x00,
                      0x00, 0x00, 0x10, 0x00,
                      0x02, 0x00, 0x00, 0x00}));
  EXPECT_TRUE(EncodeInfoBlockSize({}).ok());  // the protocol's defaults are valid
}

TEST(NbdProtocolTest, InfoBlockSizeRejectsInvalidConstraints) {
  auto code = [](BlockSizeConstraints s) { return EncodeInfoBlockSize(s).status().code(); };
  EXPECT_EQ(code({.minimum = 0, .preferred = 4096, .maximum = 0xffffffff}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.minimum = 3, .preferred = 4096, .maximum = 0xffffffff}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.minimum = 131072, .preferred = 131072, .maximum = 0xffffffff}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.minimum = 1, .preferred = 256, .maximum = 0xffffffff}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.minimum = 4096, .preferred = 2048, .maximum = 0xffffffff}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.minimum = 512, .preferred = 4096, .maximum = 1000}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.minimum = 4096, .preferred = 4096, .maximum = 512}),
            StatusCode::kInvalidArgument);
}

TEST(NbdProtocolTest, ParseInfoRequest) {
  auto request = ParseInfoRequest(B({0x00, 0x00, 0x00, 0x03, 'v', 'o', 'l',
                                     0x00, 0x02,
                                     0x00, 0x03,    // NBD_INFO_BLOCK_SIZE
                                     0x00, 0x00}));  // NBD_INFO_EXPORT
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->export_name, "vol");
  EXPECT_EQ(request->info_types, (std::vector<InfoType>{InfoType::kBlockSize, InfoType::kExport}));
}

TEST(NbdProtocolTest, ParseInfoRequestEmptyNameNoInfos) {
  auto request = ParseInfoRequest(B({0x00, 0x00, 0x00, 0x00, 0x00, 0x00}));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->export_name, "");
  EXPECT_TRUE(request->info_types.empty());
}

TEST(NbdProtocolTest, ParseInfoRequestRejectsMalformed) {
  auto code = [](Bytes data) { return ParseInfoRequest(data).status().code(); };
  EXPECT_EQ(code(B({})), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(B({0x00, 0x00, 0x00})), StatusCode::kInvalidArgument);
  // Name length beyond the buffer.
  EXPECT_EQ(code(B({0x00, 0x00, 0x00, 0x10, 'v', 0x00, 0x00})), StatusCode::kInvalidArgument);
  // Name length near 2^32: must not wrap the bounds arithmetic.
  EXPECT_EQ(code(B({0xff, 0xff, 0xff, 0xff, 0x00, 0x00})), StatusCode::kInvalidArgument);
  // Name longer than 4096 bytes, even when the bytes are present.
  {
    Bytes long_name = B({0x00, 0x00, 0x10, 0x01});
    long_name.resize(4 + 4097 + 2, 'a');
    long_name[4 + 4097] = 0;
    long_name[4 + 4097 + 1] = 0;
    EXPECT_EQ(code(long_name), StatusCode::kInvalidArgument);
  }
  // Name fits but the info count is missing.
  EXPECT_EQ(code(B({0x00, 0x00, 0x00, 0x01, 'v', 0x00})), StatusCode::kInvalidArgument);
  // Count says two info types, only one present.
  EXPECT_EQ(code(B({0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x03})),
            StatusCode::kInvalidArgument);
  // Trailing byte after the info types.
  EXPECT_EQ(code(B({0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 0x00})),
            StatusCode::kInvalidArgument);
}

TEST(NbdProtocolTest, ParseRequestHeader) {
  auto request = ParseRequestHeader(B({0x25, 0x60, 0x95, 0x13,
                                       0x00, 0x01,  // FUA
                                       0x00, 0x01,  // NBD_CMD_WRITE
                                       0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
                                       0x00, 0x00, 0x02, 0x00}));
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->flags, command_flags::kFua);
  EXPECT_EQ(request->type, CommandType::kWrite);
  EXPECT_EQ(request->cookie, 0x0102030405060708ull);
  EXPECT_EQ(request->offset, 0x1000u);
  EXPECT_EQ(request->length, 0x200u);
}

TEST(NbdProtocolTest, ParseRequestHeaderRejectsShortBufferAndWrongMagic) {
  Bytes good = B({0x25, 0x60, 0x95, 0x13, 0x00, 0x00, 0x00, 0x03,
                  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  ASSERT_EQ(good.size(), kRequestHeaderSize);
  ASSERT_TRUE(ParseRequestHeader(good).ok());
  Bytes short_buffer(good.begin(), good.end() - 1);
  EXPECT_EQ(ParseRequestHeader(short_buffer).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRequestHeader(B({})).status().code(), StatusCode::kInvalidArgument);
  Bytes wrong_magic = good;
  wrong_magic[3] = 0x14;
  EXPECT_EQ(ParseRequestHeader(wrong_magic).status().code(), StatusCode::kInvalidArgument);
  // A simple reply's magic in a request's place is out of sync, not a request.
  Bytes reply_magic = good;
  reply_magic[0] = 0x67; reply_magic[1] = 0x44; reply_magic[2] = 0x66; reply_magic[3] = 0x98;
  EXPECT_EQ(ParseRequestHeader(reply_magic).status().code(), StatusCode::kInvalidArgument);
}

TEST(NbdProtocolTest, SimpleReplyHeader) {
  EXPECT_EQ(EncodeSimpleReplyHeader(Error::kIo, 0x0102030405060708ull),
            B({0x67, 0x44, 0x66, 0x98,
               0x00, 0x00, 0x00, 0x05,
               0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}));
  EXPECT_EQ(EncodeSimpleReplyHeader(Error::kNone, 1),
            B({0x67, 0x44, 0x66, 0x98, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
}

TEST(NbdProtocolTest, StructuredReplyNoneChunk) {
  EXPECT_EQ(EncodeStructuredReplyHeader(reply_flags::kDone, StructuredReplyType::kNone,
                                        0x0102030405060708ull, 0),
            B({0x66, 0x8e, 0x33, 0xef,
               0x00, 0x01,
               0x00, 0x00,
               0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
               0x00, 0x00, 0x00, 0x00}));
}

TEST(NbdProtocolTest, OffsetDataChunkHeader) {
  auto chunk = EncodeOffsetDataChunkHeader(0, 1, 0x1000, 512);
  ASSERT_TRUE(chunk.ok());
  EXPECT_EQ(*chunk, B({0x66, 0x8e, 0x33, 0xef,
                       0x00, 0x00,
                       0x00, 0x01,
                       0, 0, 0, 0, 0, 0, 0, 1,
                       0x00, 0x00, 0x02, 0x08,  // 8 (offset) + 512 (data)
                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00}));
}

TEST(NbdProtocolTest, OffsetDataChunkHeaderRejectsOversizedData) {
  EXPECT_TRUE(EncodeOffsetDataChunkHeader(0, 1, 0, 0xffffffffull - 8).ok());
  EXPECT_EQ(EncodeOffsetDataChunkHeader(0, 1, 0, 0xffffffffull - 7).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(NbdProtocolTest, OffsetHoleChunk) {
  EXPECT_EQ(EncodeOffsetHoleChunk(reply_flags::kDone, 2, 0x2000, 0x10000),
            B({0x66, 0x8e, 0x33, 0xef,
               0x00, 0x01,
               0x00, 0x02,
               0, 0, 0, 0, 0, 0, 0, 2,
               0x00, 0x00, 0x00, 0x0c,
               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00,
               0x00, 0x01, 0x00, 0x00}));
}

TEST(NbdProtocolTest, ErrorChunk) {
  auto chunk = EncodeErrorChunk(reply_flags::kDone, 3, Error::kInvalid, "bad");
  ASSERT_TRUE(chunk.ok());
  EXPECT_EQ(*chunk, B({0x66, 0x8e, 0x33, 0xef,
                       0x00, 0x01,
                       0x80, 0x01,
                       0, 0, 0, 0, 0, 0, 0, 3,
                       0x00, 0x00, 0x00, 0x09,  // 4 (error) + 2 (length) + 3
                       0x00, 0x00, 0x00, 0x16,
                       0x00, 0x03,
                       'b', 'a', 'd'}));
}

TEST(NbdProtocolTest, ErrorChunkRejectsZeroErrorAndLongMessage) {
  EXPECT_EQ(EncodeErrorChunk(0, 1, Error::kNone, "x").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(EncodeErrorChunk(0, 1, Error::kIo, std::string(kMaxStringLength, 'm')).ok());
  EXPECT_EQ(EncodeErrorChunk(0, 1, Error::kIo, std::string(kMaxStringLength + 1, 'm'))
                .status().code(),
            StatusCode::kInvalidArgument);
}

TEST(NbdProtocolTest, ParseMetaContextRequest) {
  auto request = ParseMetaContextRequest(B({0x00, 0x00, 0x00, 0x01, 'v',
                                            0x00, 0x00, 0x00, 0x02,
                                            0x00, 0x00, 0x00, 0x05, 'b', 'a', 's', 'e', ':',
                                            0x00, 0x00, 0x00, 0x00}));
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->export_name, "v");
  EXPECT_EQ(request->queries, (std::vector<std::string>{"base:", ""}));
  auto none = ParseMetaContextRequest(B({0, 0, 0, 0, 0, 0, 0, 0}));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->queries.empty());
}

TEST(NbdProtocolTest, ParseMetaContextRequestRejectsMalformed) {
  auto code = [](Bytes data) { return ParseMetaContextRequest(data).status().code(); };
  EXPECT_EQ(code(B({})), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(B({0, 0, 0, 1, 'v'})), StatusCode::kInvalidArgument);                // no count
  EXPECT_EQ(code(B({0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})), StatusCode::kInvalidArgument);  // count cannot fit
  EXPECT_EQ(code(B({0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9, 'b'})), StatusCode::kInvalidArgument);  // short query
  EXPECT_EQ(code(B({0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff})), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(B({0, 0, 0, 0, 0, 0, 0, 0, 0})), StatusCode::kInvalidArgument);      // trailing byte
}

TEST(NbdProtocolTest, MetaContextEntry) {
  EXPECT_EQ(EncodeMetaContextEntry(1, "base:allocation"),
            B({0, 0, 0, 1, 'b', 'a', 's', 'e', ':', 'a', 'l', 'l', 'o', 'c', 'a', 't', 'i', 'o', 'n'}));
}

TEST(NbdProtocolTest, BlockStatusChunk) {
  const BlockStatusDescriptor descriptors[] = {{0x80000, state_flags::kHole | state_flags::kZero}, {0x1000, 0}};
  auto chunk = EncodeBlockStatusChunk(reply_flags::kDone, 4, 1, descriptors);
  ASSERT_TRUE(chunk.ok());
  EXPECT_EQ(*chunk, B({0x66, 0x8e, 0x33, 0xef,
                       0x00, 0x01,
                       0x00, 0x05,
                       0, 0, 0, 0, 0, 0, 0, 4,
                       0x00, 0x00, 0x00, 0x14,  // 4 + 2 x 8
                       0x00, 0x00, 0x00, 0x01,
                       0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,
                       0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00}));
  EXPECT_FALSE(EncodeBlockStatusChunk(0, 4, 1, {}).ok());
  const BlockStatusDescriptor empty[] = {{0, 0}};
  EXPECT_FALSE(EncodeBlockStatusChunk(0, 4, 1, empty).ok());
}

}  // namespace
}  // namespace kura::net::nbd
