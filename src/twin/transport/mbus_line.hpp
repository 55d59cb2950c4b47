#pragma once
// Meters sharing one M-bus line (docs/shared-lines.md): every meter hears every telegram
// and keeps its own link state (selection, FCB, access number); those set to the line's
// baud rate understand it, the others hear noise. What several meters answer at once is
// superimposed as on the wire: a slave sends 0 by drawing current, so the master reads 0
// wherever any slave sends 0 (core/codec/uart_line.hpp, wired AND).

#include <cstdint>
#include <string>
#include <vector>

#include "core/mbus/mbus_slave.hpp"
#include "twin/service/twin.hpp"

namespace ambi {

class MbusLine {
 public:
  /// The meters on the line (each outlives it) at `baud`, 8E1; `seed` makes the
  /// collisions reproducible.
  MbusLine(std::vector<Twin*> meters, std::uint32_t baud, std::uint64_t seed,
           MbusQuirks quirks = {});

  /// The telegram as every meter on the line hears it: the exchange of the one meter that
  /// answered, or the superimposed bytes of several. A meter asked to switch its baud rate
  /// does so after its answer, and the line stays: that meter goes deaf.
  [[nodiscard]] MbusExchange serve(const MbusFrame& frame);

  [[nodiscard]] std::uint32_t baud() const { return baud_; }
  [[nodiscard]] const std::vector<Twin*>& meters() const { return meters_; }
  /// Answers that collided so far.
  [[nodiscard]] std::uint64_t collisions() const { return collisions_; }
  /// The link faults that acted on the last `serve`, "fault 2 (no-reply)" (for the trace).
  [[nodiscard]] const std::vector<std::string>& fault_causes() const { return fault_causes_; }
  /// The meters the last `serve`'s telegram was for (its route, `addressed`), and whether
  /// those that answered collided (for the poll audit).
  [[nodiscard]] const std::vector<Twin*>& addressed_meters() const { return addressed_; }
  [[nodiscard]] bool collided() const { return collided_; }

 private:
  std::vector<Twin*> meters_;
  std::vector<MbusSlave> slaves_;
  std::uint32_t baud_;
  std::uint64_t seed_;
  std::uint64_t collisions_ = 0;
  std::vector<std::string> fault_causes_;
  std::vector<Twin*> addressed_;
  bool collided_ = false;
};

}  // namespace ambi
