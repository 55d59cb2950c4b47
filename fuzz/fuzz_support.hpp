#pragma once
// Shared by the fuzz targets: a powered meter under a known load, and the check that a
// request which was answered with an exception (or not at all) changed nothing.
#include <cstdlib>

#include "core/meter/meter.hpp"

namespace ambi::fuzz {

/// A meter with some energy on every phase, as a target for requests.
inline Meter loaded_meter() {
  Meter meter;
  meter.power_on();
  LoadInput load;
  load.phases = {PhaseInput{230, 10, 25}, PhaseInput{231, 5, -30}, PhaseInput{229, 7, 180}};
  if (!meter.set_load(load)) std::abort();
  meter.advance(3'600'000);
  return meter;
}

/// Aborts (a fuzzer finding) when `condition` does not hold.
inline void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace ambi::fuzz
