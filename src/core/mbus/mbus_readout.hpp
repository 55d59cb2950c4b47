#pragma once
// A reader's side of the RSP_UD: the user data after CI 72 decoded back into the data
// header and named values through the record table.

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <vector>

#include "core/mbus/mbus_data_header.hpp"
#include "core/mbus/mbus_record_codec.hpp"
#include "core/mbus/mbus_records.hpp"

namespace ambi {

/// A decoded record: the table's definition when known, and its value when decodable.
struct MbusValue {
  const MbusRecordDef* def = nullptr;
  MbusRecord record;
  std::optional<std::int64_t> value;
};
/// A decoded RSP_UD.
struct MbusReadout {
  MbusDataHeader header;
  std::vector<MbusValue> values;
};
/// Decodes RSP_UD user data (after CI 72). Records the table does not know are kept with
/// `def == nullptr`.
[[nodiscard]] std::expected<MbusReadout, MbusParseError> decode_rsp_ud(
    std::span<const std::uint8_t> user_data);

}  // namespace ambi
