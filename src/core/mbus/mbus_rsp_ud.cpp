// The meter's RSP_UD: its values from the record table's sources, then its bytes.
#include "core/mbus/mbus_rsp_ud.hpp"

#include "core/mbus/mbus_frame.hpp"
#include "core/mbus/mbus_records.hpp"
#include "core/meter/meter.hpp"

namespace ambi {

MbusDataHeader meter_data_header(const Meter& meter, std::uint8_t access_number) {
  return MbusDataHeader{meter.settings().mbus_secondary_id,
                        kManufacturerInepro,
                        static_cast<std::uint8_t>(meter.identity().software_version),
                        kMediumElectricity,
                        access_number,
                        meter.error_code() != 0 ? kStatusApplicationError : std::uint8_t{0},
                        0};
}

MbusRspUd build_rsp_ud(const Meter& meter, std::uint8_t access_number) {
  MbusRspUd out{meter.settings().mbus_id, meter_data_header(meter, access_number), {}};
  const auto defs = mbus_read_records();
  out.values.reserve(defs.size());
  for (const MbusRecordDef& def : defs)
    out.values.push_back(clamp_to_field(def.header.dif(), def.source(meter)));
  return out;
}

std::vector<std::uint8_t> encode_rsp_ud(const MbusRspUd& rsp_ud) {
  std::vector<std::uint8_t> out;
  out.reserve(kMbusMaxData);
  append_data_header(rsp_ud.header, out);
  const auto defs = mbus_read_records();
  for (std::size_t i = 0; i < defs.size() && i < rsp_ud.values.size(); ++i) {
    const auto header = defs[i].header.view();
    out.insert(out.end(), header.begin(), header.end());
    append_value(defs[i].header.dif(), rsp_ud.values[i], out);
  }
  return out;
}

std::vector<std::uint8_t> encode_rsp_ud_frame(const MbusRspUd& rsp_ud) {
  return encode_mbus(
      mbus_long(c_field::rsp_ud, rsp_ud.address, ci_field::rsp_ud_variable, encode_rsp_ud(rsp_ud)));
}

std::vector<std::uint8_t> encode_rsp_ud(const Meter& meter, std::uint8_t access_number) {
  return encode_rsp_ud(build_rsp_ud(meter, access_number));
}

}  // namespace ambi
