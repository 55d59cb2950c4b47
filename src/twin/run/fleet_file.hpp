#pragma once
// A fleet as `ambimeter run` builds it (docs/fleet.md): which meters, with which identities,
// behind which endpoints, playing which loads. It comes from `--meters N` or from a fleet
// file (`--fleet FILE`, TOML); the file is checked in full before anything starts, and
// every mistake is one line naming the file, the line and the key.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/meter/commands.hpp"
#include "core/meter/meter.hpp"
#include "core/profile/profile.hpp"
#include "io/json.hpp"

namespace ambi {

/// How meters are reached over TCP.
enum class FleetEndpointKind : std::uint8_t {
  gateway,            ///< a Modbus TCP gateway in front of up to 247 meters
  meter_tcp,          ///< one meter on its own Modbus TCP port
  meter_rtu_over_tcp  ///< one meter on its own port of RTU frames over TCP
};

[[nodiscard]] std::string_view to_string(FleetEndpointKind kind);

struct FleetEndpoint {
  FleetEndpointKind kind = FleetEndpointKind::gateway;
  std::string name;                 ///< the file's gateway name, or GROUP/N for generated ones
  std::uint16_t port = 0;           ///< 0: a free port
  std::vector<std::size_t> meters;  ///< which meters of the plan it serves, in order
};

/// One meter of the plan. `load` and `profile` are both empty when the group names no load:
/// the run's --load or --scenario applies.
struct FleetMeter {
  FactoryOptions factory;
  std::size_t group = 0;
  std::size_t endpoint = 0;
  std::vector<Command> settings;  ///< applied once, to a new meter (as by its installer)
  std::optional<LoadInput> load;
  std::optional<LoadProfile> profile;
};

/// A shared line of a fleet file (docs/shared-lines.md): an RS485 bus (`[[bus]]`) or an
/// M-bus line (`[[mbus_line]]`), and the meters wired to it.
struct FleetLine {
  std::string name;
  std::optional<std::string> device;  ///< "pty:PATH" or a serial device (--modbus-rtu's form)
  std::optional<std::string> tcp;     ///< its TCP face, ADDR:PORT: RTU over TCP or M-bus over TCP
  std::size_t file_line = 0;          ///< where the file declares it, for messages
  std::vector<std::size_t> meters;    ///< which meters of the plan, in fleet order
};

/// One `[[fault]]` of a fleet file's timeline (docs/faults.md "A timeline in the fleet
/// file"): the JSON body of POST /api/v1/faults without `start_s` and `duration_s`, when it
/// starts and how long it lasts in simulated time from the fleet's 0, and its meters.
struct FleetFault {
  std::size_t number = 0;                   ///< 1 for the file's first [[fault]]
  std::size_t file_line = 0;                ///< where the file declares it, for messages
  std::int64_t at_ms = 0;                   ///< simulated time it starts
  std::optional<std::int64_t> duration_ms;  ///< none: until ended through the API
  Json body;                                ///< kind, probability, seed, the kind's parameters
  std::vector<std::size_t> meters;          ///< which meters of the plan, ascending
};

struct FleetPlan {
  std::vector<std::string> groups;
  std::vector<FleetEndpoint> endpoints;
  std::vector<FleetMeter> meters;
  std::vector<FleetLine> buses;       ///< `[[bus]]`: RS485 buses (≤ 247 meters, ids unique)
  std::vector<FleetLine> mbus_lines;  ///< `[[mbus_line]]`: M-bus lines (≤ 250, addresses unique)
  std::vector<FleetFault> faults;     ///< `[[fault]]`: the timeline, in the file's order
  std::uint64_t seed = 1;
  /// `[fleet] epoch`: simulated time 0 as Unix milliseconds. With it, simulated time is
  /// (wall time − epoch) × speed, so that shards of one file agree without talking.
  std::optional<std::int64_t> epoch_unix_ms;
  /// `[fleet] speed`: simulated seconds per wall second (the real clock).
  std::optional<double> speed;
  /// A fleet file's path, for the ready line; empty for --meters.
  std::string file;
  /// With --shard: which slice of how many; the meters and endpoints are that slice's.
  std::size_t shard = 0;
  std::size_t shards = 1;
};

/// What the command line gives a plan: the first serial, C-05, the first gateway port.
struct FleetDefaults {
  std::uint32_t serial_bcd = FactoryOptions{}.serial_bcd;
  bool ordered_c05 = false;
  std::uint16_t first_port = 0;  ///< 0: free ports
};

/// `--meters N`: one group "meters", gateways of 247 on ports from `first_port` up.
[[nodiscard]] std::expected<FleetPlan, std::string> meters_plan(std::size_t count,
                                                                const FleetDefaults& defaults);

/// "K/N" with 0 ≤ K < N ≤ 1000 → {K, N}; errors name --shard and the form.
[[nodiscard]] std::expected<std::pair<std::size_t, std::size_t>, std::string> parse_shard(
    std::string_view text);

/// Slice `shard` of `shards` of a plan: whole endpoints, in order, endpoints
/// [E·K/N, E·(K+1)/N) of its E, with their meters. The identities are the plan's, so shards
/// of one plan never share a meter, a serial or an endpoint. Fails when the slice would be
/// empty (more shards than endpoints).
[[nodiscard]] std::expected<FleetPlan, std::string> shard_plan(FleetPlan plan, std::size_t shard,
                                                               std::size_t shards);

/// Reads a file a fleet file names (a scenario CSV), relative paths already resolved.
using ReadTextFile =
    std::function<std::expected<std::string, std::string>(const std::filesystem::path&)>;

/// Parses and checks a fleet file (docs/fleet.md). `file` names it in messages and is where
/// relative scenario paths start from. Errors: "FILE:LINE: KEY: problem; fix".
[[nodiscard]] std::expected<FleetPlan, std::string> parse_fleet_file(
    std::string_view text, const std::filesystem::path& file, const FleetDefaults& defaults,
    const ReadTextFile& read_file);

/// The body that starts `fault` on a meter whose simulated time is `now_ms`, for
/// fault_from_json with that `now_ms`: an entry still ahead starts in at − now seconds for
/// its duration; an entry in progress starts at once for what is left of it; an entry wholly
/// in the past gives none (docs/faults.md "After a restart").
[[nodiscard]] std::optional<Json> timeline_fault_body(const FleetFault& fault, std::int64_t now_ms);

class Fleet;

/// Starts the plan's timeline on the fleet's meters (plan index = fleet index), each entry
/// through fault_from_json and Twin::add_fault as POST /api/v1/faults would. Logs the entries
/// skipped or resumed because the fleet's time is past their start. Returns how many faults
/// were started.
std::size_t start_fault_timeline(const FleetPlan& plan, Fleet& fleet);

}  // namespace ambi
