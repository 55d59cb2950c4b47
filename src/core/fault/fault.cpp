#include "core/fault/fault.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "core/codec/crc16.hpp"
#include "core/codec/uart_line.hpp"

namespace ambi {
namespace {

struct KindName {
  FaultKind kind;
  std::string_view name;
};

constexpr std::array<KindName, 22> kKinds{{
    {FaultKind::no_reply, "no-reply"},
    {FaultKind::delay, "delay"},
    {FaultKind::bad_crc, "bad-crc"},
    {FaultKind::bit_errors, "bit-errors"},
    {FaultKind::truncate, "truncate"},
    {FaultKind::garbage, "garbage"},
    {FaultKind::wrong_unit, "wrong-unit"},
    {FaultKind::wrong_transaction, "wrong-transaction"},
    {FaultKind::exception, "exception"},
    {FaultKind::collision, "collision"},
    {FaultKind::reset, "reset"},
    {FaultKind::close, "close"},
    {FaultKind::stall, "stall"},
    {FaultKind::refuse, "refuse"},
    {FaultKind::supply_lost, "supply-lost"},
    {FaultKind::phase_lost, "phase-lost"},
    {FaultKind::phases_swapped, "phases-swapped"},
    {FaultKind::ct_reversed, "ct-reversed"},
    {FaultKind::wrong_ct_ratio, "wrong-ct-ratio"},
    {FaultKind::corrupt, "corrupt"},
    {FaultKind::unwritable, "unwritable"},
    {FaultKind::torn_write, "torn-write"},
}};

std::uint64_t mix(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31U);
}

/// The random draws of one fault for one reply: a stream from its seed, id and count.
class Draws {
 public:
  Draws(const Fault& f) : state_(mix(f.seed ^ mix(f.id) ^ mix(f.seen * 0x2545F4914F6CDD1DULL))) {}
  std::uint64_t next() { return state_ = mix(state_); }
  /// Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11U) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

void set_crc(std::vector<std::uint8_t>& frame) {
  if (frame.size() < 3) return;
  const std::uint16_t crc = crc16_modbus(std::span(frame).first(frame.size() - 2));
  frame[frame.size() - 2] = static_cast<std::uint8_t>(crc & 0xFFU);
  frame[frame.size() - 1] = static_cast<std::uint8_t>(crc >> 8U);
}

/// The reply's unit and function code: RTU | unit | fc | ...; MBAP | tid pid len | unit | fc |.
std::size_t unit_at(ReplyFraming framing) {
  return framing == ReplyFraming::mbap ? 6 : 0;
}

/// An M-bus short (10 C A CS 16) or long (68 L L 68 C A CI ... CS 16) frame: where its C
/// field starts; none for an E5 or anything else.
std::optional<std::size_t> mbus_fields_at(const std::vector<std::uint8_t>& b) {
  if (b.size() == 5 && b[0] == 0x10 && b[4] == 0x16) return 1;
  if (b.size() >= 9 && b[0] == 0x68 && b[3] == 0x68 && b.back() == 0x16) return 4;
  return std::nullopt;
}

/// The checksum of an M-bus frame: the sum of its fields, before the stop byte.
void set_mbus_checksum(std::vector<std::uint8_t>& b, std::size_t from) {
  unsigned sum = 0;
  for (std::size_t i = from; i + 2 < b.size(); ++i) sum += b[i];
  b[b.size() - 2] = static_cast<std::uint8_t>(sum & 0xFFU);
}

/// A second transmitter sending the same bytes 1-15 bits later, on this line's physics.
void collide(Draws& draws, ReplyFraming framing, std::vector<std::uint8_t>& b) {
  const std::array<uart::Transmission, 2> both{
      uart::Transmission{b, 0},
      uart::Transmission{b, static_cast<std::int64_t>(1 + draws.next() % 15)}};
  const auto physics =
      framing == ReplyFraming::mbus ? uart::Physics::wired_and : uart::Physics::contention;
  b = uart::superimpose(both, uart::Format{uart::Parity::even, 1}, physics, draws.next()).bytes;
}

std::vector<std::uint8_t> exception_reply(std::span<const std::uint8_t> reply, ReplyFraming framing,
                                          std::uint8_t code) {
  const std::size_t u = unit_at(framing);
  const std::uint8_t function = static_cast<std::uint8_t>(reply[u + 1] | 0x80U);
  if (framing == ReplyFraming::rtu) {
    std::vector<std::uint8_t> out{reply[0], function, code, 0, 0};
    set_crc(out);
    return out;
  }
  // | transaction | protocol | length 3 | unit | fc | code |
  return {reply[0], reply[1], reply[2], reply[3], 0x00, 0x03, reply[u], function, code};
}

bool flip_bits(const Fault& f, Draws& draws, std::vector<std::uint8_t>& b) {
  bool flipped = false;
  for (std::uint8_t& byte : b) {
    for (unsigned bit = 0; bit < 8; ++bit) {
      if (draws.unit() < f.bit_error_rate) {
        byte = static_cast<std::uint8_t>(byte ^ (1U << bit));
        flipped = true;
      }
    }
  }
  return flipped;
}

bool cut(const Fault& f, std::vector<std::uint8_t>& b) {
  const std::size_t keep = std::min(b.size(), f.keep_bytes.value_or(b.size() / 2));
  if (keep == b.size()) return false;
  b.resize(keep);
  return true;
}

void add_garbage(const Fault& f, Draws& draws, std::vector<std::uint8_t>& b) {
  std::vector<std::uint8_t> noise(f.garbage_bytes);
  for (std::uint8_t& n : noise) n = static_cast<std::uint8_t>(draws.next() & 0xFFU);
  b.insert(f.after ? b.end() : b.begin(), noise.begin(), noise.end());
}

std::int64_t jitter(const Fault& f, Draws& draws) {
  if (f.jitter_ms <= 0) return 0;
  return static_cast<std::int64_t>(draws.next() % static_cast<std::uint64_t>(f.jitter_ms + 1));
}

/// The connection faults: what the TCP session is to do (refuse acts at accept time only).
bool act_on_connection(const Fault& f, FaultedReply& out) {
  switch (f.kind) {
    case FaultKind::reset:
      out.dropped = true;
      out.connection = ConnectionFault::reset;
      return true;
    case FaultKind::stall:
      out.dropped = true;
      out.connection = ConnectionFault::stall;
      return true;
    case FaultKind::close:
      out.connection = ConnectionFault::close;
      out.close_after_requests = f.after_requests;
      return true;
    default:
      return false;
  }
}

/// Applies one fault that hit; false when it does not apply to this framing or reply.
bool act(const Fault& f, Draws& draws, ReplyFraming framing, FaultedReply& out) {
  std::vector<std::uint8_t>& b = out.bytes;
  const std::size_t u = unit_at(framing);
  switch (f.kind) {
    case FaultKind::no_reply:
      out.dropped = true;
      return true;
    case FaultKind::delay:
      out.delay_ms += f.delay_ms + jitter(f, draws);
      return true;
    case FaultKind::bad_crc:
      if (framing == ReplyFraming::mbus) {  // the checksum before the stop byte
        if (!mbus_fields_at(b)) return false;
        b[b.size() - 2] ^= 0xFFU;
        return true;
      }
      if (framing != ReplyFraming::rtu || b.size() < 3) return false;
      b.back() ^= 0xFFU;
      return true;
    case FaultKind::collision:
      collide(draws, framing, b);
      return true;
    case FaultKind::bit_errors:
      return flip_bits(f, draws, b);
    case FaultKind::truncate:
      return cut(f, b);
    case FaultKind::garbage:
      add_garbage(f, draws, b);
      return true;
    case FaultKind::wrong_unit:
      if (framing == ReplyFraming::mbus) {  // the A field, the checksum made to fit
        const auto fields = mbus_fields_at(b);
        if (!fields) return false;
        b[*fields + 1] = static_cast<std::uint8_t>(b[*fields + 1] + 1U);
        set_mbus_checksum(b, *fields);
        return true;
      }
      if (b.size() <= u) return false;
      b[u] = static_cast<std::uint8_t>(b[u] + 1U);
      if (framing == ReplyFraming::rtu) set_crc(b);
      return true;
    case FaultKind::wrong_transaction:
      if (framing != ReplyFraming::mbap || b.size() < 2) return false;
      if (++b[1] == 0) ++b[0];
      return true;
    case FaultKind::exception:
      if (framing == ReplyFraming::mbus || b.size() < u + 2) return false;
      b = exception_reply(b, framing, f.exception_code);
      return true;
    case FaultKind::reset:
    case FaultKind::stall:
    case FaultKind::close:
    case FaultKind::refuse:
      return act_on_connection(f, out);
    default:  // meter and storage faults act elsewhere (meter_fault.hpp)
      return false;
  }
}

}  // namespace

std::string_view to_string(FaultKind kind) {
  for (const KindName& k : kKinds) {
    if (k.kind == kind) return k.name;
  }
  return "?";
}

std::optional<FaultKind> fault_kind(std::string_view name) {
  for (const KindName& k : kKinds) {
    if (k.name == name) return k.kind;
  }
  return std::nullopt;
}

std::string fault_kinds() {
  std::string names;
  for (const KindName& k : kKinds) {
    if (!names.empty()) names += ", ";
    names += k.name;
  }
  return names;
}

FaultedReply apply_link_faults(std::vector<Fault>& faults, std::int64_t now_ms,
                               std::span<const std::uint8_t> reply, ReplyFraming framing,
                               bool over_tcp) {
  FaultedReply out;
  out.bytes.assign(reply.begin(), reply.end());
  for (Fault& f : faults) {
    if (!f.active_at(now_ms) || out.dropped || fault_class(f.kind) != FaultClass::link) continue;
    if (f.kind == FaultKind::refuse || (is_connection_fault(f.kind) && !over_tcp)) continue;
    Draws draws(f);
    ++f.seen;
    if (f.probability < 1.0 && draws.unit() >= f.probability) continue;
    if (!act(f, draws, framing, out)) continue;
    ++f.applied;
    out.causes.push_back(fmt::format("fault {} ({})", f.id, to_string(f.kind)));
  }
  return out;
}

std::uint32_t add_fault(std::vector<Fault>& faults, Fault fault) {
  fault.id = faults.empty() ? 1 : faults.back().id + 1;
  fault.seen = 0;
  fault.applied = 0;
  fault.ended = false;
  faults.push_back(fault);
  return fault.id;
}

bool end_fault(std::vector<Fault>& faults, std::uint32_t id) {
  for (Fault& f : faults) {
    if (f.id != id) continue;
    f.ended = true;
    return true;
  }
  return false;
}

bool any_live(const std::vector<Fault>& faults) {
  return std::any_of(faults.begin(), faults.end(), [](const Fault& f) { return !f.ended; });
}

bool refuses_connection(std::vector<Fault>& faults, std::int64_t now_ms) {
  for (Fault& f : faults) {
    if (f.kind != FaultKind::refuse || !f.active_at(now_ms)) continue;
    Draws draws(f);
    ++f.seen;
    if (f.probability < 1.0 && draws.unit() >= f.probability) continue;
    ++f.applied;
    return true;
  }
  return false;
}

}  // namespace ambi
