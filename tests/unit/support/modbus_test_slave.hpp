#pragma once
// What the tests of the reader tools' Modbus master see of the meter they talk to, wherever
// it is served: on a thread behind a socket or a pseudo-terminal (loopback_slave.hpp), or
// on the far end of an in-memory stream (memory_slave.hpp).
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>

#include "core/meter/meter.hpp"

namespace ambi::modbus_test {

/// How a test slave may misbehave.
enum class Misbehaviour : std::uint8_t { none, silent, bad_crc, junk_after_reply };

class TestSlave {
 public:
  virtual ~TestSlave() = default;
  /// False when the slave could not be set up (its socket or pseudo-terminal).
  [[nodiscard]] virtual bool ok() const { return true; }
  virtual void misbehave(Misbehaviour misbehaviour) = 0;
  /// Requests framed so far (answered or not).
  [[nodiscard]] virtual int requests() const = 0;
  /// The function code of the last request.
  [[nodiscard]] virtual std::uint8_t last_function() const = 0;
  /// Runs `f` on the meter while the slave serves nothing.
  virtual void on_meter(const std::function<void(Meter&)>& f) = 0;

  /// What `f(meter)` returns, run as `on_meter` runs it.
  template <class F>
  auto with_meter(F f) {
    std::optional<decltype(f(std::declval<Meter&>()))> result;
    on_meter([&](Meter& m) { result.emplace(f(m)); });
    return std::move(*result);
  }
};

}  // namespace ambi::modbus_test
