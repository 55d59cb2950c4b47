// The decode of M-bus telegrams for the golden corpus: the framer's telegrams and discards,
// the C-field's function, and the CI-field's meaning: the records of an SND_UD (CI 51) by
// the Write table's names, the secondary address of a selection (CI 52, F wildcards kept),
// the baud rate of CI B8-BD, the header and named records of an RSP_UD (CI 72).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <variant>

#include "core/codec/hex.hpp"
#include "core/mbus/mbus_data_header.hpp"
#include "core/mbus/mbus_frame.hpp"
#include "core/mbus/mbus_readout.hpp"
#include "core/mbus/mbus_records.hpp"
#include "golden_corpus.hpp"

namespace ambi::golden {
namespace {

constexpr std::array<std::string_view, 4> kFormats{"single", "short", "control", "long"};

/// The function of a C-field with the FCB and FCV masked (EN 13757-2 5.4).
std::string_view function_name(std::uint8_t c) {
  switch (c & ~(c_field::fcb | c_field::fcv)) {
    case c_field::snd_nke:
      return "SND_NKE";
    case c_field::snd_ud & ~c_field::fcv:
      return "SND_UD";
    case c_field::req_ud1 & ~c_field::fcv:
      return "REQ_UD1";
    case c_field::req_ud2 & ~c_field::fcv:
      return "REQ_UD2";
    case c_field::rsp_ud:
      return "RSP_UD";
    default:
      return "unknown";
  }
}

/// CI B8-BD: 300 ... 9600 baud (manual A2.2 Write table).
std::optional<int> baud_of(std::uint8_t ci) {
  if (ci < ci_field::baud_300 || ci > ci_field::baud_9600) return std::nullopt;
  constexpr std::array<int, 6> kRates{300, 600, 1200, 2400, 4800, 9600};
  return kRates[static_cast<std::size_t>(ci - ci_field::baud_300)];
}

std::string_view write_name(const MbusRecord& record) {
  for (const MbusWriteDef& def : mbus_write_records()) {
    const auto header = def.header.view();
    if (std::equal(header.begin(), header.end(), record.header.begin(), record.header.end()))
      return def.name;
  }
  return "not in the Write table";
}

Json write_records(std::span<const std::uint8_t> data) {
  const auto records = parse_records(data);
  if (!records) return {{"error", "malformed record block"}, {"offset", records.error().offset}};
  Json out = Json::array();
  for (const MbusRecord& r : *records) {
    Json record{
        {"header", hex_bytes(r.header)}, {"data", hex_bytes(r.data)}, {"name", write_name(r)}};
    // The data field as its DIF codes it (BCD LSB first, or binary); none when malformed.
    const auto value = decode_value(r.header[0], r.data);
    record["value"] = value ? Json(*value) : Json(nullptr);
    out.push_back(std::move(record));
  }
  return out;
}

/// CI 52: | id 4 BCD LSB first | manufacturer | version | medium |, an F nibble a wildcard.
Json selection(std::span<const std::uint8_t> data) {
  if (data.size() != 8) return {{"error", "a selection has 8 data bytes"}};
  const std::uint16_t manufacturer = static_cast<std::uint16_t>(data[4] | (data[5] << 8));
  return {{"id", fmt::format("{:02X}{:02X}{:02X}{:02X}", data[3], data[2], data[1], data[0])},
          {"manufacturer",
           manufacturer == 0xFFFF ? std::string("FFFF (any)") : manufacturer_letters(manufacturer)},
          {"version", hex2(data[6])},
          {"medium", hex2(data[7])}};
}

/// "230.12 V", "1234567 W", "9995/5" (the CT record: 4 digits primary, 2 secondary).
std::string record_text(const MbusRecordDef& def, std::int64_t value) {
  if (def.name == "ct_ratio") return fmt::format("{}/{}", value / 100, value % 100);
  if (def.unit == "-") return fmt::format("{}", in_unit(def, value));
  return fmt::format("{} {}", in_unit(def, value), def.unit);
}

Json readout(std::span<const std::uint8_t> data) {
  const auto decoded = decode_rsp_ud(data);
  if (!decoded) return {{"error", "undecodable RSP_UD"}, {"offset", decoded.error().offset}};
  const MbusDataHeader& h = decoded->header;
  Json records = Json::array();
  for (const MbusValue& v : decoded->values) {
    if (v.def == nullptr) {
      records.push_back(
          fmt::format("unknown {} = {}", hex_bytes(v.record.header), hex_bytes(v.record.data)));
    } else if (!v.value) {
      records.push_back(fmt::format("{} = undecodable {}", v.def->name, hex_bytes(v.record.data)));
    } else {
      records.push_back(fmt::format("{} = {}", v.def->name, record_text(*v.def, *v.value)));
    }
  }
  return {{"id", fmt::format("{:08X}", h.id_bcd)},
          {"manufacturer", manufacturer_letters(h.manufacturer)},
          {"version", h.version},
          {"medium", hex2(h.medium)},
          {"access_number", h.access_number},
          {"status", hex2(h.status)},
          {"signature", hex4(h.signature)},
          {"records", std::move(records)}};
}

void add_ci(Json& j, const MbusFrame& frame) {
  j["ci"] = hex2(frame.ci);
  if (const auto baud = baud_of(frame.ci); baud && frame.kind == MbusFrameKind::control) {
    j["baud"] = *baud;
  } else if (frame.ci == ci_field::data_send) {
    j["records"] = write_records(frame.data);
  } else if (frame.ci == ci_field::select_slave) {
    j["select"] = selection(frame.data);
  } else if (frame.ci == ci_field::application_reset) {
    j["application_reset"] = hex_bytes(frame.data);
  } else if (frame.ci == ci_field::rsp_ud_variable && frame.c == c_field::rsp_ud) {
    j["rsp_ud"] = readout(frame.data);
  } else {
    j["data"] = hex_bytes(frame.data);
  }
}

Json telegram(const MbusFrame& frame) {
  Json j{{"format", kFormats[static_cast<std::size_t>(frame.kind)]}};
  if (frame.kind == MbusFrameKind::single) {
    j["function"] = "ACK";
    return j;
  }
  j["function"] = function_name(frame.c);
  j["c"] = hex2(frame.c);
  j["a"] = frame.a;
  if ((frame.c & 0x40U) != 0 && frame.c != c_field::snd_nke) {
    j["fcb"] = (frame.c & c_field::fcb) != 0 ? 1 : 0;
    j["fcv"] = (frame.c & c_field::fcv) != 0 ? 1 : 0;
  }
  if (frame.kind != MbusFrameKind::short_frame) add_ci(j, frame);
  return j;
}

}  // namespace

Json decode_mbus(std::span<const std::uint8_t> bytes) {
  MbusFramer framer;
  framer.push(bytes);
  Json telegrams = Json::array();
  for (MbusEvent event = framer.poll(); !std::holds_alternative<MbusNeedMore>(event);
       event = framer.poll()) {
    if (const auto* frame = std::get_if<MbusFrame>(&event)) {
      telegrams.push_back(telegram(*frame));
    } else {
      const auto& discard = std::get<MbusDiscard>(event);
      telegrams.push_back({{"discarded", to_string(discard.reason)}, {"bytes", discard.bytes}});
    }
  }
  if (framer.buffered() > 0) telegrams.push_back({{"incomplete", framer.buffered()}});
  return telegrams;
}

}  // namespace ambi::golden
