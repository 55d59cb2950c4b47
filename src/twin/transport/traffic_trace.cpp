#include "twin/transport/traffic_trace.hpp"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "core/codec/hex.hpp"
#include "core/modbus/modbus_pdu.hpp"

namespace ambi {
namespace {

using Pdu = std::span<const std::uint8_t>;

Json words_from(Pdu pdu, std::size_t at, std::size_t count) {
  Json values = Json::array();
  for (std::size_t i = 0; i < count && at + 2 * i + 1 < pdu.size(); ++i)
    values.push_back(be16(pdu, at + 2 * i));
  return values;
}

/// "2024-05-01T12:00:00.123Z".
std::string iso_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:03}Z", text.data(), ms);
}

}  // namespace

Json decode_request_pdu(Pdu pdu) {
  if (pdu.empty()) return Json{{"function", nullptr}};
  const std::uint8_t fc = pdu[0];
  Json j{{"function", fc}};
  if (is_read_function(fc) && pdu.size() == 5) {
    j["address"] = be16(pdu, 1);
    j["count"] = be16(pdu, 3);
  } else if (fc == function_code::write_single_register && pdu.size() == 5) {
    j["address"] = be16(pdu, 1);
    j["value"] = be16(pdu, 3);
  } else if (fc == function_code::write_multiple_registers && pdu.size() >= 6) {
    j["address"] = be16(pdu, 1);
    j["count"] = be16(pdu, 3);
    j["values"] = words_from(pdu, 6, pdu[5] / 2U);
  } else {
    j["data"] = hex_bytes(pdu.subspan(1));
  }
  return j;
}

Json decode_response_pdu(Pdu pdu) {
  if (pdu.empty()) return Json{{"function", nullptr}};
  const std::uint8_t fc = pdu[0];
  Json j{{"function", fc}};
  if ((fc & kExceptionBit) != 0 && pdu.size() == 2) {
    j["exception"] = pdu[1];
  } else if (is_read_function(fc) && pdu.size() >= 2) {
    j["values"] = words_from(pdu, 2, pdu[1] / 2U);
  } else if ((fc == function_code::write_single_register ||
              fc == function_code::write_multiple_registers) &&
             pdu.size() == 5) {
    j["address"] = be16(pdu, 1);
    j[fc == function_code::write_single_register ? "value" : "count"] = be16(pdu, 3);
  } else {
    j["data"] = hex_bytes(pdu.subspan(1));
  }
  return j;
}

std::expected<std::unique_ptr<TrafficTrace>, std::string> TrafficTrace::open(
    const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    return std::unexpected(fmt::format("cannot open trace file {}: {}; choose another with --trace",
                                       path.string(), std::strerror(errno)));
  }
  return std::unique_ptr<TrafficTrace>(new TrafficTrace(file));
}

TrafficTrace::~TrafficTrace() {
  std::fclose(file_);
}

void TrafficTrace::frame(const TraceSource& source, std::int64_t sim_ms, TraceDirection dir,
                         std::span<const std::uint8_t> bytes, Json decoded) {
  write(Json{{"t", iso_now()},
             {"sim_ms", sim_ms},
             {"transport", source.transport},
             {"peer", source.peer},
             {"dir", dir == TraceDirection::in ? "in" : "out"},
             {"hex", hex_bytes(bytes)},
             {"decoded", std::move(decoded)}});
}

void TrafficTrace::error(const TraceSource& source, std::int64_t sim_ms, TraceDirection dir,
                         std::span<const std::uint8_t> bytes, std::string_view reason) {
  write(Json{{"t", iso_now()},
             {"sim_ms", sim_ms},
             {"transport", source.transport},
             {"peer", source.peer},
             {"dir", dir == TraceDirection::in ? "in" : "out"},
             {"hex", hex_bytes(bytes)},
             {"error", reason}});
}

void TrafficTrace::write(Json line) {
  const std::string text = line.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::fputs(text.c_str(), file_);
  std::fputc('\n', file_);
  std::fflush(file_);
}

}  // namespace ambi
