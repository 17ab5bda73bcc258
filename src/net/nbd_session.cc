#include "net/nbd_session.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "base/log.h"
#include "crypto/openssl_error.h"
#include "net/nbd_protocol.h"

namespace kura::net {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using UnixSocket = asio::local::stream_protocol::socket;
using TcpSocket = asio::ip::tcp::socket;
using TlsStream = asio::ssl::stream<TcpSocket>;
using Strand = asio::strand<asio::any_io_executor>;
namespace tf = nbd::transmission_flags;
namespace cf = nbd::command_flags;

namespace {

// The largest READ or WRITE we accept: advertised as NBD_INFO_BLOCK_SIZE's
// maximum; qemu and libnbd split larger requests themselves.
constexpr uint32_t kMaxPayload = 32u << 20;
// Bounds on what a client can make us hold: requests in flight and the
// payload bytes they carry (beyond, the session stops reading until replies go out).
constexpr size_t kMaxInFlight = 128;
constexpr size_t kMaxBufferedBytes = 128u << 20;
// Option data larger than this is not an option we know (INFO/GO carry a
// name of at most 4096 bytes): the client is closed rather than buffered.
constexpr uint32_t kMaxOptionData = 64 * 1024;
constexpr size_t kMaxOptions = 1024;
constexpr auto kHandshakeTimeout = std::chrono::seconds(60);
// Zeroes written with NO_HOLE go in pieces of this size.
constexpr size_t kZeroPiece = 1u << 20;
constexpr size_t kReadBuffer = 256 * 1024;
// The id base:allocation gets when a client selects it.
constexpr uint32_t kAllocationContextId = 1;
// proto.md lets a server answer part of a BLOCK_STATUS range; the client
// asks again for the rest. This bounds one reply to 16 KiB of descriptors.
constexpr size_t kMaxExtentsPerReply = 2048;

constexpr uint16_t kBaseTransmissionFlags = tf::kHasFlags | tf::kSendFlush | tf::kSendFua | tf::kSendTrim |
                                            tf::kSendWriteZeroes | tf::kCanMultiConn | tf::kSendCache;

// Our slots in OpenSSL's per-object data: Asio keeps its verify callback in
// SSL_[CTX_]get_app_data and deletes whatever it finds there.
int RegistryIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}
int AcceptedIdentityIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

nbd::Error ToNbdError(const base::Status& status) {
  switch (status.code()) {
    case base::StatusCode::kInvalidArgument:
    case base::StatusCode::kOutOfRange:
      return nbd::Error::kInvalid;
    case base::StatusCode::kResourceExhausted:
      return nbd::Error::kNoSpace;
    case base::StatusCode::kPermissionDenied:
      return nbd::Error::kPermission;
    default:
      return nbd::Error::kIo;
  }
}

// An allocator whose resize() leaves bytes uninitialized: a read reply or a
// write payload is overwritten whole at once, and zero-filling it first cost
// a memset of up to 32 MiB per request.
template <typename T>
struct UninitializedAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <typename U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using Buffer = std::vector<uint8_t, UninitializedAllocator<uint8_t>>;

void PutHeader(Buffer& out, const nbd::Bytes& header) { out.insert(out.end(), header.begin(), header.end()); }

enum class Negotiated { kTransmit, kStartTls, kClose };

struct Reply {
  Buffer bytes;
  size_t accounted = 0;  // counted in buffered_bytes_ until the reply is sent
};

class Session : public NbdSessionControl, public std::enable_shared_from_this<Session> {
 public:
  Session(asio::any_io_executor executor, const NbdSessionConfig& config, std::string transport, std::string peer)
      : strand_(asio::make_strand(executor)),
        config_(config),
        transport_(std::move(transport)),
        peer_(std::move(peer)),
        progress_(strand_),
        writable_(strand_),
        deadline_(strand_),
        in_(kReadBuffer) {}

  void BeginUnix(UnixSocket socket, std::string instance_id) {
    unix_.emplace(std::move(socket));
    instance_id_ = std::move(instance_id);
    Begin();
  }
  void BeginTcp(TcpSocket socket) {
    tcp_.emplace(std::move(socket));
    Begin();
  }

  void Stop() override {
    if (auto self = weak_from_this().lock()) {
      asio::post(strand_, [self] { self->StopOnStrand(); });
    }
  }

 private:
  void Begin() {
    config_.tracker->Add(this);
    base::LogEvent(base::LogLevel::kInfo, "nbd_connection_open",
                   {{"transport", transport_}, {"peer", peer_}, {"instance", instance_id_}});
    asio::co_spawn(strand_, Run(shared_from_this()), asio::detached);
  }

  void StopOnStrand() {
    if (stopping_) return;
    stopping_ = true;
    boost::system::error_code ignored;
    // The reader sees end-of-file; replies still go out on the send side.
    LowestSocket([&](auto& s) { s.shutdown(asio::socket_base::shutdown_receive, ignored); });
    if (!exported_) LowestSocket([&](auto& s) { s.shutdown(asio::socket_base::shutdown_both, ignored); });
  }

  template <typename Fn>
  void LowestSocket(Fn&& fn) {
    if (unix_) fn(*unix_);
    else if (tls_) fn(tls_->next_layer());
    else if (tcp_) fn(*tcp_);
  }

  awaitable<void> Run(std::shared_ptr<Session> /*keeps the session alive*/) {
    if (config_.tracker->Count() > config_.max_connections) {
      base::LogEvent(base::LogLevel::kWarn, "nbd_connection_refused", {{"peer", peer_}, {"reason", "too many connections"}});
    } else {
      ArmHandshakeDeadline();
      if (unix_) {
        co_await Serve(*unix_, true);
      } else {
        Negotiated outcome = co_await Negotiate(*tcp_, true);
        if (outcome == Negotiated::kStartTls) {
          bool upgraded = co_await UpgradeToTls();
          if (upgraded) co_await Serve(*tls_, false);
        } else if (outcome == Negotiated::kTransmit) {
          co_await Transmit(*tcp_);
        }
      }
    }
    End();
    co_return;
  }

  template <typename S>
  awaitable<void> Serve(S& stream, bool greeting) {
    Negotiated outcome = co_await Negotiate(stream, greeting);
    if (outcome == Negotiated::kTransmit) co_await Transmit(stream);
    co_return;
  }

  void ArmHandshakeDeadline() {
    deadline_.expires_after(kHandshakeTimeout);
    deadline_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->exported_) return;
      base::LogEvent(base::LogLevel::kWarn, "nbd_handshake_timeout", {{"peer", self->peer_}});
      self->StopOnStrand();
    });
  }

  void End() {
    deadline_.cancel();
    boost::system::error_code ignored;
    LowestSocket([&](auto& s) { s.close(ignored); });
    const std::string volume_id = export_ ? export_->volume_id() : std::string();
    if (export_) {
      export_->counters().connections_open.fetch_sub(1);
      // Let go of the export (and so of the volume) before saying so: once
      // RemoveSession returns, a detach goes on to close the volume. The
      // export stays alive meanwhile: a detach holds it until every session is gone.
      NbdExport* gone = export_.get();
      export_.reset();
      gone->RemoveSession(this);
    }
    base::LogEvent(base::LogLevel::kInfo, "nbd_connection_close",
                   {{"transport", transport_},
                    {"peer", peer_},
                    {"instance", instance_id_},
                    {"volume", volume_id},
                    {"requests", std::to_string(requests_)},
                    {"read_bytes", std::to_string(read_bytes_)},
                    {"written_bytes", std::to_string(written_bytes_)},
                    {"errors", std::to_string(errors_)},
                    {"reason", end_reason_}});
    config_.tracker->Remove(this);
  }

  // ---- buffered reads ----

  template <typename S>
  awaitable<bool> ReadExact(S& stream, uint8_t* dst, size_t n) {
    const size_t buffered = std::min(n, in_end_ - in_begin_);
    std::memcpy(dst, in_.data() + in_begin_, buffered);
    in_begin_ += buffered;
    dst += buffered;
    n -= buffered;
    if (n == 0) co_return true;
    boost::system::error_code ec;
    if (n >= in_.size() / 2) {  // large payloads go straight to their buffer
      co_await asio::async_read(stream, asio::buffer(dst, n), asio::redirect_error(use_awaitable, ec));
      co_return !ec;
    }
    in_begin_ = in_end_ = 0;
    while (in_end_ < n) {
      size_t got = co_await stream.async_read_some(asio::buffer(in_.data() + in_end_, in_.size() - in_end_),
                                                   asio::redirect_error(use_awaitable, ec));
      if (ec) co_return false;
      in_end_ += got;
    }
    std::memcpy(dst, in_.data(), n);
    in_begin_ = n;
    co_return true;
  }

  template <typename S>
  awaitable<bool> WriteAll(S& stream, const std::vector<uint8_t>& bytes) {
    boost::system::error_code ec;
    co_await asio::async_write(stream, asio::buffer(bytes), asio::redirect_error(use_awaitable, ec));
    co_return !ec;
  }

  // ---- handshake ----

  bool TlsMissing() const { return tcp_.has_value() && config_.tls != nullptr && !tls_.has_value(); }
  uint16_t TransmissionFlags() const { return kBaseTransmissionFlags | (structured_ ? tf::kSendDf : 0); }

  // The export `name` as this session may see it, or null.
  std::shared_ptr<NbdExport> Lookup(const std::string& name) const {
    if (!instance_id_.empty()) return config_.registry->Find(instance_id_, name);
    if (tcp_ && config_.tls == nullptr) {  // TLS off: every instance's exports
      for (const auto& instance : config_.registry->Instances()) {
        if (auto found = config_.registry->Find(instance, name)) return found;
      }
    }
    return nullptr;
  }

  std::vector<std::string> VisibleNames() const {
    if (!instance_id_.empty()) return config_.registry->ExportNames(instance_id_);
    std::vector<std::string> names;
    if (tcp_ && config_.tls == nullptr) {
      for (const auto& instance : config_.registry->Instances()) {
        for (auto& name : config_.registry->ExportNames(instance)) names.push_back(std::move(name));
      }
    }
    return names;
  }

  bool Bind(std::shared_ptr<NbdExport> found) {
    if (!found || !found->AddSession(this)) return false;
    export_ = std::move(found);
    exported_ = true;
    // Contexts chosen for another export do not carry over.
    if (export_->volume_id() != meta_context_export_) allocation_context_ = false;
    export_->counters().connections_total.fetch_add(1);
    export_->counters().connections_open.fetch_add(1);
    base::LogEvent(base::LogLevel::kInfo, "nbd_export_opened",
                   {{"peer", peer_}, {"instance", export_->instance_id()}, {"volume", export_->volume_id()},
                    {"structured_replies", structured_ ? "true" : "false"}});
    return true;
  }

  // What one option makes the session say and do next.
  struct OptionOutcome {
    std::vector<uint8_t> reply;  // sent before `next` happens
    enum class Next { kContinue, kTransmit, kStartTls, kClose } next = Next::kContinue;
    const char* reason = "";  // kClose: why
  };

  static void AppendReply(OptionOutcome& out, nbd::Option option, nbd::OptionReplyType type,
                          std::span<const uint8_t> data = {}) {
    auto encoded = nbd::EncodeOptionReply(option, type, data);
    if (encoded.ok()) out.reply.insert(out.reply.end(), encoded->begin(), encoded->end());
  }
  static void AppendError(OptionOutcome& out, nbd::Option option, nbd::OptionReplyType type, std::string_view message) {
    AppendReply(out, option, type,
                std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(message.data()), message.size()));
  }
  static OptionOutcome CloseWith(const char* reason) {
    OptionOutcome out;
    out.next = OptionOutcome::Next::kClose;
    out.reason = reason;
    return out;
  }

  // The handshake's logic, without I/O: one option in, the reply out.
  OptionOutcome HandleOption(nbd::Option option, const std::vector<uint8_t>& data) {
    using RT = nbd::OptionReplyType;
    using Next = OptionOutcome::Next;
    OptionOutcome out;
    if (option == nbd::Option::kAbort) {
      AppendReply(out, option, RT::kAck);
      out.next = Next::kClose;
      out.reason = "client aborted";
      return out;
    }
    if (option == nbd::Option::kExportName) {
      // No way to answer an error here: proto.md says close.
      if (TlsMissing()) return CloseWith("EXPORT_NAME before TLS");
      if (!Bind(Lookup(std::string(data.begin(), data.end())))) return CloseWith("unknown export");
      out.reply = nbd::EncodeExportNameReply(export_->volume().size(), TransmissionFlags(), no_zeroes_);
      out.next = Next::kTransmit;
      return out;
    }
    if (option == nbd::Option::kStartTls) {
      if (!data.empty()) {
        AppendError(out, option, RT::kErrInvalid, "STARTTLS takes no data");
      } else if (!tcp_ && !tls_) {
        AppendError(out, option, RT::kErrPolicy, "TLS is not used on an instance's own Unix socket");
      } else if (config_.tls == nullptr) {
        AppendError(out, option, RT::kErrPolicy, "TLS is off on this server");
      } else if (tls_) {
        AppendError(out, option, RT::kErrInvalid, "TLS is already on");
      } else if (in_end_ != in_begin_) {
        return CloseWith("data after STARTTLS");
      } else {
        AppendReply(out, option, RT::kAck);
        out.next = Next::kStartTls;
      }
      return out;
    }
    if (TlsMissing()) {
      AppendError(out, option, RT::kErrTlsRequired, "TLS is required: use NBD_OPT_STARTTLS");
      return out;
    }
    switch (option) {
      case nbd::Option::kStructuredReply:
        if (!data.empty()) {
          AppendError(out, option, RT::kErrInvalid, "STRUCTURED_REPLY takes no data");
        } else {
          structured_ = true;
          AppendReply(out, option, RT::kAck);
        }
        return out;
      case nbd::Option::kList:
        if (!data.empty()) {
          AppendError(out, option, RT::kErrInvalid, "LIST takes no data");
          return out;
        }
        for (const auto& name : VisibleNames()) AppendReply(out, option, RT::kServer, nbd::EncodeListEntry(name));
        AppendReply(out, option, RT::kAck);
        return out;
      case nbd::Option::kListMetaContext:
      case nbd::Option::kSetMetaContext:
        return HandleMetaContext(option, data);
      case nbd::Option::kInfo:
      case nbd::Option::kGo: {
        auto request = nbd::ParseInfoRequest(data);
        if (!request.ok()) {
          AppendError(out, option, RT::kErrInvalid, request.status().message());
          return out;
        }
        auto found = Lookup(request->export_name);
        if (!found) {
          AppendError(out, option, RT::kErrUnknownExport,
                      "no export named '" + request->export_name + "' for this client");
          return out;
        }
        AppendReply(out, option, RT::kInfo, nbd::EncodeInfoExport(found->volume().size(), TransmissionFlags()));
        auto sizes = nbd::EncodeInfoBlockSize(nbd::BlockSizeConstraints{1, 4096, kMaxPayload});
        if (sizes.ok()) AppendReply(out, option, RT::kInfo, *sizes);
        if (option == nbd::Option::kGo) {
          if (!Bind(std::move(found))) {
            out.reply.clear();
            AppendError(out, option, RT::kErrUnknownExport, "the export is closing");
            return out;
          }
          out.next = Next::kTransmit;
        }
        AppendReply(out, option, RT::kAck);
        return out;
      }
      default:
        AppendError(out, option, RT::kErrUnsupported, "option not supported");
        return out;
    }
  }

  // LIST answers which contexts a query matches; SET selects them for the
  // export that GO or EXPORT_NAME will name. base:allocation is the only one.
  OptionOutcome HandleMetaContext(nbd::Option option, const std::vector<uint8_t>& data) {
    using RT = nbd::OptionReplyType;
    OptionOutcome out;
    const bool set = option == nbd::Option::kSetMetaContext;
    if (set) allocation_context_ = false;  // SET replaces every earlier selection, even when it fails
    if (!structured_) {
      AppendError(out, option, RT::kErrInvalid, "metadata contexts need structured replies first");
      return out;
    }
    auto request = nbd::ParseMetaContextRequest(data);
    if (!request.ok()) {
      AppendError(out, option, RT::kErrInvalid, request.status().message());
      return out;
    }
    if (!Lookup(request->export_name)) {
      AppendError(out, option, RT::kErrUnknownExport, "no export named '" + request->export_name + "' for this client");
      return out;
    }
    // proto.md: LIST with no query lists everything; "base:" names the whole namespace.
    bool matches = !set && request->queries.empty();
    for (const auto& query : request->queries) {
      matches = matches || query == nbd::kBaseAllocation || (!set && query == "base:");
    }
    if (matches) {
      // LIST's context ids are meaningless (proto.md: SHOULD be zero).
      AppendReply(out, option, RT::kMetaContext,
                  nbd::EncodeMetaContextEntry(set ? kAllocationContextId : 0, nbd::kBaseAllocation));
    }
    if (set) {
      allocation_context_ = matches;
      meta_context_export_ = request->export_name;
    }
    AppendReply(out, option, RT::kAck);
    return out;
  }

  template <typename S>
  awaitable<Negotiated> Negotiate(S& stream, bool greeting) {
    if (greeting) {
      bool sent = co_await WriteAll(stream, nbd::EncodeServerGreeting(nbd::handshake_flags::kFixedNewstyle |
                                                                      nbd::handshake_flags::kNoZeroes));
      if (!sent) co_return Closed("client gone during handshake");
      uint8_t flags[nbd::kClientFlagsSize];
      bool got = co_await ReadExact(stream, flags, sizeof flags);
      if (!got) co_return Closed("client gone during handshake");
      auto parsed = nbd::ParseClientFlags(flags);
      if (!parsed.ok() || (*parsed & nbd::client_flags::kFixedNewstyle) == 0) {
        co_return Closed("client is not fixed-newstyle");
      }
      no_zeroes_ = (*parsed & nbd::client_flags::kNoZeroes) != 0;
    }
    for (size_t count = 0; count < kMaxOptions && !stopping_; ++count) {
      uint8_t header_bytes[nbd::kOptionHeaderSize];
      bool got = co_await ReadExact(stream, header_bytes, sizeof header_bytes);
      if (!got) co_return Closed("client gone during handshake");
      auto header = nbd::ParseOptionHeader(header_bytes);
      if (!header.ok()) co_return Closed("bad option header");
      if (header->data_length > kMaxOptionData) co_return Closed("option data too long");
      std::vector<uint8_t> data(header->data_length);
      if (!data.empty()) {
        got = co_await ReadExact(stream, data.data(), data.size());
        if (!got) co_return Closed("client gone during handshake");
      }
      OptionOutcome outcome = HandleOption(header->option, data);
      if (!outcome.reply.empty()) {
        bool sent = co_await WriteAll(stream, outcome.reply);
        if (!sent) co_return Closed("client gone during handshake");
      }
      switch (outcome.next) {
        case OptionOutcome::Next::kContinue: break;
        case OptionOutcome::Next::kTransmit: co_return Negotiated::kTransmit;
        case OptionOutcome::Next::kStartTls: co_return Negotiated::kStartTls;
        case OptionOutcome::Next::kClose: co_return Closed(outcome.reason);
      }
    }
    co_return Closed(stopping_ ? "server stopping" : "too many options");
  }

  Negotiated Closed(const char* reason) {
    end_reason_ = reason;
    return Negotiated::kClose;
  }

  awaitable<bool> UpgradeToTls() {
    tls_.emplace(std::move(*tcp_), *config_.tls);
    tcp_.reset();
    // FindPsk records the identity it accepted here (OpenSSL does not keep
    // it for TLS 1.3 sessions made through the PSK callback).
    SSL_set_ex_data(tls_->native_handle(), AcceptedIdentityIndex(), &psk_identity_);
    boost::system::error_code ec;
    co_await tls_->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      end_reason_ = "TLS handshake failed";
      base::LogEvent(base::LogLevel::kWarn, "nbd_tls_failed", {{"peer", peer_}, {"error", ec.message()}});
      co_return false;
    }
    if (psk_identity_.empty()) {
      end_reason_ = "TLS without a PSK identity";
      co_return false;
    }
    instance_id_ = psk_identity_;
    base::LogEvent(base::LogLevel::kInfo, "nbd_tls_established", {{"peer", peer_}, {"instance", instance_id_}});
    co_return true;
  }

  // ---- transmission ----

  template <typename S>
  awaitable<void> Transmit(S& stream) {
    deadline_.cancel();
    asio::co_spawn(strand_, Writer(stream, shared_from_this()), asio::detached);
    end_reason_ = "client disconnected";
    while (!stopping_) {
      uint8_t header_bytes[nbd::kRequestHeaderSize];
      bool got = co_await ReadExact(stream, header_bytes, sizeof header_bytes);
      if (!got) {
        if (!stopping_) end_reason_ = "client gone";
        break;
      }
      auto request = nbd::ParseRequestHeader(header_bytes);
      if (!request.ok()) {
        end_reason_ = "bad request header";
        break;
      }
      if (request->type == nbd::CommandType::kDisconnect) break;
      Buffer payload;
      if (request->type == nbd::CommandType::kWrite) {
        if (request->length > kMaxPayload) {
          end_reason_ = "write larger than the maximum block size";
          break;
        }
        payload.resize(request->length);
        if (!payload.empty()) {
          got = co_await ReadExact(stream, payload.data(), payload.size());
          if (!got) {
            end_reason_ = "client gone in the middle of a write";
            break;
          }
        }
      }
      ++requests_;
      while (in_flight_ >= kMaxInFlight || buffered_bytes_ >= kMaxBufferedBytes) co_await Wait(progress_);
      Dispatch(*request, std::move(payload));
    }
    if (stopping_ && end_reason_ == "client disconnected") end_reason_ = "export closed";
    while (in_flight_ > 0) co_await Wait(progress_);
    // What was written reaches the disk before the connection is gone.
    co_await asio::co_spawn(
        config_.workers->get_executor(),
        [this]() -> awaitable<void> {
          if (base::Status flushed = export_->volume().Flush(); !flushed.ok()) {
            base::LogEvent(base::LogLevel::kWarn, "nbd_flush_on_close_failed",
                           {{"volume", export_->volume_id()}, {"error", flushed.ToString()}});
          }
          co_return;
        },
        use_awaitable);
    closing_writes_ = true;
    writable_.cancel();
    while (writer_running_) co_await Wait(progress_);
  }

  template <typename S>
  awaitable<void> Writer(S& stream, std::shared_ptr<Session> /*keeps the session alive*/) {
    writer_running_ = true;
    std::vector<Reply> batch;
    std::vector<asio::const_buffer> buffers;
    for (;;) {
      if (queue_.empty()) {
        if (closing_writes_ || write_failed_) break;
        co_await Wait(writable_);
        continue;
      }
      batch.clear();
      buffers.clear();
      while (!queue_.empty() && batch.size() < 64) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
        buffers.push_back(asio::buffer(batch.back().bytes));
      }
      boost::system::error_code ec;
      co_await asio::async_write(stream, buffers, asio::redirect_error(use_awaitable, ec));
      for (const auto& reply : batch) buffered_bytes_ -= std::min(buffered_bytes_, reply.accounted);
      if (ec) {
        write_failed_ = true;
        queue_.clear();
        StopOnStrand();
        break;
      }
      progress_.cancel();
    }
    writer_running_ = false;
    progress_.cancel();
  }

  // A timer used as a condition: waits until another handler on the strand
  // cancels it. Waiters re-check their condition (all on one strand, so no
  // wake-up is lost between the check and the wait).
  awaitable<void> Wait(asio::steady_timer& timer) {
    timer.expires_at(asio::steady_timer::time_point::max());
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ignored));
  }

  bool RunsInline(const nbd::RequestHeader& r) const {
    if ((r.flags & cf::kFua) != 0) return false;
    if (r.type == nbd::CommandType::kRead || r.type == nbd::CommandType::kWrite) {
      return r.length <= config_.inline_max_bytes;
    }
    // Flushes, trims and zeroing wait on the disk or touch whole chunks, and
    // block status may query the catalog: the workers take them.
    return r.type != nbd::CommandType::kFlush && r.type != nbd::CommandType::kTrim &&
           r.type != nbd::CommandType::kWriteZeroes && r.type != nbd::CommandType::kBlockStatus;
  }


  void Dispatch(const nbd::RequestHeader& request, Buffer payload) {
    ++in_flight_;
    const size_t accounted = payload.size() + (request.type == nbd::CommandType::kRead ? request.length : 0);
    buffered_bytes_ += accounted;
    if (write_failed_) {
      Complete(Reply{{}, accounted});
      return;
    }
    if (RunsInline(request)) {
      Reply reply = Execute(request, payload);
      reply.accounted = accounted;
      Complete(std::move(reply));
      return;
    }
    asio::post(*config_.workers, [self = shared_from_this(), request, accounted, payload = std::move(payload)]() mutable {
      Reply reply = self->Execute(request, payload);
      reply.accounted = accounted;
      asio::post(self->strand_, [self, reply = std::move(reply)]() mutable { self->Complete(std::move(reply)); });
    });
  }

  void Complete(Reply reply) {
    --in_flight_;
    if (!reply.bytes.empty() && !write_failed_) {
      queue_.push_back(std::move(reply));
      writable_.cancel();
    } else {
      buffered_bytes_ -= std::min(buffered_bytes_, reply.accounted);
    }
    progress_.cancel();
  }

  // Which flags each command may carry (DF only once structured replies are on).
  uint16_t AllowedFlags(nbd::CommandType type) const {
    switch (type) {
      case nbd::CommandType::kRead:
        return structured_ ? cf::kDontFragment : 0;
      case nbd::CommandType::kWrite:
      case nbd::CommandType::kTrim:
        return cf::kFua;
      case nbd::CommandType::kWriteZeroes:
        return cf::kFua | cf::kNoHole;
      case nbd::CommandType::kBlockStatus:
        return cf::kReqOne;
      default:
        return 0;
    }
  }

  nbd::Error Validate(const nbd::RequestHeader& r, uint64_t size) const {
    if ((r.flags & ~AllowedFlags(r.type)) != 0) return nbd::Error::kInvalid;
    if (r.type == nbd::CommandType::kFlush) return nbd::Error::kNone;
    if (r.type == nbd::CommandType::kBlockStatus && !allocation_context_) return nbd::Error::kInvalid;
    if (r.length == 0) return nbd::Error::kInvalid;
    if (r.type == nbd::CommandType::kRead && r.length > kMaxPayload) return nbd::Error::kInvalid;
    const bool beyond = r.offset > size || r.length > size - r.offset;
    if (beyond) {
      const bool writes = r.type == nbd::CommandType::kWrite || r.type == nbd::CommandType::kTrim ||
                          r.type == nbd::CommandType::kWriteZeroes;
      return writes ? nbd::Error::kNoSpace : nbd::Error::kInvalid;
    }
    return nbd::Error::kNone;
  }

  base::Status WriteZeroBytes(uint64_t offset, uint64_t length) {
    static const std::vector<uint8_t> zeros(kZeroPiece, 0);
    while (length > 0) {
      const uint64_t n = std::min<uint64_t>(length, zeros.size());
      KURA_RETURN_IF_ERROR(export_->volume().Write(offset, base::ByteSpan(zeros.data(), n)));
      offset += n;
      length -= n;
    }
    return base::Status::Ok();
  }

  // The base:allocation extents of the request's range as one final chunk.
  base::Result<nbd::Bytes> BlockStatus(blocks::Volume& volume, const nbd::RequestHeader& r) {
    KURA_ASSIGN_OR_RETURN(auto extents, volume.Allocation(r.offset, r.length));
    std::vector<nbd::BlockStatusDescriptor> descriptors;
    for (const auto& extent : extents) {
      // Each extent lies within the request, whose length is 32-bit.
      descriptors.push_back({static_cast<uint32_t>(extent.length),
                             extent.hole ? nbd::state_flags::kHole | nbd::state_flags::kZero : 0u});
      if ((r.flags & cf::kReqOne) != 0 || descriptors.size() == kMaxExtentsPerReply) break;
    }
    return nbd::EncodeBlockStatusChunk(nbd::reply_flags::kDone, r.cookie, kAllocationContextId, descriptors);
  }

  // Runs one request against the volume and encodes its reply (any thread).
  Reply Execute(const nbd::RequestHeader& r, Buffer& payload) {
    blocks::Volume& volume = export_->volume();
    NbdCounters& counters = export_->counters();
    nbd::Error error = Validate(r, volume.size());
    base::Status status;
    Reply reply;
    const bool read = r.type == nbd::CommandType::kRead;
    const bool fua = (r.flags & cf::kFua) != 0;
    if (error == nbd::Error::kNone) {
      switch (r.type) {
        case nbd::CommandType::kRead: {
          const size_t header = structured_ ? nbd::kStructuredReplyHeaderSize + 8 : nbd::kSimpleReplyHeaderSize;
          reply.bytes.resize(header + r.length);
          status = volume.Read(r.offset, base::MutableByteSpan(reply.bytes.data() + header, r.length));
          if (status.ok()) {
            counters.read_ops.fetch_add(1, std::memory_order_relaxed);
            counters.read_bytes.fetch_add(r.length, std::memory_order_relaxed);
            read_bytes_ += r.length;
            std::vector<uint8_t> head;
            if (structured_) {
              head = *nbd::EncodeOffsetDataChunkHeader(nbd::reply_flags::kDone, r.cookie, r.offset, r.length);
            } else {
              head = nbd::EncodeSimpleReplyHeader(nbd::Error::kNone, r.cookie);
            }
            std::memcpy(reply.bytes.data(), head.data(), head.size());
            return reply;
          }
          break;
        }
        case nbd::CommandType::kWrite:
          status = volume.Write(r.offset, base::ByteSpan(payload.data(), payload.size()));
          if (status.ok() && fua) status = volume.Flush();
          if (status.ok()) {
            counters.write_ops.fetch_add(1, std::memory_order_relaxed);
            counters.write_bytes.fetch_add(r.length, std::memory_order_relaxed);
            written_bytes_ += r.length;
          }
          break;
        case nbd::CommandType::kFlush:
          status = volume.Flush();
          if (status.ok()) counters.flush_ops.fetch_add(1, std::memory_order_relaxed);
          break;
        case nbd::CommandType::kTrim:
          status = volume.Trim(r.offset, r.length);
          if (status.ok() && fua) status = volume.Flush();
          if (status.ok()) {
            counters.trim_ops.fetch_add(1, std::memory_order_relaxed);
            counters.trim_bytes.fetch_add(r.length, std::memory_order_relaxed);
          }
          break;
        case nbd::CommandType::kWriteZeroes:
          // NO_HOLE: the client wants the range allocated, so real (encrypted) zeros are written.
          status = (r.flags & cf::kNoHole) != 0 ? WriteZeroBytes(r.offset, r.length)
                                                : volume.WriteZeroes(r.offset, r.length);
          if (status.ok() && fua) status = volume.Flush();
          if (status.ok()) {
            counters.zero_ops.fetch_add(1, std::memory_order_relaxed);
            counters.zero_bytes.fetch_add(r.length, std::memory_order_relaxed);
          }
          break;
        case nbd::CommandType::kBlockStatus: {
          auto chunk = BlockStatus(volume, r);
          status = chunk.status();
          if (status.ok()) {
            counters.block_status_ops.fetch_add(1, std::memory_order_relaxed);
            reply.bytes.assign(chunk->begin(), chunk->end());
            return reply;
          }
          break;
        }
        case nbd::CommandType::kCache:
          // Chunks are local files already; there is nothing to bring closer.
          counters.cache_ops.fetch_add(1, std::memory_order_relaxed);
          break;
        default:
          error = nbd::Error::kInvalid;
      }
      if (!status.ok()) {
        error = ToNbdError(status);
        base::LogEvent(base::LogLevel::kWarn, "nbd_request_failed",
                       {{"volume", export_->volume_id()}, {"command", std::to_string(static_cast<int>(r.type))},
                        {"offset", std::to_string(r.offset)}, {"length", std::to_string(r.length)},
                        {"error", status.ToString()}});
      }
    }
    reply.bytes.clear();
    if (error != nbd::Error::kNone) {
      counters.errors.fetch_add(1, std::memory_order_relaxed);
      ++errors_;
    }
    if (read && structured_ && error != nbd::Error::kNone) {
      auto chunk = nbd::EncodeErrorChunk(nbd::reply_flags::kDone, r.cookie, error,
                                         status.ok() ? "invalid request" : status.message());
      if (!chunk.ok()) chunk = nbd::EncodeErrorChunk(nbd::reply_flags::kDone, r.cookie, error, "I/O error");
      PutHeader(reply.bytes, *chunk);
    } else {
      PutHeader(reply.bytes, nbd::EncodeSimpleReplyHeader(error, r.cookie));
    }
    return reply;
  }

  Strand strand_;
  const NbdSessionConfig config_;
  const std::string transport_;
  const std::string peer_;
  std::optional<UnixSocket> unix_;
  std::optional<TcpSocket> tcp_;
  std::optional<TlsStream> tls_;
  std::string psk_identity_;  // set during the TLS handshake
  std::string instance_id_;  // whose exports this session may open ("" until known)
  std::shared_ptr<NbdExport> export_;

  // Everything below is touched on the strand only (Execute on workers uses export_ and structured_, fixed by then).
  asio::steady_timer progress_;  // in_flight_ went down, the writer ended
  asio::steady_timer writable_;  // the queue has replies
  asio::steady_timer deadline_;  // the handshake's time limit
  std::vector<uint8_t> in_;
  size_t in_begin_ = 0, in_end_ = 0;
  std::deque<Reply> queue_;
  size_t in_flight_ = 0;
  size_t buffered_bytes_ = 0;
  bool structured_ = false;
  bool allocation_context_ = false;  // base:allocation selected for this export
  std::string meta_context_export_;  // the export the last SET_META_CONTEXT named
  bool no_zeroes_ = false;
  bool exported_ = false;
  bool stopping_ = false;
  bool writer_running_ = false;
  bool closing_writes_ = false;
  bool write_failed_ = false;
  std::string end_reason_ = "client gone";
  uint64_t requests_ = 0;
  std::atomic<uint64_t> read_bytes_{0}, written_bytes_{0}, errors_{0};
};

template <typename Endpoint>
std::string PeerOf(const Endpoint& endpoint) {
  std::ostringstream out;
  out << endpoint;
  return out.str();
}

}  // namespace

void NbdSessionTracker::Add(NbdSessionControl* session) {
  std::lock_guard lock(mu_);
  sessions_.insert(session);
}

void NbdSessionTracker::Remove(NbdSessionControl* session) {
  std::lock_guard lock(mu_);
  sessions_.erase(session);
  if (sessions_.empty()) gone_.notify_all();
}

size_t NbdSessionTracker::Count() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

bool NbdSessionTracker::StopAll(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  for (NbdSessionControl* session : sessions_) session->Stop();
  return gone_.wait_for(lock, timeout, [&] { return sessions_.empty(); });
}

void StartUnixSession(UnixSocket socket, std::string instance_id, const NbdSessionConfig& config) {
  auto session = std::make_shared<Session>(socket.get_executor(), config, "unix", "local");
  session->BeginUnix(std::move(socket), std::move(instance_id));
}

void StartTcpSession(TcpSocket socket, const NbdSessionConfig& config) {
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  auto session = std::make_shared<Session>(socket.get_executor(), config, "tcp", ec ? "unknown" : PeerOf(remote));
  session->BeginTcp(std::move(socket));
}

namespace {

// OpenSSL's PSK lookup (TLS 1.2 PSK suites, and TLS 1.3 external PSKs with
// SHA-256 through the same callback): the identity is an instance id.
unsigned int FindPsk(SSL* ssl, const char* identity, unsigned char* psk, unsigned int max_psk_len) {
  auto* registry = static_cast<const NbdExportRegistry*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), RegistryIndex()));
  if (registry == nullptr || identity == nullptr) return 0;
  auto key = registry->PskOf(identity);
  if (!key || key->size() > max_psk_len) return 0;
  std::memcpy(psk, key->data(), key->size());
  if (auto* accepted = static_cast<std::string*>(SSL_get_ex_data(ssl, AcceptedIdentityIndex()))) *accepted = identity;
  return static_cast<unsigned int>(key->size());
}

}  // namespace

base::Result<std::unique_ptr<asio::ssl::context>> MakeNbdTlsContext(const NbdExportRegistry* registry) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  // PSK only, with forward secrecy where the client offers it (GnuTLS clients
  // such as libnbd and qemu offer ECDHE-PSK and DHE-PSK).
  if (SSL_CTX_set_cipher_list(ctx, "ECDHE-PSK-AES256-CBC-SHA384:ECDHE-PSK-AES128-CBC-SHA256:"
                                   "DHE-PSK-AES256-GCM-SHA384:DHE-PSK-AES128-GCM-SHA256:"
                                   "PSK-AES256-GCM-SHA384:PSK-AES128-GCM-SHA256") != 1 ||
      SSL_CTX_set_ciphersuites(ctx, "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256") != 1) {
    return base::InternalError("NBD TLS: cipher configuration refused: " + crypto::OpenSslErrors());
  }
  SSL_CTX_set_ex_data(ctx, RegistryIndex(), const_cast<NbdExportRegistry*>(registry));
  SSL_CTX_set_psk_server_callback(ctx, FindPsk);
  SSL_CTX_use_psk_identity_hint(ctx, "kura");
  return context;
}

}  // namespace kura::net
