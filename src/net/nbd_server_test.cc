// The NBD server over real sockets and a real (encrypted) engine volume,
// driven by a minimal blocking client written from proto.md, so that each
// wire rule is checked byte by byte (the e2e suite checks the same server
// with qemu and libnbd).
#include "net/nbd_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <map>

#include "blocks/engine_fixture.h"
#include "net/nbd_protocol.h"

namespace kura::net {
namespace {

using nbd::Bytes;

void PutBe(Bytes& out, uint64_t value, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}
uint64_t GetBe(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

// A blocking NBD client over one socket.
class Client {
 public:
  explicit Client(int fd) : fd_(fd) {}
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  static Client Unix(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      fd = -1;
    }
    return Client(fd);
  }
  static Client Tcp(uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      fd = -1;
    }
    return Client(fd);
  }
  Client(Client&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

  bool connected() const { return fd_ >= 0; }
  void Send(const Bytes& bytes) { ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL), ssize_t(bytes.size())); }
  // Exactly n bytes, or fewer when the server closed.
  Bytes Receive(size_t n) {
    Bytes out(n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::recv(fd_, out.data() + got, n - got, 0);
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    out.resize(got);
    return out;
  }
  bool Closed() { return Receive(1).empty(); }

  // Greeting and client flags (fixed newstyle, no zeroes).
  void Hello() {
    Bytes greeting = Receive(nbd::kServerGreetingSize);
    ASSERT_EQ(greeting.size(), nbd::kServerGreetingSize);
    EXPECT_EQ(GetBe(greeting.data(), 8), nbd::kNbdMagic);
    EXPECT_EQ(GetBe(greeting.data() + 8, 8), nbd::kIHaveOptMagic);
    Bytes flags;
    PutBe(flags, nbd::client_flags::kFixedNewstyle | nbd::client_flags::kNoZeroes, 4);
    Send(flags);
  }
  void Option(nbd::Option option, const Bytes& data = {}) {
    Bytes out;
    PutBe(out, nbd::kIHaveOptMagic, 8);
    PutBe(out, static_cast<uint32_t>(option), 4);
    PutBe(out, data.size(), 4);
    out.insert(out.end(), data.begin(), data.end());
    Send(out);
  }
  struct OptionReply {
    uint32_t type = 0;
    Bytes data;
  };
  OptionReply ReadOptionReply() {
    Bytes header = Receive(nbd::kOptionReplyHeaderSize);
    if (header.size() != nbd::kOptionReplyHeaderSize) return {};
    EXPECT_EQ(GetBe(header.data(), 8), nbd::kOptionReplyMagic);
    OptionReply r;
    r.type = static_cast<uint32_t>(GetBe(header.data() + 12, 4));
    r.data = Receive(GetBe(header.data() + 16, 4));
    return r;
  }
  static Bytes GoData(const std::string& name) {
    Bytes data;
    PutBe(data, name.size(), 4);
    data.insert(data.end(), name.begin(), name.end());
    PutBe(data, 1, 2);
    PutBe(data, static_cast<uint16_t>(nbd::InfoType::kBlockSize), 2);
    return data;
  }
  // NBD_OPT_GO: the replies up to and including the final one; its type.
  uint32_t Go(const std::string& name, uint64_t* size = nullptr, uint16_t* flags = nullptr) {
    Option(nbd::Option::kGo, GoData(name));
    for (;;) {
      OptionReply r = ReadOptionReply();
      if (r.type == static_cast<uint32_t>(nbd::OptionReplyType::kInfo) && r.data.size() == 12 &&
          GetBe(r.data.data(), 2) == 0) {
        if (size) *size = GetBe(r.data.data() + 2, 8);
        if (flags) *flags = static_cast<uint16_t>(GetBe(r.data.data() + 10, 2));
        continue;
      }
      if (r.type == static_cast<uint32_t>(nbd::OptionReplyType::kInfo)) continue;
      return r.type;
    }
  }
  void Request(nbd::CommandType type, uint64_t cookie, uint64_t offset, uint32_t length, uint16_t flags = 0,
               const Bytes& payload = {}) {
    Bytes out;
    PutBe(out, nbd::kRequestMagic, 4);
    PutBe(out, flags, 2);
    PutBe(out, static_cast<uint16_t>(type), 2);
    PutBe(out, cookie, 8);
    PutBe(out, offset, 8);
    PutBe(out, length, 4);
    out.insert(out.end(), payload.begin(), payload.end());
    Send(out);
  }
  // A simple reply: (error, cookie); `data_length` bytes of read data follow on success.
  std::pair<uint32_t, uint64_t> SimpleReply() {
    Bytes r = Receive(nbd::kSimpleReplyHeaderSize);
    if (r.size() != nbd::kSimpleReplyHeaderSize) return {~0u, 0};
    EXPECT_EQ(GetBe(r.data(), 4), nbd::kSimpleReplyMagic);
    return {static_cast<uint32_t>(GetBe(r.data() + 4, 4)), GetBe(r.data() + 8, 8)};
  }

 private:
  int fd_;
};

constexpr char kInstance[] = "i-0123456789abcdef0";
constexpr char kOther[] = "i-0fedcba9876543210";
constexpr char kVolume[] = "vol-0123456789abcdef0";

class NbdServerTest : public blocks::EngineFixture {
 protected:
  void SetUp() override {
    EngineFixture::SetUp();
    key_ = NewKey();
    auto id = engine_->CreateVolume(1ull << 30, &key_);
    ASSERT_TRUE(id.ok());
    auto volume = engine_->OpenVolume(*id, &key_);
    ASSERT_TRUE(volume.ok());
    volume_ = *volume;
    NbdServerOptions options;
    options.socket_dir = dir_ + "/nbd";
    options.tcp_port = 0;
    options.io_threads = 1;
    options.worker_threads = 2;
    auto server = NbdServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = *server;
    server_->VolumeAttached("111122223333", kInstance, kVolume, volume_);
  }
  void TearDown() override {
    server_->Stop();
    server_.reset();
    volume_.reset();
    EngineFixture::TearDown();
  }
  Client Connected() {
    Client c = Client::Unix(server_->SocketPath(kInstance));
    EXPECT_TRUE(c.connected());
    c.Hello();
    return c;
  }

  crypto::SecretBytes key_;
  std::shared_ptr<blocks::Volume> volume_;
  std::shared_ptr<NbdServer> server_;
};

TEST_F(NbdServerTest, GoThenWriteReadFlushOnTheInstanceSocket) {
  struct stat st{};
  ASSERT_EQ(::stat(server_->SocketPath(kInstance).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Client c = Connected();
  uint64_t size = 0;
  uint16_t flags = 0;
  ASSERT_EQ(c.Go(kVolume, &size, &flags), static_cast<uint32_t>(nbd::OptionReplyType::kAck));
  EXPECT_EQ(size, 1ull << 30);
  namespace tf = nbd::transmission_flags;
  for (uint16_t f : {tf::kHasFlags, tf::kSendFlush, tf::kSendFua, tf::kSendTrim, tf::kSendWriteZeroes,
                     tf::kCanMultiConn, tf::kSendCache}) {
    EXPECT_NE(flags & f, 0) << f;
  }
  // Unaligned, across a 512 KiB chunk boundary, with FUA.
  Bytes data = RandomBytes(5000, 7);
  const uint64_t offset = 512 * 1024 - 1234;
  c.Request(nbd::CommandType::kWrite, 11, offset, data.size(), nbd::command_flags::kFua, data);
  EXPECT_EQ(c.SimpleReply(), std::make_pair(0u, uint64_t{11}));
  c.Request(nbd::CommandType::kRead, 12, offset, data.size());
  EXPECT_EQ(c.SimpleReply(), std::make_pair(0u, uint64_t{12}));
  EXPECT_EQ(c.Receive(data.size()), data);
  c.Request(nbd::CommandType::kFlush, 13, 0, 0);
  EXPECT_EQ(c.SimpleReply(), std::make_pair(0u, uint64_t{13}));
  EXPECT_EQ(ReadAll(*volume_, offset, data.size()), data);  // what the engine holds
  // Zeroing and trimming read back as zeros.
  c.Request(nbd::CommandType::kWriteZeroes, 14, offset, 100, nbd::command_flags::kNoHole);
  EXPECT_EQ(c.SimpleReply().first, 0u);
  c.Request(nbd::CommandType::kTrim, 15, offset + 100, 100);
  EXPECT_EQ(c.SimpleReply().first, 0u);
  EXPECT_EQ(ReadAll(*volume_, offset, 200), Bytes(200, 0));
  c.Request(nbd::CommandType::kDisconnect, 16, 0, 0);
  EXPECT_TRUE(c.Closed());
}

TEST_F(NbdServerTest, StructuredReadsComeAsOneOffsetDataChunk) {
  Client c = Connected();
  c.Option(nbd::Option::kStructuredReply);
  EXPECT_EQ(c.ReadOptionReply().type, static_cast<uint32_t>(nbd::OptionReplyType::kAck));
  uint16_t flags = 0;
  ASSERT_EQ(c.Go(kVolume, nullptr, &flags), static_cast<uint32_t>(nbd::OptionReplyType::kAck));
  EXPECT_NE(flags & nbd::transmission_flags::kSendDf, 0);
  Bytes data = RandomBytes(4096, 9);
  ASSERT_TRUE(volume_->Write(8192, data).ok());
  c.Request(nbd::CommandType::kRead, 21, 8192, 4096, nbd::command_flags::kDontFragment);
  Bytes header = c.Receive(nbd::kStructuredReplyHeaderSize + 8);
  ASSERT_EQ(header.size(), nbd::kStructuredReplyHeaderSize + 8);
  EXPECT_EQ(GetBe(header.data(), 4), nbd::kStructuredReplyMagic);
  EXPECT_EQ(GetBe(header.data() + 4, 2), nbd::reply_flags::kDone);
  EXPECT_EQ(GetBe(header.data() + 6, 2), static_cast<uint16_t>(nbd::StructuredReplyType::kOffsetData));
  EXPECT_EQ(GetBe(header.data() + 8, 8), 21u);
  EXPECT_EQ(GetBe(header.data() + 16, 4), 8u + 4096);
  EXPECT_EQ(GetBe(header.data() + 20, 8), 8192u);
  EXPECT_EQ(c.Receive(4096), data);
  // An error on a read is an error chunk.
  c.Request(nbd::CommandType::kRead, 22, (1ull << 30) - 10, 4096);
  Bytes error = c.Receive(nbd::kStructuredReplyHeaderSize);
  EXPECT_EQ(GetBe(error.data() + 6, 2), static_cast<uint16_t>(nbd::StructuredReplyType::kError));
  Bytes payload = c.Receive(GetBe(error.data() + 16, 4));
  EXPECT_EQ(GetBe(payload.data(), 4), static_cast<uint32_t>(nbd::Error::kInvalid));
}

TEST_F(NbdServerTest, RequestsBeyondTheEndAndBadFlagsAreRefusedAndTheSessionGoesOn) {
  Client c = Connected();
  ASSERT_EQ(c.Go(kVolume), static_cast<uint32_t>(nbd::OptionReplyType::kAck));
  const uint64_t end = 1ull << 30;
  c.Request(nbd::CommandType::kRead, 1, end - 100, 200);
  EXPECT_EQ(c.SimpleReply(), std::make_pair(static_cast<uint32_t>(nbd::Error::kInvalid), uint64_t{1}));
  c.Request(nbd::CommandType::kWrite, 2, end - 100, 200, 0, Bytes(200, 1));
  EXPECT_EQ(c.SimpleReply(), std::make_pair(static_cast<uint32_t>(nbd::Error::kNoSpace), uint64_t{2}));
  c.Request(nbd::CommandType::kTrim, 3, end, 1);
  EXPECT_EQ(c.SimpleReply().first, static_cast<uint32_t>(nbd::Error::kNoSpace));
  c.Request(nbd::CommandType::kRead, 4, 0, 16, nbd::command_flags::kFua);  // FUA means nothing on a read
  EXPECT_EQ(c.SimpleReply().first, static_cast<uint32_t>(nbd::Error::kInvalid));
  c.Request(static_cast<nbd::CommandType>(99), 5, 0, 16);
  EXPECT_EQ(c.SimpleReply().first, static_cast<uint32_t>(nbd::Error::kInvalid));
  c.Request(nbd::CommandType::kCache, 6, 0, 4096);
  EXPECT_EQ(c.SimpleReply(), std::make_pair(0u, uint64_t{6}));
}

TEST_F(NbdServerTest, ManyRequestsInFlightAreAllAnswered) {
  Client c = Connected();
  ASSERT_EQ(c.Go(kVolume), static_cast<uint32_t>(nbd::OptionReplyType::kAck));
  constexpr int kCount = 200;  // more than the server keeps in flight: it must hold back, not drop
  for (int i = 0; i < kCount; ++i) {
    const bool big = i % 10 == 0;  // some go to the worker pool, so replies may come out of order
    c.Request(nbd::CommandType::kWrite, 1000 + i, uint64_t(i) * 1024 * 1024, big ? 1 << 20 : 4096,
              i % 7 == 0 ? nbd::command_flags::kFua : 0, RandomBytes(big ? 1 << 20 : 4096, i));
  }
  std::map<uint64_t, uint32_t> replies;
  for (int i = 0; i < kCount; ++i) {
    auto [error, cookie] = c.SimpleReply();
    replies[cookie] = error;
  }
  ASSERT_EQ(replies.size(), size_t(kCount));
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(replies[1000 + i], 0u) << i;
  EXPECT_EQ(ReadAll(*volume_, 7ull << 20, 4096), RandomBytes(4096, 7));
}

TEST_F(NbdServerTest, OptionsAnswerAsTheProtocolSays) {
  Client c = Connected();
  c.Option(nbd::Option::kList);
  Client::OptionReply entry = c.ReadOptionReply();
  EXPECT_EQ(entry.type, static_cast<uint32_t>(nbd::OptionReplyType::kServer));
  EXPECT_EQ(std::string(entry.data.begin() + 4, entry.data.end()), kVolume);
  EXPECT_EQ(c.ReadOptionReply().type, static_cast<uint32_t>(nbd::OptionReplyType::kAck));
  c.Option(static_cast<nbd::Option>(42));
  EXPECT_EQ(c.ReadOptionReply().type, static_cast<uint32_t>(nbd::OptionReplyType::kErrUnsupported));
  c.Option(nbd::Option::kStartTls);  // not on an instance's own socket
  EXPECT_EQ(c.ReadOptionReply().type, static_cast<uint32_t>(nbd::OptionReplyType::kErrPolicy));
  EXPECT_EQ(c.Go("vol-nosuchvolume"), static_cast<uint32_t>(nbd::OptionReplyType::kErrUnknownExport));
  c.Option(nbd::Option::kInfo, Bytes{0, 0, 0});  // truncated
  EXPECT_EQ(c.ReadOptionReply().type, static_cast<uint32_t>(nbd::OptionReplyType::kErrInvalid));
  c.Option(nbd::Option::kAbort);
  EXPECT_EQ(c.ReadOptionReply().type, static_cast<uint32_t>(nbd::OptionReplyType::kAck));
  EXPECT_TRUE(c.Closed());
}

TEST_F(NbdServerTest, GarbageClosesTheConnectionAndTheServerKeepsServing) {
  {
    Client c = Connected();
    c.Send(Bytes(64, 0x5a));  // no IHAVEOPT
    EXPECT_TRUE(c.Closed());
  }
  {
    Client c = Connected();
    ASSERT_EQ(c.Go(kVolume), static_cast<uint32_t>(nbd::OptionReplyType::kAck));
    c.Send(Bytes(28, 0x77));  // not a request header
    EXPECT_TRUE(c.Closed());
  }
  {
    Client c = Connected();
    ASSERT_EQ(c.Go(kVolume), static_cast<uint32_t>(nbd::OptionReplyType::kAck));
    c.Request(nbd::CommandType::kWrite, 1, 0, 64u << 20, 0, {});  // larger than any block we take
    EXPECT_TRUE(c.Closed());
  }
  Client c = Connected();
  EXPECT_EQ(c.Go(kVolume), static_cast<uint32_t>(nbd::OptionReplyType::kAck));
}

TEST_F(NbdServerTest, TcpWithoutTlsGetsTlsRequiredAndNoExport) {
  Client c = Client::Tcp(server_->tcp_port());
  ASSERT_TRUE(c.connected());
  c.Hello();
  c.Option(nbd::Option::kList);
  EXPECT_EQ(c.ReadOptionReply().type, static_cast<uint32_t>(nbd::OptionReplyType::kErrTlsRequired));
  EXPECT_EQ(c.Go(kVolume), static_cast<uint32_t>(nbd::OptionReplyType::kErrTlsRequired));
  c.Option(nbd::Option::kExportName, Bytes(kVolume, kVolume + std::strlen(kVolume)));
  EXPECT_TRUE(c.Closed());
}

TEST_F(NbdServerTest, AnotherInstanceSocketDoesNotSeeThisVolume) {
  auto other_id = engine_->CreateVolume(1ull << 30, nullptr);
  ASSERT_TRUE(other_id.ok());
  auto other = engine_->OpenVolume(*other_id, nullptr);
  ASSERT_TRUE(other.ok());
  server_->VolumeAttached("111122223333", kOther, "vol-0fedcba987654321f", *other);
  Client c = Client::Unix(server_->SocketPath(kOther));
  c.Hello();
  EXPECT_EQ(c.Go(kVolume), static_cast<uint32_t>(nbd::OptionReplyType::kErrUnknownExport));
  EXPECT_EQ(c.Go("vol-0fedcba987654321f"), static_cast<uint32_t>(nbd::OptionReplyType::kAck));
  server_->VolumeDetaching(kOther, "vol-0fedcba987654321f");
  EXPECT_TRUE(c.Closed());
}

TEST_F(NbdServerTest, DetachFinishesFlushesAndClosesTheConnectionsThenTheSocketGoes) {
  Client c = Connected();
  ASSERT_EQ(c.Go(kVolume), static_cast<uint32_t>(nbd::OptionReplyType::kAck));
  Bytes data = RandomBytes(1 << 20, 3);
  c.Request(nbd::CommandType::kWrite, 1, 0, data.size(), 0, data);
  EXPECT_EQ(c.SimpleReply().first, 0u);
  const std::string path = server_->SocketPath(kInstance);
  server_->VolumeDetaching(kInstance, kVolume);  // returns once the session let go
  EXPECT_TRUE(c.Closed());
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
  EXPECT_TRUE(server_->EndpointsOf(kInstance).empty());
  EXPECT_EQ(volume_.use_count(), 1);  // nobody but the test holds the volume now
  // Flushed on close: a reopened engine reads it back.
  volume_.reset();
  Reopen();
  auto reopened = engine_->OpenVolume(1, &key_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(ReadAll(**reopened, 0, data.size()), data);
}

TEST_F(NbdServerTest, EndpointsNameTheSocketAndTheTlsIdentity) {
  auto endpoints = server_->EndpointsOf(kInstance);
  ASSERT_EQ(endpoints.size(), 1u);
  EXPECT_EQ(endpoints[0].volume_id, kVolume);
  EXPECT_EQ(endpoints[0].uri, "nbd+unix:///" + std::string(kVolume) + "?socket=" + server_->SocketPath(kInstance));
  EXPECT_EQ(endpoints[0].tcp_uri, "nbds://" + std::string(kInstance) + "@127.0.0.1:" +
                                      std::to_string(server_->tcp_port()) + "/" + kVolume);
  EXPECT_EQ(endpoints[0].psk_identity, kInstance);
  EXPECT_EQ(endpoints[0].psk_hex.size(), 64u);
  const std::string metrics = server_->RenderMetrics();
  EXPECT_NE(metrics.find("# TYPE kura_nbd_read_bytes_total counter"), std::string::npos);
  EXPECT_NE(metrics.find("kura_nbd_connections_open{volume_id=\"" + std::string(kVolume) + "\",instance_id=\"" +
                         kInstance + "\"} 0"),
            std::string::npos);
}

TEST(NbdExportRegistryTest, EachInstanceHasItsOwnPskForgottenWithItsLastExport) {
  NbdExportRegistry registry;
  EXPECT_TRUE(registry.Add("i-a", "vol-1", nullptr));
  EXPECT_FALSE(registry.Add("i-a", "vol-2", nullptr));
  EXPECT_TRUE(registry.Add("i-b", "vol-3", nullptr));
  auto a = registry.PskOf("i-a"), b = registry.PskOf("i-b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 32u);
  EXPECT_FALSE(a->Equals(*b));
  EXPECT_FALSE(registry.PskOf("i-c"));
  EXPECT_EQ(registry.ExportNames("i-a"), (std::vector<std::string>{"vol-1", "vol-2"}));
  bool last = true;
  EXPECT_TRUE(registry.Remove("i-a", "vol-1", &last));
  EXPECT_FALSE(last);
  EXPECT_TRUE(registry.PskOf("i-a"));
  EXPECT_TRUE(registry.Remove("i-a", "vol-2", &last));
  EXPECT_TRUE(last);
  EXPECT_FALSE(registry.PskOf("i-a"));
  EXPECT_EQ(registry.AllCounters().size(), 3u);  // counters outlive the exports
}

}  // namespace
}  // namespace kura::net
