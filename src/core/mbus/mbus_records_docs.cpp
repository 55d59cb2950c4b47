// The markdown of docs/mbus-records.md: one row per record of the Read and Write tables.
#include "core/mbus/mbus_records_docs.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iterator>

#include "core/codec/hex.hpp"
#include "core/mbus/mbus_records.hpp"

namespace ambi {
namespace {

/// "0.01 V", "Wh", "0.01" (a plain number with a resolution), "-".
std::string unit_text(const MbusRecordDef& def) {
  const std::string step = fmt::format("{:g}", std::pow(10.0, def.exponent));
  if (def.unit == "-") return def.exponent == 0 ? "-" : step;
  return def.exponent == 0 ? std::string(def.unit) : fmt::format("{} {}", step, def.unit);
}

constexpr std::string_view kPreamble =
    "<!-- Generated from src/core/mbus/mbus_records_table.cpp by "
    "tests/unit/core/mbus/mbus_docs_test.cpp.\n"
    "     Do not edit: run the unit tests with AMBI_REGEN_DOCS=1 to rewrite it. -->\n"
    "# M-bus records\n\n"
    "The data records of the meter's RSP_UD (manual A2.2 \"Read\" and \"Read (2)\"), in the\n"
    "order they are sent, and the records the meter accepts in an SND_UD with CI 51 "
    "(\"Write\").\n"
    "See docs/mbus.md for the header, the addressing and the link layer. The group is the one\n"
    "`ambimeter read --group` files the record under; the data header is the `identity` "
    "group.\n\n";

}  // namespace

std::string mbus_coding_name(std::uint8_t dif) {
  const MbusDataField field = data_field(dif);
  if (field.coding == MbusCoding::bcd) return fmt::format("bcd{}", field.bytes * 2);
  return fmt::format("int{}", field.bytes * 8);
}

std::string render_mbus_record_table() {
  return std::string{kPreamble} + render_mbus_record_markdown();
}

std::string render_mbus_record_markdown() {
  std::string out =
      "## Read (RSP_UD, CI 72)\n\n"
      "| # | name | contents | group | DIF DIFE | VIF VIFE | data | unit | example |\n"
      "|---|---|---|---|---|---|---|---|---|\n";
  int row = 0;
  for (const MbusRecordDef& def : mbus_read_records()) {
    const auto header = def.header.view();
    const std::size_t dib = dib_size(header);
    fmt::format_to(
        std::back_inserter(out), "| {} | {} | {} | {} | {} | {} | {} | {} | {} = `{}` |\n", ++row,
        def.name, def.description, to_string(def.group), hex_bytes(header.first(dib)),
        hex_bytes(header.subspan(dib)), mbus_coding_name(def.header.dif()), unit_text(def),
        def.example, hex_bytes(encode_value(def.header.dif(), def.example)));
  }
  out +=
      "\n## Write (SND_UD, CI 51)\n\n| name | effect | DIF | VIF VIFE | data "
      "|\n|---|---|---|---|---|\n";
  for (const MbusWriteDef& def : mbus_write_records()) {
    const auto header = def.header.view();
    const std::size_t dib = dib_size(header);
    fmt::format_to(std::back_inserter(out), "| {} | {} | {} | {} | {} |\n", def.name,
                   def.description, hex_bytes(header.first(dib)), hex_bytes(header.subspan(dib)),
                   mbus_coding_name(def.header.dif()));
  }
  return out;
}

}  // namespace ambi
