// Sets of Modbus unit ids, the probe of who answers, and the gateway's own identity at unit 255.
#include "tools/units.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "core/codec/line_timing.hpp"

namespace ambi {
namespace {

constexpr int kFirstUnit = 1;
constexpr int kLastUnit = 247;
constexpr std::uint16_t kSerialAddress = 0x4000;
constexpr std::uint16_t kGatewayAddress = 0x0400;
constexpr std::uint16_t kGatewayWords = 13;

std::optional<int> unit_number(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < kFirstUnit ||
      value > kLastUnit) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::expected<UnitList, std::string> parse_unit_list(std::string_view text) {
  if (text == "all") return UnitList{.all = true, .units = {}};
  const auto bad = [text] {
    return std::unexpected{
        fmt::format("--units must be all or unit ids {}-{} and ranges, e.g. 1-10,20, not \"{}\"",
                    kFirstUnit, kLastUnit, text)};
  };
  std::vector<bool> wanted(kLastUnit + 1, false);
  std::string_view rest = text;
  if (rest.empty()) return bad();
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const auto dash = item.find('-');
    const auto first = unit_number(item.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : unit_number(item.substr(dash + 1));
    if (!first || !last || *first > *last) return bad();
    for (int u = *first; u <= *last; ++u) wanted[static_cast<std::size_t>(u)] = true;
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  UnitList list;
  for (int u = kFirstUnit; u <= kLastUnit; ++u) {
    if (wanted[static_cast<std::size_t>(u)]) list.units.push_back(static_cast<std::uint8_t>(u));
  }
  return list;
}

MeterUri probe_uri(MeterUri uri) {
  if (uri.retries < 0) uri.retries = 0;  // a silent id is the common answer: do not ask twice
  if (uri.timeout.count() == 0) {
    const auto line = uri.is_serial() ? std::chrono::floor<std::chrono::milliseconds>(
                                            line_timing::character_time(uri.baud, 40))
                                      : std::chrono::milliseconds{0};
    uri.timeout = std::chrono::milliseconds{uri.is_serial() ? 150 : 300} + line;
  }
  return uri;
}

namespace {

/// One probe of `unit`; the error is a failure of the link.
std::expected<UnitProbe, ModbusClientError> probe_unit(ModbusClient& client, std::uint8_t unit) {
  using K = ModbusClientError::Kind;
  auto probe = client.read_registers(unit, kSerialAddress, 2);
  if (!probe) {
    if (probe.error().kind == K::connect || probe.error().kind == K::io)
      return std::unexpected{probe.error()};
    return UnitProbe{
        .unit = unit,
        .answer = probe.error().kind == K::bad_reply ? ProbeAnswer::garbled : ProbeAnswer::silent,
        .exception_code = 0};
  }
  if (*probe) return UnitProbe{.unit = unit, .answer = ProbeAnswer::data, .exception_code = 0};
  const auto code = static_cast<std::uint8_t>(probe->error());
  const bool empty = probe->error() == ExceptionCode::gateway_path_unavailable ||
                     probe->error() == ExceptionCode::gateway_target_failed;
  return UnitProbe{.unit = unit,
                   .answer = empty ? ProbeAnswer::empty : ProbeAnswer::exception,
                   .exception_code = code};
}

}  // namespace

std::expected<std::vector<UnitProbe>, ModbusClientError> probe_units(
    ModbusClient& client, std::span<const std::uint8_t> candidates,
    std::chrono::milliseconds first_timeout, std::chrono::milliseconds second_timeout,
    const ProbeProgress& progress) {
  std::vector<UnitProbe> probes;
  std::size_t found = 0;
  bool gateway = false;
  for (const std::uint8_t unit : candidates) {
    auto probe = probe_unit(client, unit);
    if (!probe) return std::unexpected{probe.error()};
    gateway = gateway || probe->answer == ProbeAnswer::empty;
    if (probe->answer != ProbeAnswer::empty && probe->answer != ProbeAnswer::silent) ++found;
    probes.push_back(*probe);
    if (progress && !progress(probes.size(), found)) return probes;
  }
  if (!gateway) return probes;
  client.set_timeout(second_timeout);
  for (UnitProbe& p : probes) {
    if (p.answer != ProbeAnswer::silent) continue;
    auto again = probe_unit(client, p.unit);
    if (!again) {
      client.set_timeout(first_timeout);
      return std::unexpected{again.error()};
    }
    p = *again;
  }
  client.set_timeout(first_timeout);
  return probes;
}

std::expected<std::vector<std::uint8_t>, ModbusClientError> find_units(
    ModbusClient& client, std::span<const std::uint8_t> candidates,
    std::chrono::milliseconds first_timeout, std::chrono::milliseconds second_timeout) {
  auto probes = probe_units(client, candidates, first_timeout, second_timeout);
  if (!probes) return std::unexpected{probes.error()};
  std::vector<std::uint8_t> found;
  for (const UnitProbe& p : *probes) {
    if (p.answer == ProbeAnswer::data) found.push_back(p.unit);
  }
  return found;
}

std::string units_text(std::span<const std::uint8_t> units) {
  std::string out;
  for (std::size_t i = 0; i < units.size();) {
    std::size_t j = i;
    while (j + 1 < units.size() && units[j + 1] == units[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += j == i ? fmt::format("{}", units[i]) : fmt::format("{}-{}", units[i], units[j]);
    i = j + 1;
  }
  return out;
}

std::vector<std::uint8_t> every_unit() {
  std::vector<std::uint8_t> units;
  for (int u = kFirstUnit; u <= kLastUnit; ++u) units.push_back(static_cast<std::uint8_t>(u));
  return units;
}

std::optional<GatewayIdentity> decode_gateway_identity(std::span<const std::uint16_t> words) {
  if (words.size() < 8 || words[0] != kGatewayDeviceType) return std::nullopt;
  return GatewayIdentity{.device_type = words[0],
                         .hardware_version = words[1],
                         .firmware_version = words[2],
                         .serial_number = fmt::format("{:04X}{:04X}", words[3], words[4]),
                         .meters = words[5],
                         .first_unit = words[6],
                         .last_unit = words[7]};
}

std::optional<GatewayIdentity> probe_gateway(ModbusClient& client) {
  auto words = client.read_registers(kGatewayUnit, kGatewayAddress, kGatewayWords);
  if (!words || !*words) return std::nullopt;
  return decode_gateway_identity(**words);
}

}  // namespace ambi
