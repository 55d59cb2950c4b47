#pragma once
// Meters sharing one RS485 line (docs/shared-lines.md): every meter hears every frame; those
// set to the line's baud rate and parity understand it, the others hear noise and stay
// silent; the addressed meter answers, a broadcast write is executed by all of them
// silently; two meters with one id answer together and their replies collide on the wire
// as core/codec/uart_line.hpp superimposes them.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "audit/poll_audit.hpp"
#include "core/modbus/modbus_server.hpp"
#include "twin/service/twin.hpp"
#include "twin/transport/serial_face.hpp"

namespace ambi {

class RtuBus {
 public:
  /// A meter that took a frame (addressed to it, or a broadcast it executed) and what it put
  /// on the line, for its poll audit.
  struct Heard {
    Twin* twin = nullptr;
    std::optional<ModbusReplySeen> reply;  ///< none: it answered nothing
  };

  /// The meters on the line (each outlives the bus) and what the line runs at; `seed` makes
  /// the collisions reproducible.
  RtuBus(std::vector<Twin*> meters, LineSettings line, std::uint64_t seed = 1);

  /// The frame as every meter on the line hears it: the exchange of the meter that answers
  /// (or of the first that executed it), its reply replaced by what the master reads when
  /// several answered. A change of a meter's link settings does not move the line: that
  /// meter goes deaf until it is set back.
  [[nodiscard]] RtuExchange serve(const RtuFrame& frame, const ModbusQuirks& quirks);

  /// The master sent `master` while a meter was answering, `master_after` after the first of
  /// the reply's `unsent` bytes begins to leave (negative: before). Returns what the line
  /// carries for as long as those bytes take: both transmissions superimposed bit by bit
  /// (RS485 contention), read by a UART from where `unsent` begins.
  [[nodiscard]] std::vector<std::uint8_t> talk_over(std::span<const std::uint8_t> unsent,
                                                    std::span<const std::uint8_t> master,
                                                    std::chrono::microseconds master_after);

  [[nodiscard]] const LineSettings& line() const { return line_; }
  [[nodiscard]] const std::vector<Twin*>& meters() const { return meters_; }
  /// The link faults that acted on the last `serve`, "fault 2 (bad-crc)" (for the trace).
  [[nodiscard]] const std::vector<std::string>& fault_causes() const { return fault_causes_; }
  /// The meters that took the last `serve`'s frame, in line order (none: nobody on the line
  /// has its unit, or hears the line's rate and parity).
  [[nodiscard]] const std::vector<Heard>& heard() const { return heard_; }
  /// Replies that collided so far.
  [[nodiscard]] std::uint64_t collisions() const { return collisions_; }
  /// Replies the master talked over so far.
  [[nodiscard]] std::uint64_t talk_overs() const { return talk_overs_; }
  /// Whether meter `twin` understands the line (its baud rate and parity are the line's).
  [[nodiscard]] bool hears(const Twin& twin) const;

 private:
  std::vector<Twin*> meters_;
  LineSettings line_;
  std::uint64_t seed_;
  std::uint64_t collisions_ = 0;
  std::uint64_t talk_overs_ = 0;
  std::vector<std::string> fault_causes_;
  std::vector<Heard> heard_;
};

/// The RS485 bus collision model's offset of the k-th answering meter (k ≥ 1) behind the
/// first, in bit times: 0 to 15, a hash of the seed, the collision and k (docs/shared-lines.md).
[[nodiscard]] std::int64_t collision_offset_bits(std::uint64_t seed, std::uint64_t collision,
                                                 std::size_t k);

}  // namespace ambi
