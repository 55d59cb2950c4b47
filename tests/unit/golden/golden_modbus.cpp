// The decode of a Modbus frame for the golden corpus: framing (RTU CRC, MBAP header), the
// typed request or response of the PDU codec with exception names, and the registers a
// request writes or a read response carries, decoded through the register map.
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <variant>

#include "core/codec/hex.hpp"
#include "core/modbus/modbus_codec.hpp"
#include "core/modbus/modbus_map.hpp"
#include "core/modbus/modbus_mbap.hpp"
#include "core/modbus/modbus_rtu.hpp"
#include "golden_corpus.hpp"

namespace ambi::golden {
namespace {

std::string function_name(std::uint8_t function) {
  switch (function) {
    case function_code::read_holding_registers:
      return "03 read holding registers";
    case function_code::read_input_registers:
      return "04 read input registers";
    case function_code::write_single_register:
      return "06 write single register";
    case function_code::write_multiple_registers:
      return "10 write multiple registers";
    default:
      return hex2(function);
  }
}

/// "230 V", "19020246", "9995/5", "F": one register's words as the map decodes them.
std::string register_text(const RegisterDef& def, std::span<const std::uint16_t> words) {
  if (def.encoding == Encoding::float_abcd) {
    const float f = std::bit_cast<float>((std::uint32_t{words[0]} << 16) | words[1]);
    if (def.unit == Unit::none) return fmt::format("{}", f);
    return fmt::format("{} {}", f, unit_symbol(def.unit));
  }
  const auto value = decode_register(def, words, DataType::standard);
  if (!value) return "malformed";
  if (def.encoding == Encoding::ascii) return std::string(1, static_cast<char>(*value));
  if (def.encoding == Encoding::ct_ratio_bcd)
    return fmt::format("{}/{}", *value / 10'000, *value % 10'000);
  if (def.unit == Unit::none) return fmt::format("{}", *value);
  return fmt::format("{} {}", *value, unit_symbol(def.unit));
}

/// "4000 serial_number = 19020246" for every register wholly inside the words from `start`.
Json registers(std::uint16_t start, std::span<const std::uint16_t> words) {
  Json out = Json::array();
  const std::size_t end = std::size_t{start} + words.size();
  for (const RegisterDef& def : register_map()) {
    if (def.address < start || def.end() > end) continue;
    const auto own = words.subspan(def.address - start, def.words);
    out.push_back(fmt::format("{} {} = {}", hex4(def.address), def.name, register_text(def, own)));
  }
  return out;
}

Json request_json(const ParsedRequest& parsed) {
  if (!parsed) {
    static constexpr std::string_view kKinds[] = {"empty", "bad length", "bad count",
                                                  "bad byte count"};
    const RequestError& e = parsed.error();
    Json j{{"function", function_name(e.function)},
           {"error", kKinds[static_cast<std::size_t>(e.kind)]}};
    if (e.fields) {
      j["address"] = hex4(e.fields->address);
      j["count"] = e.fields->count;
    }
    if (e.exception()) j["server_answers"] = to_string(*e.exception());
    return j;
  }
  return std::visit(
      [](const auto& r) -> Json {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, ReadRegistersRequest>) {
          return {{"function", function_name(r.function)},
                  {"address", hex4(r.address)},
                  {"count", r.count}};
        } else if constexpr (std::is_same_v<T, WriteSingleRegisterRequest>) {
          const std::uint16_t word = r.value;
          return {{"function", function_name(function_code::write_single_register)},
                  {"address", hex4(r.address)},
                  {"value", hex4(r.value)},
                  {"registers", registers(r.address, std::span(&word, 1))}};
        } else if constexpr (std::is_same_v<T, WriteMultipleRegistersRequest>) {
          const std::vector<std::uint16_t> words = r.values.to_vector();
          return {{"function", function_name(function_code::write_multiple_registers)},
                  {"address", hex4(r.address)},
                  {"count", words.size()},
                  {"registers", registers(r.address, words)}};
        } else {
          return {{"function", function_name(r.function)}, {"data", hex_bytes(r.data)}};
        }
      },
      *parsed);
}

Json response_json(const ParsedResponse& parsed, const ParsedRequest* request) {
  if (!parsed) {
    static constexpr std::string_view kKinds[] = {"empty", "wrong function", "bad length",
                                                  "bad byte count", "echo mismatch"};
    return {{"function", hex2(parsed.error().function)},
            {"error", kKinds[static_cast<std::size_t>(parsed.error().kind)]}};
  }
  return std::visit(
      [&](const auto& r) -> Json {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, ReadRegistersResponse>) {
          Json j{{"function", function_name(r.function)}, {"count", r.words.size()}};
          const auto* read = request != nullptr && request->has_value()
                                 ? std::get_if<ReadRegistersRequest>(&**request)
                                 : nullptr;
          if (read != nullptr) j["registers"] = registers(read->address, r.words.to_vector());
          return j;
        } else if constexpr (std::is_same_v<T, WriteSingleRegisterResponse>) {
          return {{"function", function_name(function_code::write_single_register)},
                  {"address", hex4(r.address)},
                  {"value", hex4(r.value)}};
        } else if constexpr (std::is_same_v<T, WriteMultipleRegistersResponse>) {
          return {{"function", function_name(function_code::write_multiple_registers)},
                  {"address", hex4(r.address)},
                  {"count", r.count}};
        } else {
          return {{"function", function_name(r.function)},
                  {"exception", fmt::format("{} {}", hex2(static_cast<std::uint8_t>(r.code)),
                                            to_string(r.code))}};
        }
      },
      *parsed);
}

/// The response PDU parsed on its own, or as the answer to the paired request's PDU.
Json response_pdu_json(std::span<const std::uint8_t> pdu,
                       std::span<const std::uint8_t> request_pdu) {
  if (request_pdu.empty()) return response_json(parse_response(pdu), nullptr);
  const ParsedRequest request = parse_request(request_pdu);
  if (!request) return response_json(parse_response(pdu), &request);
  return response_json(parse_response(pdu, *request), &request);
}

Json rtu_request_frames(std::span<const std::uint8_t> bytes) {
  RtuFramer framer;
  framer.push(bytes);
  Json frames = Json::array();
  for (RtuEvent event = framer.poll();; event = framer.poll()) {
    if (std::holds_alternative<RtuNeedMore>(event)) event = framer.on_silence();
    if (std::holds_alternative<RtuNeedMore>(event)) break;
    if (const auto* frame = std::get_if<RtuFrame>(&event)) {
      frames.push_back(
          {{"unit", frame->unit()}, {"request", request_json(parse_request(frame->pdu()))}});
    } else {
      const auto& discard = std::get<RtuDiscard>(event);
      frames.push_back({{"discarded", to_string(discard.reason)}, {"bytes", discard.bytes}});
    }
  }
  return frames;
}

Json mbap_request_frames(std::span<const std::uint8_t> bytes) {
  MbapFramer framer;
  framer.push(bytes);
  Json frames = Json::array();
  for (MbapEvent event = framer.poll();; event = framer.poll()) {
    if (const auto* frame = std::get_if<MbapFrame>(&event)) {
      frames.push_back({{"transaction", frame->transaction},
                        {"unit", frame->unit},
                        {"request", request_json(parse_request(frame->pdu))}});
      continue;
    }
    if (const auto* error = std::get_if<MbapError>(&event)) {
      frames.push_back({{"connection_dropped", to_string(error->reason)}, {"value", error->value}});
    } else if (framer.buffered() > 0) {
      frames.push_back({{"incomplete", framer.buffered()}});
    }
    return frames;
  }
}

/// The PDUs of the request frames in `request` (a stream), in order.
std::vector<Bytes> request_pdus(std::span<const std::uint8_t> request, bool rtu) {
  std::vector<Bytes> out;
  if (rtu) {
    RtuFramer framer;
    framer.push(request);
    for (RtuEvent e = framer.poll(); !std::holds_alternative<RtuNeedMore>(e); e = framer.poll()) {
      if (const auto* frame = std::get_if<RtuFrame>(&e))
        out.emplace_back(frame->pdu().begin(), frame->pdu().end());
    }
    return out;
  }
  MbapFramer framer;
  framer.push(request);
  for (MbapEvent e = framer.poll(); std::holds_alternative<MbapFrame>(e); e = framer.poll()) {
    out.push_back(std::get<MbapFrame>(e).pdu);
  }
  return out;
}

/// The length of the RTU response frame at the start of `bytes` from its function code:
/// | unit | fc | byte count | words | CRC | for reads, 8 bytes for writes, 5 for exceptions.
std::size_t rtu_reply_length(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 5) return bytes.size();
  const std::uint8_t function = bytes[1];
  if ((function & kExceptionBit) != 0) return 5;
  if (is_read_function(function)) return std::min(bytes.size(), std::size_t{5} + bytes[2]);
  return std::min<std::size_t>(bytes.size(), 8);
}

Json rtu_replies(std::span<const std::uint8_t> bytes, const std::vector<Bytes>& requests) {
  Json frames = Json::array();
  for (std::size_t at = 0, i = 0; at < bytes.size(); ++i) {
    const auto frame = bytes.subspan(at, rtu_reply_length(bytes.subspan(at)));
    at += frame.size();
    if (frame.size() < 4) {
      frames.push_back({{"error", "shorter than an RTU frame"}});
      continue;
    }
    const std::span<const std::uint8_t> asked =
        i < requests.size() ? std::span<const std::uint8_t>(requests[i]) : frame.first(0);
    frames.push_back({{"unit", frame[0]},
                      {"crc", rtu_crc_matches(frame) ? "ok" : "bad"},
                      {"response", response_pdu_json(frame.subspan(1, frame.size() - 3), asked)}});
  }
  return frames;
}

Json mbap_replies(std::span<const std::uint8_t> bytes, const std::vector<Bytes>& requests) {
  Json frames = Json::array();
  for (std::size_t at = 0, i = 0; at < bytes.size(); ++i) {
    const auto rest = bytes.subspan(at);
    if (rest.size() < kMbapHeader + 1) {
      frames.push_back({{"error", "shorter than an MBAP frame"}});
      break;
    }
    const std::size_t size = std::min(rest.size(), std::size_t{6} + be16(rest, 4));
    at += size;
    const std::span<const std::uint8_t> asked =
        i < requests.size() ? std::span<const std::uint8_t>(requests[i]) : rest.first(0);
    frames.push_back(
        {{"transaction", be16(rest, 0)},
         {"protocol", be16(rest, 2)},
         {"length", be16(rest, 4)},
         {"unit", rest[6]},
         {"response", response_pdu_json(rest.subspan(kMbapHeader, size - kMbapHeader), asked)}});
  }
  return frames;
}

}  // namespace

Json decode_modbus(const CorpusFile& file, std::span<const std::uint8_t> request) {
  const bool rtu = file.framing == Framing::rtu;
  Json j{{"framing", rtu ? "rtu" : "mbap"}, {"direction", file.reply ? "reply" : "request"}};
  if (file.reply) {
    const std::vector<Bytes> asked = request_pdus(request, rtu);
    j["frames"] = rtu ? rtu_replies(file.bytes, asked) : mbap_replies(file.bytes, asked);
  } else {
    j["frames"] = rtu ? rtu_request_frames(file.bytes) : mbap_request_frames(file.bytes);
  }
  return j;
}

}  // namespace ambi::golden
