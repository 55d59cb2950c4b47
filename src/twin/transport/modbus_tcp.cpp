#include "twin/transport/modbus_tcp.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <utility>

#include "core/modbus/modbus_server.hpp"
#include "twin/transport/audit_feed.hpp"
#include "twin/transport/modbus_gateway.hpp"

namespace ambi {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

/// Replies waiting beyond this stop the reading until the client takes them.
constexpr std::size_t kMaxQueuedReply = std::size_t{64} * 1024;

/// One Modbus TCP client: every read serves all the complete requests it brought, in order,
/// and their replies leave in one send, written at once when the socket takes them; reading
/// goes on while a reply waits for the socket. A header that cannot be Modbus ends the
/// connection after the replies already due.
class MbapSession : public Connection, public std::enable_shared_from_this<MbapSession> {
 public:
  MbapSession(tcp::socket socket, ModbusContext& context, TraceSource source,
              std::chrono::milliseconds idle)
      : socket_(std::move(socket)),
        context_(context),
        source_(std::move(source)),
        idle_timer_(socket_.get_executor()),
        idle_(idle),
        release_(socket_.get_executor()) {}

  void start() {
    error_code ignored;
    (void)socket_.non_blocking(true, ignored);
    // Behind a gateway each request goes to the gateway's audit, and to the audit of the
    // meter it reaches (audit_meter).
    if (context_.gateway == nullptr) {
      audit_ = audit_client(context_.twin, AuditTransport::tcp, source_.peer);
    } else if (context_.endpoint_audit != nullptr) {
      audit_ = &context_.endpoint_audit->client(AuditTransport::tcp, source_.peer);
    }
    watch_idle(idle_timer_, idle_, shared_from_this());
    read();
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    (void)socket_.shutdown(tcp::socket::shutdown_both, ignored);
    (void)socket_.close(ignored);
    idle_timer_.cancel();
    release_.cancel();
  }

  [[nodiscard]] bool busy() const override { return writing_ || !held_.empty(); }

 private:
  void read() {
    reading_ = true;
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](error_code ec, std::size_t n) {
                              self->reading_ = false;
                              self->on_read(ec, n);
                            });
  }

  void on_read(error_code ec, std::size_t n) {
    if (closed_) return;
    if (ec == asio::error::eof) {
      ending_ = true;
      return flush();
    }
    if (ec) return close();
    touch();
    const auto bytes = std::span<const std::uint8_t>(buffer_).first(n);
    framer_.push(bytes);
    serve_all(bytes);
    if (resetting_) return reset();
    flush();
    // Reading again after the other ready connections are served gives this client time to
    // send its next requests: asio's first (speculative) read then finds them.
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->resume(); });
  }

  /// Reads again unless the connection is ending or too many replies wait.
  void resume() {
    if (!reading_ && !closed_ && !ending_ && out_.size() < kMaxQueuedReply) read();
  }

  void serve_all(std::span<const std::uint8_t> bytes) {
    bool begun = false;
    for (MbapViewEvent event = framer_.next(); !std::holds_alternative<MbapNeedMore>(event);
         event = framer_.next()) {
      if (const auto* error = std::get_if<MbapError>(&event)) {
        trace_error(bytes, *error);
        ending_ = true;
        return;
      }
      if (!begun && context_.gateway == nullptr) context_.twin.begin_modbus();
      begun = true;
      serve(std::get<MbapView>(event));
    }
  }

  /// A connection fault that acted (docs/faults.md): a reset (RST) at once, a close (FIN)
  /// once the replies due have left and the connection has served its count, a stall from
  /// now on.
  void connection_fault(const FaultedReply& faulted) {
    switch (faulted.connection) {
      case ConnectionFault::none:
        return;
      case ConnectionFault::reset:
        resetting_ = true;
        return;
      case ConnectionFault::stall:
        stalled_ = true;
        return;
      case ConnectionFault::close:
        if (served_ >= faulted.close_after_requests) ending_ = true;
        return;
    }
  }

  /// Closes with RST: SO_LINGER 0, then close.
  void reset() {
    error_code ignored;
    (void)socket_.set_option(asio::socket_base::linger(true, 0), ignored);
    closed_ = true;
    (void)socket_.close(ignored);
    idle_timer_.cancel();
    release_.cancel();
  }

  /// Serves one request, its reply going straight to the end of `out_`, or, behind a
  /// gateway in front of a bus, held until the bus would have carried it.
  void serve(const MbapView& request) {
    ++served_;
    if (stalled_) return;  // a stalled connection hears and says nothing any more
    MbapExchange exchange;
    if (context_.gateway != nullptr) {
      exchange = context_.gateway->serve_into(request, context_.quirks, out_);
    } else {
      context_.twin.serve_modbus(ModbusFraming::tcp, [&](Meter& m) {
        exchange = serve_mbap_into(m, request, context_.quirks, out_);
      });
    }
    // With neither trace nor audit a request costs a check of two pointers here.
    const AuditTarget target = context_.trace != nullptr || audit_ != nullptr
                                   ? audit_target(request.unit)
                                   : AuditTarget::meter;
    if (context_.trace != nullptr) trace(request, exchange, target);
    if (context_.gateway != nullptr && audit_ != nullptr) {
      audit_gateway(request, exchange, target);
    } else if (audit_ != nullptr) {
      audit_->modbus({audit_time(context_.twin), request.adu, request.unit, &exchange.request,
                      audit_reply(exchange.response, exchange.reply_size), 0});
    }
    std::optional<TimePoint> due;
    if (context_.gateway != nullptr) {
      due = context_.gateway->due();
      trace_faults(context_.gateway->fault_causes(), exchange);
    } else if (context_.twin.has_link_faults() && exchange.reply_size > 0) {
      due = apply_faults(exchange,
                         context_.twin.fault_reply(reply_of(exchange), ReplyFraming::mbap, true));
    }
    if (endpoint_faulted() && exchange.reply_size > 0 && out_.size() > exchange.reply_at) {
      const auto later =
          apply_faults(exchange, apply_link_faults(*context_.endpoint_faults, now_ms(),
                                                   reply_of(exchange), ReplyFraming::mbap, true));
      if (later) due = std::max(due.value_or(TimePoint{}), *later);
    }
    if (due || !held_.empty()) hold(exchange, due);
  }

  /// Who a request to `unit` reaches: behind a gateway the gateway itself on 255, nobody on a
  /// unit no meter has now; otherwise the meter.
  AuditTarget audit_target(std::uint8_t unit) {
    if (context_.gateway == nullptr) return AuditTarget::meter;
    switch (gateway_route(unit)) {
      case GatewayRoute::gateway:
        return AuditTarget::gateway;
      case GatewayRoute::nobody:
        return AuditTarget::no_meter;
      case GatewayRoute::broadcast:
        return AuditTarget::meter;
      case GatewayRoute::meter:
        break;
    }
    return context_.gateway->meter_at(unit) == nullptr ? AuditTarget::no_meter : AuditTarget::meter;
  }

  /// Behind a gateway with the audit on: the request in the gateway's audit, and in the audit
  /// of the meter it reached.
  void audit_gateway(const MbapView& request, const MbapExchange& exchange, AuditTarget target) {
    AuditClient* meter = target == AuditTarget::meter ? audit_meter(request.unit) : nullptr;
    const ModbusSeen seen{audit_time(context_.twin),
                          request.adu,
                          request.unit,
                          &exchange.request,
                          audit_reply(exchange.response, exchange.reply_size),
                          0,
                          target};
    if (meter != nullptr) meter->modbus(seen);
    audit_->modbus(seen);
  }

  /// Behind a gateway: this client in the audit of the meter at `unit` now (none for a
  /// broadcast, an empty unit, or with the audit off), found once per meter.
  AuditClient* audit_meter(std::uint8_t unit) {
    if (unit == 0 || unit > kMaxMeterUnit) return nullptr;
    Twin* twin = context_.gateway->meter_at(unit);
    if (twin == nullptr) return nullptr;
    if (!unit_audit_) unit_audit_ = std::make_unique<std::array<UnitAudit, kMaxMeterUnit + 1>>();
    UnitAudit& cached = unit_audit_->at(unit);
    if (cached.twin != twin) {
      cached = {twin, audit_client(*twin, AuditTransport::tcp, source_.peer)};
    }
    return cached.client;
  }

  [[nodiscard]] bool endpoint_faulted() const {
    return context_.endpoint_faults != nullptr && any_live(*context_.endpoint_faults);
  }
  /// The simulated time now, for an endpoint's faults (the fleet's clock, through its first
  /// meter).
  [[nodiscard]] std::int64_t now_ms() {
    context_.twin.sync();
    return context_.twin.meter().now_ms();
  }
  [[nodiscard]] std::span<const std::uint8_t> reply_of(const MbapExchange& exchange) const {
    return std::span<const std::uint8_t>(out_).subspan(exchange.reply_at);
  }

  using TimePoint = std::chrono::steady_clock::time_point;

  /// What the meter's or the endpoint's faults made of the reply just served (docs/
  /// faults.md): the reply in `out_` replaced by it (or removed); returns when a delayed one
  /// may leave.
  std::optional<TimePoint> apply_faults(const MbapExchange& exchange, const FaultedReply& faulted) {
    if (!faulted.changed()) return std::nullopt;
    connection_fault(faulted);
    out_.resize(exchange.reply_at);
    if (!faulted.dropped) out_.insert(out_.end(), faulted.bytes.begin(), faulted.bytes.end());
    trace_faults(faulted.causes, exchange);
    if (faulted.delay_ms <= 0) return std::nullopt;
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(faulted.delay_ms);
  }

  void trace_faults(const std::vector<std::string>& causes, const MbapExchange& exchange) {
    if (context_.trace == nullptr || causes.empty()) return;
    const auto sent =
        std::span<const std::uint8_t>(out_).subspan(std::min(exchange.reply_at, out_.size()));
    for (const std::string& cause : causes)
      context_.trace->error(source_, sim_ms(), TraceDirection::out, sent, cause);
  }

  /// Moves the reply just served from `out_` to the replies held for the bus's time or a
  /// delay fault; a reply due at once still waits for the held ones before it (one
  /// connection's replies leave in order).
  void hold(const MbapExchange& exchange, std::optional<TimePoint> own) {
    if (out_.size() <= exchange.reply_at) return;
    TimePoint due = own.value_or(TimePoint{});
    if (!held_.empty()) due = std::max(due, held_.back().due);
    const auto first = out_.begin() + static_cast<std::ptrdiff_t>(exchange.reply_at);
    held_.push_back({due, std::vector<std::uint8_t>(first, out_.end())});
    out_.erase(first, out_.end());
    if (held_.size() == 1) arm_release();
  }

  void arm_release() {
    release_.expires_at(held_.front().due);
    release_.async_wait([self = shared_from_this()](error_code ec) {
      if (ec || self->closed_) return;
      self->release();
    });
  }

  /// The replies whose time has come go out; the timer waits for the next.
  void release() {
    const auto now = std::chrono::steady_clock::now();
    while (!held_.empty() && held_.front().due <= now) {
      out_.insert(out_.end(), held_.front().bytes.begin(), held_.front().bytes.end());
      held_.pop_front();
    }
    flush();
    if (!held_.empty()) arm_release();
  }

  /// The request as received and parsed, and the reply as sent, if any.
  void trace(const MbapView& request, const MbapExchange& exchange, AuditTarget target) {
    const Json header{{"transaction", request.transaction}, {"unit", request.unit}};
    Json in = header;
    in.update(request_json(exchange.request));
    if (exchange.no_supply) in["no_supply"] = true;
    if (target != AuditTarget::meter) in["target"] = to_string(target);
    context_.trace->frame(source_, sim_ms(), TraceDirection::in, request.adu, std::move(in));
    if (exchange.reply_size == 0 || !exchange.response) return;
    Json out = header;
    out.update(response_json(*exchange.response));
    context_.trace->frame(
        source_, sim_ms(), TraceDirection::out,
        std::span<const std::uint8_t>(out_).subspan(exchange.reply_at, exchange.reply_size),
        std::move(out));
  }

  void trace_error(std::span<const std::uint8_t> bytes, const MbapError& error) {
    if (context_.trace == nullptr) return;
    context_.trace->error(
        source_, sim_ms(), TraceDirection::in, bytes,
        fmt::format("{} ({}): connection closed", to_string(error.reason), error.value));
  }

  /// Sends the queued replies: at once as far as the socket takes them, the rest when it
  /// can. Closes an ending connection once everything due has left.
  void flush() {
    if (writing_ || closed_) return;
    if (!out_.empty()) {
      error_code ec;
      const std::size_t sent = socket_.write_some(asio::buffer(out_), ec);
      if (ec && ec != asio::error::would_block && ec != asio::error::try_again) return close();
      out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(sent));
    }
    if (out_.empty()) {
      if (ending_ && held_.empty()) close();
      return;
    }
    writing_ = true;
    sending_.swap(out_);
    out_.clear();
    asio::async_write(socket_, asio::buffer(sending_),
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->sending_.clear();
                        if (ec) return self->close();
                        self->flush();
                        self->resume();
                      });
  }

  [[nodiscard]] std::int64_t sim_ms() const { return context_.twin.meter().now_ms(); }

  tcp::socket socket_;
  ModbusContext& context_;
  TraceSource source_;
  asio::steady_timer idle_timer_;
  std::chrono::milliseconds idle_;
  MbapFramer framer_;
  std::array<std::uint8_t, 8192> buffer_{};
  std::vector<std::uint8_t> out_;      ///< replies not yet handed to the socket
  std::vector<std::uint8_t> sending_;  ///< replies the pending async write is sending
  struct Held {
    std::chrono::steady_clock::time_point due;
    std::vector<std::uint8_t> bytes;
  };
  std::deque<Held> held_;       ///< replies waiting for the bus behind the gateway
  asio::steady_timer release_;  ///< the next held reply's time
  std::uint64_t served_ = 0;    ///< requests on this connection
  /// This client in the meter's poll audit (behind a gateway: the gateway's); null when off.
  AuditClient* audit_ = nullptr;
  struct UnitAudit {
    Twin* twin = nullptr;
    AuditClient* client = nullptr;
  };
  /// Behind a gateway: per unit, the meter last found there and this client in its audit.
  std::unique_ptr<std::array<UnitAudit, kMaxMeterUnit + 1>> unit_audit_;
  bool stalled_ = false;    ///< a stall fault: nothing is answered any more
  bool resetting_ = false;  ///< a reset fault: RST once this read is served
  bool reading_ = false;
  bool writing_ = false;
  bool ending_ = false;  ///< a bad header or the client's end arrived: close once flushed
};

std::string_view transport_name(TcpFraming framing) {
  return framing == TcpFraming::mbap ? "tcp" : "rtu-over-tcp";
}

/// Whether a refuse fault of the meter (its own port) or of the endpoint turns away a
/// connection accepted now.
bool refused(ModbusContext& context) {
  if (context.endpoint_faults != nullptr && any_live(*context.endpoint_faults)) {
    context.twin.sync();
    if (refuses_connection(*context.endpoint_faults, context.twin.meter().now_ms())) return true;
  }
  return context.gateway == nullptr && context.bus == nullptr && context.twin.refuses_connection();
}

std::shared_ptr<Connection> start_session(tcp::socket socket, const tcp::endpoint& peer,
                                          TcpFraming framing, ModbusContext& context,
                                          std::chrono::milliseconds idle_timeout) {
  if (refused(context)) {
    // A refuse fault (docs/faults.md): reset as soon as accepted.
    error_code ignored;
    (void)socket.set_option(asio::socket_base::linger(true, 0), ignored);
    if (context.trace != nullptr) {
      context.trace->error({std::string(transport_name(framing)), endpoint_string(peer)},
                           context.twin.meter().now_ms(), TraceDirection::in, {},
                           "connection refused by a refuse fault");
    }
    (void)socket.close(ignored);
  }
  TraceSource source{std::string(transport_name(framing)), endpoint_string(peer)};
  if (framing == TcpFraming::mbap) {
    auto session =
        std::make_shared<MbapSession>(std::move(socket), context, std::move(source), idle_timeout);
    session->start();
    return session;
  }
  RtuLinkOptions options;
  options.idle_timeout = idle_timeout;
  // A bus behind a serial-to-Ethernet converter is the same wire as on a serial port.
  options.pacing = options.half_duplex = context.bus != nullptr;
  auto session = std::make_shared<RtuSession<tcp::socket>>(std::move(socket), context,
                                                           std::move(source), std::move(options));
  session->start();
  return session;
}

}  // namespace

std::expected<std::unique_ptr<ModbusTcpServer>, std::string> ModbusTcpServer::listen(
    asio::io_context& io, const tcp::endpoint& endpoint, TcpFraming framing, ModbusContext& context,
    TcpServerLimits limits, std::string_view flag) {
  auto server =
      TcpServer::listen(io, endpoint, choose_another_or_off(flag),
                        TcpAdmission{limits.max_connections, WhenFull::close_idle_longest, {}},
                        [framing, &context, idle = limits.idle_timeout](tcp::socket socket,
                                                                        const tcp::endpoint& peer) {
                          return start_session(std::move(socket), peer, framing, context, idle);
                        });
  if (!server) return std::unexpected(server.error());
  return std::unique_ptr<ModbusTcpServer>(new ModbusTcpServer(std::move(*server)));
}

ModbusTcpServer::ModbusTcpServer(std::unique_ptr<TcpServer> server) : server_(std::move(server)) {}

ModbusTcpServer::~ModbusTcpServer() = default;

tcp::endpoint ModbusTcpServer::local_endpoint() const {
  return server_->local_endpoint();
}

}  // namespace ambi
