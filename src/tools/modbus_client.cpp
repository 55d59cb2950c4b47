// The Modbus master: libmodbus for Modbus TCP and RTU on serial lines, our own RTU framing
// for RTU over TCP (tools/rtu_tcp_client.hpp), and the messages both share.
#include "tools/modbus_client.hpp"

#include <fmt/format.h>
#include <modbus/modbus.h>
#include <termios.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>
#include <utility>

#include "core/codec/line_timing.hpp"
#include "tools/modbus_client_detail.hpp"
#include "tools/rtu_tcp_client.hpp"

namespace ambi {

namespace modbus_client_detail {
namespace {

ModbusClientError make_error(ModbusClientError::Kind kind, std::string message) {
  return ModbusClientError{kind, 0, std::move(message)};
}

}  // namespace

Request write_request(std::uint16_t start, std::span<const std::uint16_t> words,
                      std::span<const std::uint8_t> values) {
  if (words.size() == 1) return WriteSingleRegisterRequest{start, words[0]};
  return WriteMultipleRegistersRequest{start, RegisterWords{values}};
}

std::string describe(const RequestInfo& request) {
  return fmt::format("a {} of 0x{:04X}+{}", request.write ? "write" : "read", request.start,
                     request.count);
}

std::string host_port(const MeterUri& uri) {
  const bool bracketed = uri.host.starts_with('[') && uri.host.ends_with(']');
  if (!bracketed && uri.host.find(':') != std::string::npos) {
    return fmt::format("[{}]:{}", uri.host, uri.port);
  }
  return fmt::format("{}:{}", uri.host, uri.port);
}

std::string link_name(const MeterUri& uri) {
  switch (uri.scheme) {
    case UriScheme::modbus_tcp:
      return "tcp://" + host_port(uri);
    case UriScheme::rtu_over_tcp:
      return "rtu+tcp://" + host_port(uri);
    case UriScheme::mbus_tcp:
      return "mbus+tcp://" + host_port(uri);
    case UriScheme::modbus_serial:
      return "serial://" + uri.device;
    case UriScheme::mbus_serial:
      return "mbus+serial://" + uri.device;
  }
  return uri.text;
}

ModbusClientError timeout_error(const RequestInfo& request, std::string_view link,
                                std::chrono::milliseconds timeout) {
  return make_error(ModbusClientError::Kind::timeout,
                    fmt::format("no answer from unit {} at {} within {} ms", request.unit, link,
                                timeout.count()));
}

ModbusClientError exception_error(const RequestInfo& request, ExceptionCode code) {
  const std::string_view meaning = to_string(code);
  const auto byte = static_cast<std::uint8_t>(code);
  ModbusClientError error =
      make_error(ModbusClientError::Kind::exception,
                 meaning.empty() ? fmt::format("unit {} answered exception {:02X} to {}",
                                               request.unit, byte, describe(request))
                                 : fmt::format("unit {} answered exception {:02X} ({}) to {}",
                                               request.unit, byte, meaning, describe(request)));
  error.exception_code = byte;
  return error;
}

ModbusClientError bad_reply_error(const RequestInfo& request, std::string_view link,
                                  std::string_view what) {
  return make_error(ModbusClientError::Kind::bad_reply,
                    fmt::format("bad reply from unit {} at {} to {}: {}", request.unit, link,
                                describe(request), what));
}

ModbusClientError io_error(std::string_view link, std::string_view what) {
  return make_error(ModbusClientError::Kind::io,
                    fmt::format("the link to {} failed: {}", link, what));
}

ModbusClientError connect_error(std::string message) {
  return make_error(ModbusClientError::Kind::connect, std::move(message));
}

std::optional<ModbusClientError> check_count(const RequestInfo& request) {
  const std::uint16_t most = request.write ? kMaxWriteRegisters : kMaxReadRegisters;
  if (request.count >= 1 && request.count <= most) return std::nullopt;
  return make_error(ModbusClientError::Kind::io,
                    fmt::format("a {} takes 1 to {} registers, not {}",
                                request.write ? "write" : "read", most, request.count));
}

std::string tries_note(int tries) {
  return fmt::format(" ({} tries)", tries);
}

}  // namespace modbus_client_detail

using namespace modbus_client_detail;

namespace {

struct ContextDeleter {
  void operator()(modbus_t* ctx) const {
    modbus_close(ctx);
    modbus_free(ctx);
  }
};
using Context = std::unique_ptr<modbus_t, ContextDeleter>;

/// libmodbus's own protocol errors, named for a bad reply.
struct ProtocolError {
  int error;
  std::string_view what;
};
constexpr std::array<ProtocolError, 6> kProtocolErrors{{
    {EMBBADCRC, "bad CRC"},
    {EMBBADDATA, "not the data asked for"},
    {EMBBADEXC, "invalid exception code"},
    {EMBUNKEXC, "unknown exception code"},
    {EMBMDATA, "more data than a reply carries"},
    {EMBBADSLAVE, "answer from another unit"},
}};

/// libmodbus's waits between the bytes of one reply: at most this long.
constexpr std::chrono::milliseconds kMaxByteTimeout{500};

/// A write as messages name it; a count beyond 0xFFFF shows as 65535.
RequestInfo write_info(std::uint8_t unit, std::uint16_t start,
                       std::span<const std::uint16_t> words) {
  return {unit, true, start,
          static_cast<std::uint16_t>(std::min<std::size_t>(words.size(), 0xFFFF))};
}

char parity_letter(Parity parity) {
  static constexpr std::array<char, 3> kLetters{'E', 'N', 'O'};
  return kLetters[static_cast<std::size_t>(parity) - 1];
}

void apply_timeout(modbus_t* ctx, std::chrono::milliseconds timeout) {
  const auto set = [ctx](std::chrono::milliseconds t, auto setter) {
    const auto ms = std::max<std::int64_t>(t.count(), 1);
    setter(ctx, static_cast<std::uint32_t>(ms / 1000),
           static_cast<std::uint32_t>(ms % 1000 * 1000));
  };
  set(timeout, modbus_set_response_timeout);
  set(std::min(timeout, kMaxByteTimeout), modbus_set_byte_timeout);
}

std::string connect_message(const MeterUri& uri, int error, std::chrono::milliseconds timeout) {
  if (uri.scheme == UriScheme::modbus_serial) {
    return fmt::format("cannot open {}: {}", uri.device, std::strerror(error));
  }
  const std::string reason = error == ETIMEDOUT
                                 ? fmt::format("no answer within {} ms", timeout.count())
                                 : std::strerror(error);
  return fmt::format("cannot connect to {}: {} (is the meter or gateway listening there?)",
                     host_port(uri), reason);
}

/// A serial line that silently dropped the parity asked for (a pseudo-terminal does).
std::optional<std::string> parity_refusal(const MeterUri& uri, int fd) {
  termios tio{};
  if (uri.parity == Parity::none || ::tcgetattr(fd, &tio) != 0 || (tio.c_cflag & PARENB) != 0) {
    return std::nullopt;
  }
  return fmt::format(
      "{} does not take {} parity (a pseudo-terminal cannot carry parity bits): add ?parity=none",
      uri.device, to_string(uri.parity));
}

class LibmodbusClient final : public ModbusClient {
 public:
  LibmodbusClient(Context ctx, const MeterUri& uri, std::chrono::milliseconds timeout)
      : ctx_(std::move(ctx)),
        uri_(uri),
        link_(link_name(uri)),
        timeout_(timeout),
        retries_(effective_retries(uri)) {}

  void set_timeout(std::chrono::milliseconds timeout) override {
    timeout_ = timeout;
    apply_timeout(ctx_.get(), timeout);
  }

 private:
  Tried<std::vector<std::uint16_t>> transact_read(std::uint8_t unit, std::uint16_t start,
                                                  std::uint16_t count) override {
    const RequestInfo request{unit, false, start, count};
    return with_retries<std::vector<std::uint16_t>>(
        retries_, [&]() -> ModbusResult<std::vector<std::uint16_t>> {
          if (auto ready = prepare(unit); !ready) return std::unexpected(ready.error());
          std::vector<std::uint16_t> words(count);
          if (modbus_read_registers(ctx_.get(), start, count, words.data()) < 0) {
            return unanswered<std::vector<std::uint16_t>>(errno, request);
          }
          return words;
        });
  }

  Tried<void> transact_write(std::uint8_t unit, std::uint16_t start,
                             std::span<const std::uint16_t> words) override {
    const RequestInfo request{unit, true, start, static_cast<std::uint16_t>(words.size())};
    if (unit == 0 && uri_.scheme == UriScheme::modbus_serial) return {broadcast(request, words)};
    return with_retries<void>(retries_, [&]() -> ModbusResult<void> {
      if (auto ready = prepare(unit); !ready) return std::unexpected(ready.error());
      const int rc = words.size() == 1
                         ? modbus_write_register(ctx_.get(), start, words[0])
                         : modbus_write_registers(ctx_.get(), start, request.count, words.data());
      if (rc < 0) return unanswered<void>(errno, request);
      return ModbusAnswer<void>{};
    });
  }

  /// Reconnects after a broken link, drops stale bytes and addresses `unit`.
  std::expected<void, ModbusClientError> prepare(std::uint8_t unit) {
    if (broken_) {
      modbus_close(ctx_.get());
      if (modbus_connect(ctx_.get()) != 0)
        return std::unexpected(connect_error(connect_message(uri_, errno, timeout_)));
      broken_ = false;
    }
    modbus_flush(ctx_.get());
    if (modbus_set_slave(ctx_.get(), unit) != 0) {
      return std::unexpected(
          io_error(link_, fmt::format("unit {} cannot be addressed on this link", unit)));
    }
    return {};
  }

  /// What libmodbus's `error` (an errno or one of its own codes) means: an exception the
  /// meter answered, or a failure.
  template <class T>
  ModbusResult<T> unanswered(int error, const RequestInfo& request) {
    if (error >= EMBXILFUN && error <= EMBXGTAR) {
      return ModbusAnswer<T>{std::unexpect, static_cast<ExceptionCode>(error - MODBUS_ENOBASE)};
    }
    return std::unexpected(failure(error, request));
  }

  /// The failure libmodbus's `error` (not an exception) stands for.
  ModbusClientError failure(int error, const RequestInfo& request) {
    if (error == ETIMEDOUT) return timeout_error(request, link_, timeout_);
    const auto* known = std::ranges::find(kProtocolErrors, error, &ProtocolError::error);
    if (known != kProtocolErrors.end()) return bad_reply_error(request, link_, known->what);
    broken_ = true;
    return io_error(link_, modbus_strerror(error));
  }

  /// Unit 0 on a serial line (V1.02 2.2): sent, no answer awaited; then the line stays
  /// silent for 3.5 characters so that the next request is a separate frame.
  ModbusResult<void> broadcast(const RequestInfo& request, std::span<const std::uint16_t> words) {
    if (auto ready = prepare(0); !ready) return std::unexpected(ready.error());
    const std::vector<std::uint8_t> values = register_bytes(words);
    std::vector<std::uint8_t> raw{0};  // | unit 0 | PDU |: libmodbus adds the CRC
    encode_request(write_request(request.start, words, values), raw);
    if (modbus_send_raw_request(ctx_.get(), raw.data(), static_cast<int>(raw.size())) < 0) {
      return unanswered<void>(errno, request);
    }
    ::tcdrain(modbus_get_socket(ctx_.get()));
    std::this_thread::sleep_for(line_timing::rtu_t35(uri_.baud));
    return ModbusAnswer<void>{};
  }

  Context ctx_;
  MeterUri uri_;
  std::string link_;
  std::chrono::milliseconds timeout_;
  int retries_;
  bool broken_ = false;
};

std::expected<std::unique_ptr<ModbusClient>, std::string> open_libmodbus(const MeterUri& uri) {
  modbus_t* raw = uri.scheme == UriScheme::modbus_tcp
                      ? modbus_new_tcp_pi(uri.host.c_str(), std::to_string(uri.port).c_str())
                      : modbus_new_rtu(uri.device.c_str(), static_cast<int>(uri.baud),
                                       parity_letter(uri.parity), 8, 1);
  if (raw == nullptr)
    return std::unexpected(fmt::format("cannot use {}: {}", link_name(uri), std::strerror(errno)));
  Context ctx{raw};
  const std::chrono::milliseconds timeout = effective_timeout(uri);
  apply_timeout(raw, timeout);
  if (modbus_connect(raw) != 0) return std::unexpected(connect_message(uri, errno, timeout));
  if (uri.scheme == UriScheme::modbus_serial) {
    if (auto refusal = parity_refusal(uri, modbus_get_socket(raw)))
      return std::unexpected(*refusal);
  }
  return std::make_unique<LibmodbusClient>(std::move(ctx), uri, timeout);
}

}  // namespace

std::string exception_meaning(std::uint8_t code) {
  const std::string_view meaning = to_string(static_cast<ExceptionCode>(code));
  return meaning.empty() ? fmt::format("exception 0x{:02X}", code) : std::string{meaning};
}

ModbusResult<std::vector<std::uint16_t>> ModbusClient::read_registers(std::uint8_t unit,
                                                                      std::uint16_t start,
                                                                      std::uint16_t count) {
  if (auto bad = check_count({unit, false, start, count})) return std::unexpected(*bad);
  return transact_read(unit, start, count).result;
}

ModbusResult<void> ModbusClient::write_registers(std::uint8_t unit, std::uint16_t start,
                                                 std::span<const std::uint16_t> words) {
  if (auto bad = check_count(write_info(unit, start, words))) return std::unexpected(*bad);
  return transact_write(unit, start, words).result;
}

std::expected<std::vector<std::uint16_t>, ModbusClientError> ModbusClient::read(
    std::uint8_t unit, std::uint16_t start, std::uint16_t count) {
  const RequestInfo request{unit, false, start, count};
  if (auto bad = check_count(request)) return std::unexpected(*bad);
  return folded(transact_read(unit, start, count), request);
}

std::expected<void, ModbusClientError> ModbusClient::write(std::uint8_t unit, std::uint16_t start,
                                                           std::span<const std::uint16_t> words) {
  const RequestInfo request = write_info(unit, start, words);
  if (auto bad = check_count(request)) return std::unexpected(*bad);
  return folded(transact_write(unit, start, words), request);
}

std::expected<std::unique_ptr<ModbusClient>, std::string> open_modbus(const MeterUri& uri) {
  if (uri.is_mbus()) {
    return std::unexpected(fmt::format(
        "{} is an M-bus URI; Modbus takes tcp://, rtu+tcp:// or serial://", link_name(uri)));
  }
  if (uri.scheme == UriScheme::rtu_over_tcp) return open_rtu_over_tcp(uri);
  return open_libmodbus(uri);
}

}  // namespace ambi
