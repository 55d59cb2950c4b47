// The Modbus checks of the poll audit (docs/audit.md), decided against the register map of
// manual A3.2 (core/modbus/modbus_map.hpp) and the rulings of PRODUCT.md (R4-R8).
#include <fmt/format.h>

#include <type_traits>
#include <variant>
#include <vector>

#include "audit/audit_note.hpp"
#include "core/codec/line_timing.hpp"
#include "core/modbus/modbus_gateway.hpp"
#include "core/modbus/modbus_map.hpp"

namespace ambi {
namespace {

/// The Modbus broadcast address (serial line V1.02 2.2).
constexpr std::uint8_t kBroadcastUnit = 0;

/// "FC 03 at 0x5003 count 2".
std::string describe(std::uint8_t function, std::uint16_t address, std::uint16_t count) {
  return fmt::format("FC {:02} at 0x{:04X} count {}", function, address, count);
}

/// The first address of [address, address + count) that no register covers.
std::optional<std::uint32_t> first_unmapped(std::uint16_t address, std::uint16_t count) {
  const std::uint32_t end = std::uint32_t{address} + count;
  for (std::uint32_t a = address; a < end;) {
    const RegisterDef* def = find_register(static_cast<std::uint16_t>(a));
    if (def == nullptr) return a;
    a = def->end();
  }
  return std::nullopt;
}

/// A hint when one address further would have been right: the mark of 1-based addressing.
std::string off_by_one_hint(std::uint32_t unmapped) {
  if (unmapped >= 0xFFFF) return {};
  const RegisterDef* next = find_register(static_cast<std::uint16_t>(unmapped + 1));
  if (next == nullptr || next->address != unmapped + 1) return {};
  return fmt::format("; 0x{:04X} ({}) starts right after it: off by one, 1-based addresses?",
                     next->address, next->name);
}

/// FNV-1a over the unit and the PDU: the same request sent again hashes the same.
std::uint64_t signature(std::uint8_t unit, std::span<const std::uint8_t> pdu) {
  constexpr std::uint64_t kPrime = 0x100000001B3;
  std::uint64_t h = 0xCBF29CE484222325;
  h = (h ^ unit) * kPrime;
  for (const std::uint8_t b : pdu) h = (h ^ b) * kPrime;
  return h;
}

/// The PDU of the ADU the client sent: after the MBAP header, or between the unit and CRC.
std::span<const std::uint8_t> pdu_of(AuditTransport transport, std::span<const std::uint8_t> adu) {
  if (transport == AuditTransport::tcp) return adu.size() > 7 ? adu.subspan(7) : adu.last(0);
  return adu.size() > 3 ? adu.subspan(1, adu.size() - 3) : adu.last(0);
}

/// "FC 03 at 0x5003 count 2" for a read or a multiple write, "FC 06 at 0x4002" for a single
/// write, "FC 2B" for anything else; a malformed request by the fields it had.
std::string describe_request(const ParsedRequest& request, std::span<const std::uint8_t> pdu) {
  const std::uint8_t function = pdu.empty() ? function_of(request) : pdu[0];
  std::optional<RequestFields> fields;
  if (request) {
    std::visit(
        [&](const auto& r) {
          using R = std::decay_t<decltype(r)>;
          if constexpr (std::is_same_v<R, ReadRegistersRequest>) {
            fields = RequestFields{r.address, r.count, {}};
          } else if constexpr (std::is_same_v<R, WriteSingleRegisterRequest>) {
            fields = RequestFields{r.address, 1, {}};
          } else if constexpr (std::is_same_v<R, WriteMultipleRegistersRequest>) {
            fields = RequestFields{r.address, static_cast<std::uint16_t>(r.values.size()), {}};
          }
        },
        *request);
  } else {
    fields = request.error().fields;
  }
  if (!fields) return fmt::format("FC {:02X}", function);
  return describe(function, fields->address, fields->count);
}

std::string exception_text(std::uint8_t code) {
  const std::string_view name = to_string(static_cast<ExceptionCode>(code));
  return name.empty() ? fmt::format("exception {:02X}", code)
                      : fmt::format("exception {:02X} ({})", code, name);
}

}  // namespace

void AuditClient::modbus(const ModbusSeen& seen) {
  seen_at(seen.time);
  const ParsedRequest& request = *seen.request;
  const std::uint8_t function = function_of(request);
  const std::span<const std::uint8_t> pdu = pdu_of(transport_, seen.adu);
  if (seen.unit == kBroadcastUnit && is_read_function(function) && !seen.reply) {
    note(AuditCheck::broadcast_read, seen.time, seen.adu, [&] {
      return fmt::format(
          "{} to unit 0, the broadcast address: a broadcast is for writes, which every meter "
          "executes without a reply, so nobody answers a read and the master waits out its "
          "response timeout; read each meter on its own Modbus id (register 4002)",
          describe_request(request, pdu));
    });
  }
  if (seen.target != AuditTarget::meter) {
    check_target(seen, pdu);
  } else if (is_read_function(function)) {
    if (request) {
      const auto& read = std::get<ReadRegistersRequest>(*request);
      check_read(seen, function, read.address, read.count);
    } else if (const std::optional<RequestFields>& fields = request.error().fields) {
      check_read(seen, function, fields->address, fields->count);
    }
  } else if (function == function_code::write_single_register ||
             function == function_code::write_multiple_registers) {
    check_write(seen, pdu);
  }
  check_repeat(seen, pdu);
  check_pace(seen);
}

void AuditClient::check_target(const ModbusSeen& seen, std::span<const std::uint8_t> pdu) {
  if (seen.target == AuditTarget::no_meter) {
    note(AuditCheck::no_meter, seen.time, seen.adu, [&] {
      const std::string who =
          seen.unit > kMaxMeterUnit
              ? std::string("units 248-254 are reserved, no meter can have one")
              : fmt::format(
                    "no meter {} has Modbus id {} now",
                    transport_ == AuditTransport::tcp ? "behind the gateway" : "on the line",
                    seen.unit);
      const std::string answer =
          seen.reply && seen.reply->exception
              ? fmt::format("the gateway answers {}",
                            exception_text(static_cast<std::uint8_t>(*seen.reply->exception)))
              : std::string("nobody answers and the master waits out its response timeout");
      return fmt::format(
          "{} to unit {}: {}; {}. Check the meter's Modbus id (register 4002, "
          "menu 7.6.6), its baud rate and parity, and the unit the client sends",
          describe_request(*seen.request, pdu), seen.unit, who, answer);
    });
    return;
  }
  if (!seen.reply || !seen.reply->exception)
    return;  // the gateway's identity, read as it should be
  note(AuditCheck::gateway_unit, seen.time, seen.adu, [&] {
    return fmt::format(
        "{} to unit 255, the gateway itself, refused with {}: the gateway's own registers are "
        "0x{:04X}-0x{:04X} (FC 03, read only); a meter behind it answers on its own Modbus id "
        "(1-247), not on 255",
        describe_request(*seen.request, pdu),
        exception_text(static_cast<std::uint8_t>(*seen.reply->exception)), kGatewayIdentityAddress,
        kGatewayIdentityAddress + kGatewayIdentityCount - 1);
  });
}

void AuditClient::check_read(const ModbusSeen& seen, std::uint8_t function, std::uint16_t address,
                             std::uint16_t count) {
  if (function == function_code::read_input_registers) {
    note(AuditCheck::fc04, seen.time, seen.adu, [&] {
      const bool answered = seen.reply && !seen.reply->exception;
      return fmt::format(
          "{}: the meter reads with FC 03 only and answers FC 04 with exception 01 (illegal "
          "function){}; read with FC 03 (holding registers)",
          describe(function, address, count),
          answered ? "; the twin answered it because of --quirk fc04" : "");
    });
  }
  if (count > kMaxReadRegisters || count == 0) {
    note(AuditCheck::too_many, seen.time, seen.adu, [&] {
      return fmt::format("{}: one read takes 1-125 registers (exception 03); split it",
                         describe(function, address, count));
    });
    return;
  }
  if (const RegisterDef* def = find_register(address); def != nullptr && def->words == 2 &&
                                                       def->address != address &&
                                                       def->encoding != Encoding::reserved_zero) {
    note(AuditCheck::second_word, seen.time, seen.adu, [&] {
      return fmt::format(
          "{} starts on the second word of {} (0x{:04X}-0x{:04X}): off by one, 1-based "
          "addresses? The meter answers, but the words read straddle two values",
          describe(function, address, count), def->name, def->address, def->end() - 1);
    });
  }
  if (const auto unmapped = first_unmapped(address, count)) {
    note(AuditCheck::unmapped, seen.time, seen.adu, [&] {
      return fmt::format("{} touches 0x{:04X}, outside every documented block (exception 02){}",
                         describe(function, address, count), *unmapped, off_by_one_hint(*unmapped));
    });
  }
}

void AuditClient::check_write(const ModbusSeen& seen, std::span<const std::uint8_t> pdu) {
  const ParsedRequest& request = *seen.request;
  std::uint16_t address = 0;
  std::vector<std::uint16_t> words;
  if (request && std::holds_alternative<WriteSingleRegisterRequest>(*request)) {
    const auto& w = std::get<WriteSingleRegisterRequest>(*request);
    address = w.address;
    words.push_back(w.value);
  } else if (request && std::holds_alternative<WriteMultipleRegistersRequest>(*request)) {
    const auto& w = std::get<WriteMultipleRegistersRequest>(*request);
    address = w.address;
    words = w.values.to_vector();
  } else {
    const std::optional<RequestFields> fields = request ? std::nullopt : request.error().fields;
    if (fields && request.error().kind == RequestError::Kind::bad_count) {
      note(AuditCheck::too_many, seen.time, seen.adu, [&] {
        return fmt::format("{}: one write takes 1-123 registers (exception 03); split it",
                           describe(pdu[0], fields->address, fields->count));
      });
    }
    return;
  }
  const auto plan = plan_write(address, words, DataType::standard);
  if (plan || plan.error() != WriteError::not_writable) return;
  note(AuditCheck::read_only_write, seen.time, seen.adu, [&] {
    const RegisterDef* def = find_register(address);
    const auto count = static_cast<std::uint16_t>(words.size());
    std::string what = def == nullptr ? fmt::format("0x{:04X} is no register", address)
                       : def->access() == Access::read
                           ? fmt::format("{} is read-only", def->name)
                           : "it covers a 2-register value only in part, or a read-only register";
    return fmt::format(
        "{}: {} (exception 02); the writable registers are the manual's Write table (A3.2)",
        describe(pdu[0], address, count), what);
  });
}

void AuditClient::check_repeat(const ModbusSeen& seen, std::span<const std::uint8_t> pdu) {
  if (!seen.reply || !seen.reply->exception) return;
  const std::uint64_t sig = signature(seen.unit, pdu);
  const auto code = static_cast<std::uint8_t>(*seen.reply->exception);
  std::size_t found = failure_count_;
  for (std::size_t i = 0; i < failure_count_; ++i) {
    if (failures_.at(i).signature == sig && failures_.at(i).exception == code) found = i;
  }
  if (found < failure_count_) {
    note(AuditCheck::repeated_failure, seen.time, seen.adu, [&] {
      return fmt::format(
          "the same request (unit {}, {} bytes of PDU) failed again with {}, unchanged: a "
          "request the meter refuses stays refused; fix or drop it",
          seen.unit, pdu.size(), exception_text(code));
    });
  } else {
    if (failure_count_ < kFailures) ++failure_count_;
    found = failure_count_ - 1;  // a new one takes the oldest's place when full
  }
  // Most recent first.
  const auto at = failures_.begin() + static_cast<std::ptrdiff_t>(found);
  std::move_backward(failures_.begin(), at, at + 1);
  failures_.front() = Failure{sig, code};
}

void AuditClient::check_pace(const ModbusSeen& seen) {
  if (transport_ != AuditTransport::rtu || seen.baud == 0 || !seen.time.wall_us) return;
  const std::int64_t now = *seen.time.wall_us;
  if (last_request_us_) {
    const auto t35 = line_timing::rtu_t35(seen.baud).count();
    const auto chars = static_cast<std::int64_t>(last_reply_bytes_ + seen.adu.size());
    const std::int64_t needed = (last_reply_bytes_ > 0 ? 2 * t35 : t35) +
                                line_timing::character_time(seen.baud, chars).count();
    const std::int64_t interval = now - *last_request_us_;
    if (interval < needed) {
      note(AuditCheck::too_fast, seen.time, seen.adu, [&] {
        return fmt::format(
            "a request {:.1f} ms after the one before; at the meter's {} baud the exchange needs "
            "at least {:.1f} ms (reply, t3.5, request, t3.5): on a real line the master talks "
            "over the meter or gets no answer; poll more slowly or raise the baud rate",
            static_cast<double>(interval) / 1000.0, seen.baud,
            static_cast<double>(needed) / 1000.0);
      });
    }
  }
  last_request_us_ = now;
  last_reply_bytes_ = seen.reply ? seen.reply->bytes : 0;
}

}  // namespace ambi
