#pragma once
// Meters of a fleet for the tests: factory-new, with generated identities, powered on, each
// in its own folder of `dir`.
#include <stdexcept>
#include <string>
#include <vector>

#include "twin/service/fleet.hpp"

namespace ambi {

/// Adds `count` meters (serials from 19020246) to `fleet`, powered on (which saves each)
/// unless `power` is false; returns them in order.
inline std::vector<Twin*> add_meters(Fleet& fleet, const std::filesystem::path& dir,
                                     std::size_t count, bool power = true) {
  const auto ids = fleet_identities(0x19020246, count);
  if (!ids) throw std::runtime_error(ids.error());
  std::vector<Twin*> meters;
  for (const FleetIdentity& id : *ids) {
    auto store = StateStore::open_member(dir / std::to_string(id.serial_bcd));
    if (!store) throw std::runtime_error(store.error());
    Twin& twin = fleet.add(Meter(FactoryOptions{id.serial_bcd, false, id.modbus_id, id.mbus_id}),
                           std::move(*store));
    if (power) twin.set_power(true);
    meters.push_back(&twin);
  }
  return meters;
}

}  // namespace ambi
