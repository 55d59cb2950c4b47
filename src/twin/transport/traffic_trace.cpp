#include "twin/transport/traffic_trace.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/codec/hex.hpp"
#include "io/utc_time.hpp"

namespace ambi {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

Json words_json(const RegisterWords& words) {
  Json values = Json::array();
  for (std::size_t i = 0; i < words.size(); ++i) values.push_back(words[i]);
  return values;
}

/// A request PDU the codec refused: the fields it carried, or its data in hex.
Json refused_json(const RequestError& error) {
  if (error.kind == RequestError::Kind::empty) return Json{{"function", nullptr}};
  Json j{{"function", error.function}};
  if (!error.fields) {
    j["data"] = hex_bytes(error.data);
    return j;
  }
  j["address"] = error.fields->address;
  j["count"] = error.fields->count;
  if (error.function == function_code::write_multiple_registers) {
    j["values"] = words_json(error.fields->values);
  }
  return j;
}

/// FC 06's request and its echo alike.
Json write_single_json(const std::uint16_t address, const std::uint16_t value) {
  return Json{
      {"function", function_code::write_single_register}, {"address", address}, {"value", value}};
}

}  // namespace

Json request_json(const ParsedRequest& request) {
  if (!request) return refused_json(request.error());
  return std::visit(
      Overloaded{
          [](const ReadRegistersRequest& r) {
            return Json{{"function", r.function}, {"address", r.address}, {"count", r.count}};
          },
          [](const WriteSingleRegisterRequest& r) { return write_single_json(r.address, r.value); },
          [](const WriteMultipleRegistersRequest& r) {
            return Json{{"function", function_code::write_multiple_registers},
                        {"address", r.address},
                        {"count", r.values.size()},
                        {"values", words_json(r.values)}};
          },
          [](const OtherRequest& r) {
            return Json{{"function", r.function}, {"data", hex_bytes(r.data)}};
          },
      },
      *request);
}

Json response_json(const Response& response) {
  return std::visit(Overloaded{
                        [](const ReadRegistersResponse& r) {
                          return Json{{"function", r.function}, {"values", words_json(r.words)}};
                        },
                        [](const WriteSingleRegisterResponse& r) {
                          return write_single_json(r.address, r.value);
                        },
                        [](const WriteMultipleRegistersResponse& r) {
                          return Json{{"function", function_code::write_multiple_registers},
                                      {"address", r.address},
                                      {"count", r.count}};
                        },
                        [](const ExceptionResponse& r) {
                          Json j{{"function", function_of(Response{r})},
                                 {"exception", static_cast<std::uint8_t>(r.code)}};
                          if (const std::string_view name = to_string(r.code); !name.empty()) {
                            j["exception_name"] = name;
                          }
                          return j;
                        },
                    },
                    response);
}

std::expected<std::unique_ptr<TrafficTrace>, std::string> TrafficTrace::open(
    const std::filesystem::path& path, bool wall_time) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    return std::unexpected(fmt::format("cannot open trace file {}: {}; choose another with --trace",
                                       path.string(), std::strerror(errno)));
  }
  return std::unique_ptr<TrafficTrace>(new TrafficTrace(file, wall_time));
}

TrafficTrace::~TrafficTrace() {
  std::fclose(file_);
}

void TrafficTrace::frame(const TraceSource& source, std::int64_t sim_ms, TraceDirection dir,
                         std::span<const std::uint8_t> bytes, Json decoded) {
  Json line = head(sim_ms, source.transport, source.peer);
  line["dir"] = dir == TraceDirection::in ? "in" : "out";
  line["hex"] = hex_bytes(bytes);
  line["decoded"] = std::move(decoded);
  write(line);
}

void TrafficTrace::error(const TraceSource& source, std::int64_t sim_ms, TraceDirection dir,
                         std::span<const std::uint8_t> bytes, std::string_view reason) {
  Json line = head(sim_ms, source.transport, source.peer);
  line["dir"] = dir == TraceDirection::in ? "in" : "out";
  line["hex"] = hex_bytes(bytes);
  line["error"] = reason;
  write(line);
}

void TrafficTrace::event(std::uint32_t serial_bcd, std::int64_t sim_ms, std::string_view text) {
  Json line = head(sim_ms, "meter", fmt::format("{:08X}", serial_bcd));
  line["event"] = text;
  write(line);
}

Json TrafficTrace::head(std::int64_t sim_ms, std::string_view transport,
                        std::string_view peer) const {
  Json line = Json::object();
  if (wall_time_) line["t"] = iso8601_utc(std::chrono::system_clock::now());
  line["sim_ms"] = sim_ms;
  line["transport"] = transport;
  line["peer"] = peer;
  return line;
}

void TrafficTrace::write(const Json& line) {
  const std::string text = line.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::fputs(text.c_str(), file_);
  std::fputc('\n', file_);
  std::fflush(file_);
}

}  // namespace ambi
