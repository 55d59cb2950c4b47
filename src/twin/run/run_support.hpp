#pragma once
// What `ambimeter run` shares between one meter and a fleet (twin/run/run_command.cpp,
// twin/run/run_fleet.cpp): the meter of a state directory, the timers, the URL of the API.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <expected>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/meter/meter.hpp"
#include "twin/run/run_config.hpp"
#include "twin/service/state_store.hpp"
#include "twin/service/twin.hpp"

namespace ambi {

/// Wall time between clock ticks with a real clock.
inline constexpr std::chrono::milliseconds kTick{50};
/// Wall time between two events of the event streams (GET /api/v1/events).
inline constexpr std::chrono::milliseconds kEventInterval{250};

/// A mistake of the user's: one line naming the problem and the fix (exit code 2).
struct UsageError {
  std::string message;
};

/// --factory-reset: removes the storage areas of a (locked) state directory.
void wipe_storage(const std::filesystem::path& dir);

/// The meter of a state directory: new (built from `factory`) or restored. A restored meter
/// must be the one asked for: its serial when `serial_given`, C-05 when `factory` orders it.
[[nodiscard]] std::expected<Meter, UsageError> make_meter(StateStore& store,
                                                          const FactoryOptions& factory,
                                                          bool serial_given, bool& fresh);

/// Calls `fn` every `interval` until the timer is cancelled.
void repeat(boost::asio::steady_timer& timer, std::chrono::nanoseconds interval,
            std::function<void()> fn);

/// "http://127.0.0.1:8080", "http://[::1]:8080".
[[nodiscard]] std::string http_url(const boost::asio::ip::tcp::endpoint& endpoint);

/// The ready line's "quirks" and "mbus_quirks": the --quirk and --mbus-quirk switches on.
[[nodiscard]] std::vector<std::string> modbus_quirk_names(const RunConfig& config);
[[nodiscard]] std::vector<std::string> mbus_quirk_names(const RunConfig& config);

/// The run's --fault specs added to `twin`, starting now (checked by resolve_run_config).
void add_cli_faults(Twin& twin, const RunConfig& config);

/// Runs a fleet (--meters, docs/fleet.md) until SIGINT/SIGTERM.
[[nodiscard]] std::expected<int, UsageError> run_fleet(const RunConfig& config);

}  // namespace ambi
