// Decoding an RSP_UD: the data header, then each record looked up in the Read table.
#include "core/mbus/mbus_readout.hpp"

namespace ambi {

std::expected<MbusReadout, MbusParseError> decode_rsp_ud(std::span<const std::uint8_t> user_data) {
  const auto header = decode_data_header(user_data);
  if (!header) {
    return std::unexpected(MbusParseError{MbusParseError::Kind::short_header, user_data.size()});
  }
  MbusReadout out{*header, {}};
  auto records = parse_records(user_data.subspan(kMbusDataHeaderSize));
  if (!records) {
    MbusParseError error = records.error();
    error.offset += kMbusDataHeaderSize;
    return std::unexpected(error);
  }
  out.values.reserve(records->size());
  for (MbusRecord& record : *records) {
    const MbusRecordDef* def = find_mbus_record(record.header);
    const auto value = decode_value(record.header[0], record.data);
    out.values.push_back({def, std::move(record), value});
  }
  return out;
}

}  // namespace ambi
