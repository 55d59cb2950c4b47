// The register map and the record table as markdown, JSON and CSV (docs/tools.md "map").
#include "tools/map_export.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iterator>
#include <span>
#include <vector>

#include "core/codec/hex.hpp"
#include "core/mbus/mbus_records.hpp"
#include "core/mbus/mbus_records_docs.hpp"
#include "core/modbus/modbus_map.hpp"
#include "io/csv.hpp"
#include "io/json.hpp"

namespace ambi {
namespace {

// ---- what both renderings say about an entry ------------------------------------------

/// "V", "kWh"; "" for a register without a unit.
std::string_view register_unit(const RegisterDef& def) {
  const std::string_view symbol = unit_symbol(def.unit);
  return symbol == "-" ? std::string_view{} : symbol;
}

/// The function codes that write the register: none, FC 06 and 16 (one word), FC 16.
std::vector<int> write_codes(const RegisterDef& def) {
  if (def.access() == Access::read) return {};
  if (def.words == 1) return {6, 16};
  return {16};
}

/// The unit per least significant bit in integer data mode (4026 = 2); nullopt when the
/// register stays as it is.
std::optional<double> integer_scale(const RegisterDef& def) {
  if (!sent_as_integer(def, DataType::integer)) return std::nullopt;
  return static_cast<double>(integer_lsb_nano(def.unit)) / static_cast<double>(kNanoPerUnit);
}

/// The DIF/DIFE and VIF/VIFE bytes of a record header, as hex pairs.
struct HeaderText {
  std::string dib;
  std::string vib;
};
HeaderText header_text(const MbusHeader& header) {
  const auto bytes = header.view();
  const std::size_t dib = dib_size(bytes);
  return {hex_bytes(bytes.first(dib)), hex_bytes(bytes.subspan(dib))};
}

/// "Wh", "V"; "" for a plain number (the table's "-").
std::string_view record_unit(const MbusRecordDef& def) {
  return def.unit == "-" ? std::string_view{} : def.unit;
}

std::string_view format_name(MbusFormat format) {
  switch (format) {
    case MbusFormat::tariff:
      return "tariff";
    case MbusFormat::ct_ratio:
      return "ct_ratio";
    case MbusFormat::scaled:
      break;
  }
  return "scaled";
}

// ---- JSON -------------------------------------------------------------------------------

Json nullable(std::string_view text) {
  return text.empty() ? Json(nullptr) : Json(text);
}

Json register_json(const RegisterDef& def) {
  Json integer = nullptr;
  if (const auto scale = integer_scale(def)) integer = {{"data_type", "int32"}, {"scale", *scale}};
  return {{"address", def.address},
          {"address_hex", fmt::format("0x{:04X}", def.address)},
          {"name", def.name},
          {"description", def.description},
          {"group", nullable(to_string(def.group))},
          {"words", def.words},
          {"encoding", to_string(def.encoding)},
          {"unit", nullable(register_unit(def))},
          {"access", def.access() == Access::read ? "read" : "read_write"},
          {"write_function_codes", write_codes(def)},
          {"integer_mode", integer}};
}

Json read_record_json(const MbusRecordDef& def, int index) {
  const HeaderText h = header_text(def.header);
  return {{"index", index},
          {"name", def.name},
          {"description", def.description},
          {"group", to_string(def.group)},
          {"dif_dife", h.dib},
          {"vif_vife", h.vib},
          {"data", mbus_coding_name(def.header.dif())},
          {"unit", nullable(record_unit(def))},
          {"exponent", def.exponent},
          {"resolution", std::pow(10.0, def.exponent)},
          {"format", format_name(def.format)},
          {"example", def.example},
          {"example_bytes", hex_bytes(encode_value(def.header.dif(), def.example))}};
}

Json write_record_json(const MbusWriteDef& def) {
  const HeaderText h = header_text(def.header);
  return {{"name", def.name},
          {"description", def.description},
          {"dif_dife", h.dib},
          {"vif_vife", h.vib},
          {"data", mbus_coding_name(def.header.dif())}};
}

std::string render_json(MapTables tables) {
  Json out = Json::object();
  if (tables != MapTables::mbus) {
    Json registers = Json::array();
    for (const RegisterDef& def : register_map()) registers.push_back(register_json(def));
    out["modbus"] = {{"manual", "A3.2"}, {"registers", std::move(registers)}};
  }
  if (tables != MapTables::modbus) {
    Json read = Json::array();
    int index = 0;
    for (const MbusRecordDef& def : mbus_read_records()) {
      read.push_back(read_record_json(def, ++index));
    }
    Json write = Json::array();
    for (const MbusWriteDef& def : mbus_write_records()) write.push_back(write_record_json(def));
    out["mbus"] = {{"manual", "A2.2"}, {"read", std::move(read)}, {"write", std::move(write)}};
  }
  return out.dump(2) + "\n";
}

// ---- CSV --------------------------------------------------------------------------------

/// One row's fields by column of `kMapCsvHeader`; empty where the column does not apply.
struct CsvRow {
  std::string_view table{};
  std::string name{};
  std::string description{};
  std::string group{};
  std::string address{};
  std::string words{};
  std::string encoding{};
  std::string unit{};
  std::string access{};
  std::string write_fc{};
  std::string integer_scale{};
  std::string dif_dife{};
  std::string vif_vife{};
  std::string exponent{};
  std::string example{};
};

void append_row(std::string& out, const CsvRow& r) {
  const std::string_view fields[] = {
      r.table,  r.name,     r.description,   r.group,    r.address,  r.words,    r.encoding, r.unit,
      r.access, r.write_fc, r.integer_scale, r.dif_dife, r.vif_vife, r.exponent, r.example};
  bool first = true;
  for (const std::string_view field : fields) {
    if (!first) out += ',';
    first = false;
    out += csv_field(field);
  }
  out += '\n';
}

CsvRow register_row(const RegisterDef& def) {
  std::string codes;
  for (const int code : write_codes(def)) {
    codes += fmt::format("{}{:02}", codes.empty() ? "" : " ", code);
  }
  const auto scale = integer_scale(def);
  return {.table = "modbus",
          .name = std::string(def.name),
          .description = std::string(def.description),
          .group = std::string(to_string(def.group)),
          .address = fmt::format("0x{:04X}", def.address),
          .words = fmt::format("{}", def.words),
          .encoding = std::string(to_string(def.encoding)),
          .unit = std::string(register_unit(def)),
          .access = def.access() == Access::read ? "read" : "read_write",
          .write_fc = codes,
          .integer_scale = scale ? fmt::format("{:g}", *scale) : ""};
}

CsvRow read_record_row(const MbusRecordDef& def) {
  HeaderText h = header_text(def.header);
  return {.table = "mbus_read",
          .name = std::string(def.name),
          .description = std::string(def.description),
          .group = std::string(to_string(def.group)),
          .encoding = mbus_coding_name(def.header.dif()),
          .unit = std::string(record_unit(def)),
          .access = "read",
          .dif_dife = std::move(h.dib),
          .vif_vife = std::move(h.vib),
          .exponent = fmt::format("{}", def.exponent),
          .example = fmt::format("{}", def.example)};
}

CsvRow write_record_row(const MbusWriteDef& def) {
  HeaderText h = header_text(def.header);
  return {.table = "mbus_write",
          .name = std::string(def.name),
          .description = std::string(def.description),
          .encoding = mbus_coding_name(def.header.dif()),
          .access = "write",
          .dif_dife = std::move(h.dib),
          .vif_vife = std::move(h.vib)};
}

std::string render_csv(MapTables tables) {
  std::string out{kMapCsvHeader};
  out += '\n';
  if (tables != MapTables::mbus) {
    for (const RegisterDef& def : register_map()) append_row(out, register_row(def));
  }
  if (tables != MapTables::modbus) {
    for (const MbusRecordDef& def : mbus_read_records()) append_row(out, read_record_row(def));
    for (const MbusWriteDef& def : mbus_write_records()) append_row(out, write_record_row(def));
  }
  return out;
}

// ---- markdown ---------------------------------------------------------------------------

std::string render_md(MapTables tables) {
  std::string out;
  if (tables != MapTables::mbus) {
    out += "# Modbus registers (manual A3.2)\n\n" + render_register_markdown();
  }
  if (tables == MapTables::all) out += '\n';
  if (tables != MapTables::modbus) {
    out += "# M-bus records (manual A2.2)\n\n" + render_mbus_record_markdown();
  }
  return out;
}

}  // namespace

std::optional<MapFormat> parse_map_format(std::string_view text) {
  if (text == "md") return MapFormat::md;
  if (text == "json") return MapFormat::json;
  if (text == "csv") return MapFormat::csv;
  return std::nullopt;
}

std::optional<MapTables> parse_map_tables(std::string_view text) {
  if (text == "modbus") return MapTables::modbus;
  if (text == "mbus") return MapTables::mbus;
  if (text == "all") return MapTables::all;
  return std::nullopt;
}

std::string render_map(MapFormat format, MapTables tables) {
  switch (format) {
    case MapFormat::json:
      return render_json(tables);
    case MapFormat::csv:
      return render_csv(tables);
    case MapFormat::md:
      break;
  }
  return render_md(tables);
}

}  // namespace ambi
