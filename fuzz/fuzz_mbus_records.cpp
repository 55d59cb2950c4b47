// Fuzzes the M-bus record layer: the record splitter, the RSP_UD decoder and the SND_UD
// write planner on any bytes. Records split from a block cover it exactly (fillers aside),
// every value decodes to what it encodes back to, and a write that is refused changes nothing.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/mbus/mbus_readout.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace ambi;

void check_records(std::span<const std::uint8_t> block) {
  const auto records = parse_records(block);
  if (!records) {
    fuzz::require(records.error().offset <= block.size());
    return;
  }
  std::size_t covered = 0;
  for (const MbusRecord& record : *records) {
    fuzz::require(!record.header.empty());
    covered += record.header.size() + record.data.size();
    const auto value = decode_value(record.header[0], record.data);
    if (value)
      fuzz::require(decode_value(record.header[0], encode_value(record.header[0], *value)) ==
                    value);
  }
  fuzz::require(covered <= block.size());
}

void check_write(std::span<const std::uint8_t> block) {
  static const Meter kStart = fuzz::loaded_meter();
  const auto commands = plan_mbus_write(block);
  if (!commands) return;
  Meter meter = kStart;
  if (!meter.apply_all(*commands, Origin{Source::mbus, {}})) {
    fuzz::require(meter.state() == kStart.state());
    return;
  }
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    if (is_legal_counter(i)) fuzz::require(meter.registers().mwh(i) >= kStart.registers().mwh(i));
  }
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the entry point libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> block(data, size);
  check_records(block);
  check_write(block);
  const auto readout = decode_rsp_ud(block);
  if (readout) {
    for (const MbusValue& v : readout->values) {
      if (v.def != nullptr) fuzz::require(v.record.header.size() == v.def->header.size);
    }
  }
  return 0;
}
