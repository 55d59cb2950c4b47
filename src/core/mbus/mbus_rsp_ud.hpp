#pragma once
// The meter's RSP_UD (manual A2.2): the data header it sends and every record of the Read
// table, first as values (what the meter answers, typed), then as the user data bytes that
// follow CI 72.

#include <cstdint>
#include <vector>

#include "core/mbus/mbus_data_header.hpp"

namespace ambi {

class Meter;

/// One RSP_UD as the meter built it, before encoding.
struct MbusRspUd {
  std::uint8_t address = 0;  ///< the A-field it is sent from: the primary address then
  MbusDataHeader header;
  /// One value per record of `mbus_read_records()`, in that order, in steps of the record's
  /// resolution and limited to what its data field carries (so exactly what is sent).
  std::vector<std::int64_t> values;
  friend bool operator==(const MbusRspUd&, const MbusRspUd&) = default;
};

/// The header the meter sends: secondary address, INM, major software version, electricity,
/// `access_number`, status 00 (02 when the meter reports an error code), signature 0.
[[nodiscard]] MbusDataHeader meter_data_header(const Meter& meter, std::uint8_t access_number);
/// The meter's RSP_UD now, with `access_number`.
[[nodiscard]] MbusRspUd build_rsp_ud(const Meter& meter, std::uint8_t access_number);
/// The user data of an RSP_UD (after CI 72): the header, then every record.
[[nodiscard]] std::vector<std::uint8_t> encode_rsp_ud(const MbusRspUd& rsp_ud);
/// The whole telegram: | 68 L L 68 | C 08 | A | CI 72 | user data | CS | 16 |.
[[nodiscard]] std::vector<std::uint8_t> encode_rsp_ud_frame(const MbusRspUd& rsp_ud);
/// `encode_rsp_ud(build_rsp_ud(meter, access_number))`.
[[nodiscard]] std::vector<std::uint8_t> encode_rsp_ud(const Meter& meter,
                                                      std::uint8_t access_number);

}  // namespace ambi
