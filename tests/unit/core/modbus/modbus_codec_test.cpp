// The PDU codec both ways: every function code parsed and encoded as a request and as a
// response, every malformed PDU refused with what is wrong, round trips, the exception
// names, the manual's "Command:" lines (A3.2, normative: R1) and frames real clients send.
#include "core/modbus/modbus_codec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "core/modbus/modbus_mbap.hpp"
#include "core/modbus/modbus_rtu.hpp"
#include "modbus_test_support.hpp"

namespace ambi {
namespace {

using namespace modbus_test;
using Kind = RequestError::Kind;
using ResponseKind = ResponseError::Kind;

/// The request parsed from `pdu`, asserting it parses.
Request request_of(const Bytes& pdu) {
  const ParsedRequest parsed = parse_request(pdu);
  EXPECT_TRUE(parsed.has_value()) << "refused: " << static_cast<int>(parsed.error().kind);
  return parsed ? *parsed : Request{};
}

// ---- Requests ----

TEST(ParseRequest, ReadsTheFieldsOfFc03AndFc04) {
  // | fc | address | count |
  //   03   40 00     00 02
  const Bytes fc03 = hex("03 4000 0002");
  EXPECT_EQ(request_of(fc03), Request{(ReadRegistersRequest{0x03, 0x4000, 2})});
  // | fc | address | count 125 |
  //   04   50 00     00 7D
  const Bytes fc04 = hex("04 5000 007D");
  EXPECT_EQ(request_of(fc04), Request{(ReadRegistersRequest{0x04, 0x5000, 125})});
}

TEST(ParseRequest, ReadsTheAddressAndValueOfFc06) {
  // | fc | address | value |
  //   06   40 03     00 0A
  const Bytes pdu = hex("06 4003 000A");
  EXPECT_EQ(request_of(pdu), Request{(WriteSingleRegisterRequest{0x4003, 0x000A})});
}

TEST(ParseRequest, ViewsTheValuesOfFc16InThePdu) {
  // | fc | address | count | bytes | values    |
  //   10   40 1F     00 02   04      99 95 00 05
  const Bytes pdu = hex("10 401F 0002 04 9995 0005");
  const Request request = request_of(pdu);
  const auto& write = std::get<WriteMultipleRegistersRequest>(request);
  EXPECT_EQ(write.address, 0x401F);
  EXPECT_EQ(write.values.to_vector(), (std::vector<std::uint16_t>{0x9995, 0x0005}));
  EXPECT_EQ(write.values.bytes().data(), pdu.data() + 6);  // a view, not a copy
}

TEST(ParseRequest, TakesAnyOtherFunctionCodeAsItsData) {
  // | fc 2B | MEI 0E | read code 01 | object 00 |
  const Bytes pdu = hex("2B 0E 01 00");
  const Request request = request_of(pdu);
  const auto& other = std::get<OtherRequest>(request);
  EXPECT_EQ(other.function, 0x2B);
  EXPECT_EQ(Bytes(other.data.begin(), other.data.end()), hex("0E 01 00"));
  EXPECT_EQ(function_of(request), 0x2B);
  EXPECT_TRUE(std::holds_alternative<OtherRequest>(request_of(hex("01 0000 0001"))));
  EXPECT_TRUE(std::holds_alternative<OtherRequest>(request_of(hex("83"))));
}

struct Malformed {
  const char* pdu;
  RequestError::Kind kind;
  const char* why;
};
// | fc | address | count/value | (bytes | values) |
const Malformed kMalformed[] = {
    {"03", Kind::bad_length, "FC 03 without fields"},
    {"03 4000 00", Kind::bad_length, "FC 03 one byte short"},
    {"03 4000 0002 00", Kind::bad_length, "FC 03 one byte long"},
    {"03 4000 0000", Kind::bad_count, "FC 03 count 0"},
    {"03 4000 007E", Kind::bad_count, "FC 03 count 126"},
    {"04 4000 FFFF", Kind::bad_count, "FC 04 count 65535"},
    {"04 4000", Kind::bad_length, "FC 04 too short"},
    {"06 4003 00", Kind::bad_length, "FC 06 one byte short"},
    {"06 4003 000A 00", Kind::bad_length, "FC 06 one byte long"},
    {"10 400D", Kind::bad_length, "FC 16 without count"},
    {"10 400D 0002", Kind::bad_length, "FC 16 without byte count"},
    {"10 400D 0000 00", Kind::bad_count, "FC 16 count 0"},
    {"10 4000 007C F8", Kind::bad_count, "FC 16 count 124"},
    {"10 400D 0002 03 4120 00", Kind::bad_byte_count, "FC 16 byte count odd"},
    {"10 400D 0002 06 4120 0000 0000", Kind::bad_byte_count, "FC 16 byte count 3 words for 2"},
    {"10 400D 0002 04 4120 00", Kind::bad_length, "FC 16 fewer bytes than counted"},
    {"10 400D 0002 04 4120 0000 00", Kind::bad_length, "FC 16 more bytes than counted"},
};

TEST(ParseRequest, RefusesEveryMalformedPduWithWhatIsWrongAndExceptionThree) {
  for (const Malformed& bad : kMalformed) {
    SCOPED_TRACE(bad.why);
    const Bytes pdu = hex(bad.pdu);
    const ParsedRequest parsed = parse_request(pdu);
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().kind, bad.kind);
    EXPECT_EQ(parsed.error().function, pdu[0]);
    EXPECT_EQ(Bytes(parsed.error().data.begin(), parsed.error().data.end()),
              Bytes(pdu.begin() + 1, pdu.end()));
    EXPECT_EQ(parsed.error().exception(), ExceptionCode::illegal_data_value);
    EXPECT_EQ(function_of(parsed), pdu[0]);
  }
}

TEST(ParseRequest, AnEmptyPduIsNoRequestAndHasNoException) {
  const ParsedRequest parsed = parse_request({});
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind, Kind::empty);
  EXPECT_EQ(parsed.error().exception(), std::nullopt);
  EXPECT_EQ(function_of(parsed), 0);
}

TEST(ParseRequest, KeepsTheFieldsOfAPduThatFailedACountCheck) {
  // | 03 | 4000 | count 0 |: the fixed fields were all there
  EXPECT_EQ(parse_request(hex("03 4000 0000")).error().fields,
            (RequestFields{0x4000, 0, RegisterWords{}}));
  // | 10 | 400D | count 2 | bytes 04 | one word and a half |: the whole words present
  const Bytes short_write = hex("10 400D 0002 04 4120 00");
  const auto fields = parse_request(short_write).error().fields;
  ASSERT_TRUE(fields.has_value());
  EXPECT_EQ(fields->address, 0x400D);
  EXPECT_EQ(fields->count, 2);
  EXPECT_EQ(fields->values.to_vector(), (std::vector<std::uint16_t>{0x4120}));
  // | 03 | 4000 | 00 |: the fields were not complete
  EXPECT_FALSE(parse_request(hex("03 4000 00")).error().fields.has_value());
}

TEST(EncodeRequest, WritesEveryFunctionCodeAsTheSpecLaysItOut) {
  EXPECT_EQ(encode_request(ReadRegistersRequest{0x03, 0x6000, 0x0002}), hex("03 6000 0002"));
  EXPECT_EQ(encode_request(ReadRegistersRequest{0x04, 0x5002, 0x0006}), hex("04 5002 0006"));
  EXPECT_EQ(encode_request(WriteSingleRegisterRequest{0x6048, 0x0002}), hex("06 6048 0002"));
  const Bytes values = register_bytes(std::vector<std::uint16_t>{0x4120, 0x0000});
  EXPECT_EQ(values, hex("4120 0000"));
  EXPECT_EQ(encode_request(WriteMultipleRegistersRequest{0x400D, RegisterWords{values}}),
            hex("10 400D 0002 04 4120 0000"));
  const Bytes data = hex("0E 01 00");
  EXPECT_EQ(encode_request(OtherRequest{0x2B, data}), hex("2B 0E 01 00"));
  Bytes out = hex("AA");
  encode_request(WriteSingleRegisterRequest{0x4010, 0x0025}, out);
  EXPECT_EQ(out, hex("AA 06 4010 0025"));
}

TEST(EncodeRequest, GivesBackTheBytesOfEveryWellFormedRequest) {
  for (const char* text :
       {"03 4000 0001", "03 6000 007D", "04 0000 0001", "06 FFFF FFFF", "10 4003 0001 02 000A",
        "10 0000 007B F6", "2B 0E 01 00", "11", "41 0102 0304 0506"}) {
    SCOPED_TRACE(text);
    Bytes pdu = hex(text);
    if (pdu.size() == 6 && pdu[0] == 0x10) pdu.resize(6 + 246, 0x5A);  // 123 words
    EXPECT_EQ(encode_request(request_of(pdu)), pdu);
  }
}

// ---- Responses ----

const Request kRead = ReadRegistersRequest{0x03, 0x4000, 2};
const Request kWriteSingle = WriteSingleRegisterRequest{0x4010, 0x0025};
const Bytes kS0Rate = hex("4120 0000");
const Request kWriteMultiple = WriteMultipleRegistersRequest{0x400D, RegisterWords{kS0Rate}};

TEST(ParseResponse, ReadsTheWordsOfAReadResponseInPlace) {
  // | fc | bytes | serial 1902 0246 |
  //   03   04      19 02 02 46
  const Bytes pdu = hex("03 04 1902 0246");
  const ParsedResponse response = parse_response(pdu, kRead);
  ASSERT_TRUE(response.has_value());
  const auto& read = std::get<ReadRegistersResponse>(*response);
  EXPECT_EQ(read.function, 0x03);
  EXPECT_EQ(read.words.to_vector(), (std::vector<std::uint16_t>{0x1902, 0x0246}));
  EXPECT_EQ(read.words.bytes().data(), pdu.data() + 2);
  EXPECT_EQ(parse_response(pdu), response);
}

TEST(ParseResponse, ReadsTheEchoOfAWrite) {
  // | 06 | address | value |
  EXPECT_EQ(parse_response(hex("06 4010 0025"), kWriteSingle),
            ParsedResponse{(WriteSingleRegisterResponse{0x4010, 0x0025})});
  // | 10 | address | count |
  EXPECT_EQ(parse_response(hex("10 400D 0002"), kWriteMultiple),
            ParsedResponse{(WriteMultipleRegistersResponse{0x400D, 2})});
}

TEST(ParseResponse, ReadsAnExceptionToAnyFunctionCode) {
  // | fc + 80 | code |
  //   83        02
  EXPECT_EQ(parse_response(hex("83 02"), kRead),
            ParsedResponse{(ExceptionResponse{0x03, ExceptionCode::illegal_data_address})});
  EXPECT_EQ(parse_response(hex("90 04"), kWriteMultiple),
            ParsedResponse{(ExceptionResponse{0x10, ExceptionCode::server_device_failure})});
  EXPECT_EQ(parse_response(hex("AB 01"), OtherRequest{0x2B, {}}),
            ParsedResponse{(ExceptionResponse{0x2B, ExceptionCode::illegal_function})});
  // An unnamed code is still an answer.
  EXPECT_EQ(parse_response(hex("86 0C")),
            ParsedResponse{(ExceptionResponse{0x06, static_cast<ExceptionCode>(0x0C)})});
}

struct BadResponse {
  const char* pdu;
  const Request* request;  ///< nullptr: parsed on its own
  ResponseError expected;
  const char* why;
};
const BadResponse kBadResponses[] = {
    {"", &kRead, {ResponseKind::empty, 0, 0, 0}, "empty"},
    {"04 04 1902 0246", &kRead, {ResponseKind::wrong_function, 0x04, 0, 0}, "FC 04 for FC 03"},
    {"84 02", &kRead, {ResponseKind::wrong_function, 0x84, 0, 0}, "exception to FC 04"},
    {"83", &kRead, {ResponseKind::bad_length, 0x83, 0, 0}, "exception without its code"},
    {"83 02 00", &kRead, {ResponseKind::bad_length, 0x83, 0, 0}, "exception too long"},
    {"03", &kRead, {ResponseKind::bad_length, 0x03, 0, 0}, "read without byte count"},
    {"03 06 1902 0246 0000", &kRead, {ResponseKind::bad_byte_count, 0x03, 6, 4}, "3 words for 2"},
    {"03 04 1902 02", &kRead, {ResponseKind::bad_byte_count, 0x03, 4, 4}, "bytes missing"},
    {"03 04 1902 0246 00", &kRead, {ResponseKind::bad_byte_count, 0x03, 4, 4}, "a byte extra"},
    {"06 4010 0026", &kWriteSingle, {ResponseKind::echo_mismatch, 0x06, 0, 0}, "other value"},
    {"06 4011 0025", &kWriteSingle, {ResponseKind::echo_mismatch, 0x06, 0, 0}, "other address"},
    {"06 4010 00", &kWriteSingle, {ResponseKind::bad_length, 0x06, 0, 0}, "FC 06 short"},
    {"10 400D 0001", &kWriteMultiple, {ResponseKind::echo_mismatch, 0x10, 0, 0}, "other count"},
    {"10 400D 0002 00", &kWriteMultiple, {ResponseKind::bad_length, 0x10, 0, 0}, "FC 16 long"},
    {"06 4010 0025", &kWriteMultiple, {ResponseKind::wrong_function, 0x06, 0, 0}, "FC 06 for 16"},
    {"2B 0E", nullptr, {ResponseKind::wrong_function, 0x2B, 0, 0}, "unknown on its own"},
    {"03 03 1902 02", nullptr, {ResponseKind::bad_byte_count, 0x03, 3, 0}, "odd byte count"},
    {"03 00", nullptr, {ResponseKind::bad_byte_count, 0x03, 0, 0}, "no words"},
    {"03 04 1902", nullptr, {ResponseKind::bad_length, 0x03, 0, 0}, "fewer bytes than counted"},
    {"10 400D", nullptr, {ResponseKind::bad_length, 0x10, 0, 0}, "FC 16 short on its own"},
};

TEST(ParseResponse, RefusesEveryMalformedPduWithWhatIsWrong) {
  for (const BadResponse& bad : kBadResponses) {
    SCOPED_TRACE(bad.why);
    const Bytes pdu = hex(bad.pdu);
    const ParsedResponse response =
        bad.request != nullptr ? parse_response(pdu, *bad.request) : parse_response(pdu);
    ASSERT_FALSE(response.has_value());
    EXPECT_EQ(response.error(), bad.expected);
  }
}

TEST(EncodeResponse, WritesEveryResponseAndParsesBack) {
  const Bytes words = hex("1902 0246");
  const Response responses[] = {
      ReadRegistersResponse{0x03, RegisterWords{words}},
      ReadRegistersResponse{0x04, RegisterWords{words}},
      WriteSingleRegisterResponse{0x4010, 0x0025},
      WriteMultipleRegistersResponse{0x400D, 2},
      ExceptionResponse{0x03, ExceptionCode::illegal_data_address},
      ExceptionResponse{0x10, ExceptionCode::gateway_target_failed},
  };
  const char* expected[] = {"03 04 1902 0246", "04 04 1902 0246", "06 4010 0025",
                            "10 400D 0002",    "83 02",           "90 0B"};
  for (std::size_t i = 0; i < std::size(responses); ++i) {
    SCOPED_TRACE(expected[i]);
    const Bytes pdu = encode_response(responses[i]);
    EXPECT_EQ(pdu, hex(expected[i]));
    EXPECT_EQ(parse_response(pdu), ParsedResponse{responses[i]});
    EXPECT_EQ(function_of(responses[i]), pdu[0]);
  }
  Bytes out = hex("AA");
  append_read_response_header(out, 0x03, 125);
  EXPECT_EQ(out, hex("AA 03 FA"));
}

// ---- Names and constants ----

TEST(ExceptionCodeNames, AreTheNamesOfTheApplicationProtocol) {
  EXPECT_EQ(to_string(ExceptionCode::illegal_function), "illegal function");
  EXPECT_EQ(to_string(ExceptionCode::illegal_data_address), "illegal data address");
  EXPECT_EQ(to_string(ExceptionCode::illegal_data_value), "illegal data value");
  EXPECT_EQ(to_string(ExceptionCode::server_device_failure), "server device failure");
  EXPECT_EQ(to_string(ExceptionCode::acknowledge), "acknowledge");
  EXPECT_EQ(to_string(ExceptionCode::server_device_busy), "server device busy");
  EXPECT_EQ(to_string(ExceptionCode::memory_parity_error), "memory parity error");
  EXPECT_EQ(to_string(ExceptionCode::gateway_path_unavailable), "gateway path unavailable");
  EXPECT_EQ(to_string(ExceptionCode::gateway_target_failed),
            "gateway target device failed to respond");
  EXPECT_EQ(to_string(static_cast<ExceptionCode>(0x07)), "");
  EXPECT_EQ(to_string(static_cast<ExceptionCode>(0x0C)), "");
}

TEST(ModbusConstants, AreTheSpecsLimits) {
  EXPECT_EQ(kMaxReadRegisters, 125);
  EXPECT_EQ(kMaxWriteRegisters, 123);
  EXPECT_EQ(kExceptionBit, 0x80);
  EXPECT_EQ(kMaxPdu, 253U);
  const Bytes word = hex("12 34");
  EXPECT_EQ(be16(word, 0), 0x1234);
  Bytes out;
  append_be16(out, 0xBEEF);
  EXPECT_EQ(out, hex("BE EF"));
}

// ---- The manual's examples and real clients' frames ----

struct ManualCommand {
  const char* frame;  ///< as the manual prints it, without CRC
  Request request;
  const char* effect;
};
const Bytes kS0Ten = hex("4120 0000");
const Bytes kZeroes = hex("0000 0000");
const Bytes kCt = hex("9995 0005");
// A3.2, the Write table's "Command:" lines: | id | fc | address | value or count (bytes values) |
const ManualCommand kManualCommands[] = {
    {"01 06 4003 000A", WriteSingleRegisterRequest{0x4003, 10}, "new ID: 10"},
    {"01 06 4004 00 06", WriteSingleRegisterRequest{0x4004, 6}, "new baud rate: 9600"},
    {"01 10 400D 0002 04 41 20 00 00", WriteMultipleRegistersRequest{0x400D, RegisterWords{kS0Ten}},
     "new S0: 10"},
    {"01 06 400F 0004", WriteSingleRegisterRequest{0x400F, 4}, "new code: 4 F-R"},
    {"01 06 4010 0025", WriteSingleRegisterRequest{0x4010, 0x25}, "new time: 25 s"},
    {"01 06 4011 0002", WriteSingleRegisterRequest{0x4011, 2}, "new parity: none"},
    {"01 06 4016 0000", WriteSingleRegisterRequest{0x4016, 0}, "power-down counter reset"},
    {"01 06 6048 0002", WriteSingleRegisterRequest{0x6048, 2}, "new tariff: 2"},
    {"01 10 6049 0002 04 0000 0000", WriteMultipleRegistersRequest{0x6049, RegisterWords{kZeroes}},
     "trip counter reset"},
    {"01 10 401F 0002 04 9995 0005", WriteMultipleRegistersRequest{0x401F, RegisterWords{kCt}},
     "CT 9995/5"},
    {"01 06 4021 0030", WriteSingleRegisterRequest{0x4021, 0x30}, "pulse width 30 ms"},
    {"01 06 4022 0002", WriteSingleRegisterRequest{0x4022, 2}, "forward & reverse"},
    {"01 06 4026 0002", WriteSingleRegisterRequest{0x4026, 2}, "integer"},
    {"01 06 4032 0001", WriteSingleRegisterRequest{0x4032, 1}, "turn 180 degrees"},
    {"01 06 4033 0001", WriteSingleRegisterRequest{0x4033, 1}, "OBIS on"},
};

TEST(ManualCommands, EveryCommandLineDecodesToWhatTheManualSays) {
  for (const ManualCommand& command : kManualCommands) {
    SCOPED_TRACE(std::string(command.frame) + ": " + command.effect);
    RtuFramer framer;
    framer.push(with_crc(hex(command.frame)));
    const RtuEvent event = framer.poll();
    ASSERT_TRUE(std::holds_alternative<RtuFrame>(event));
    const auto& frame = std::get<RtuFrame>(event);
    EXPECT_EQ(frame.unit(), 0x01);
    EXPECT_EQ(parse_request(frame.pdu()), ParsedRequest{command.request});
    EXPECT_EQ(encode_rtu(0x01, encode_request(command.request)), with_crc(hex(command.frame)));
  }
}

TEST(ClientFrames, AChargersReadOfTheCurrentsDecodes) {
  // | id | fc | address | count | CRC   |: an EV charger's load-management poll
  //   01   03   50 0C     00 06   14 CB
  const Bytes frame = hex("01 03 500C 0006 14CB");
  EXPECT_EQ(frame, with_crc(hex("01 03 500C 0006")));
  RtuFramer framer;
  framer.push(frame);
  const RtuEvent event = framer.poll();
  ASSERT_TRUE(std::holds_alternative<RtuFrame>(event));
  EXPECT_EQ(parse_request(std::get<RtuFrame>(event).pdu()),
            ParsedRequest{(ReadRegistersRequest{0x03, 0x500C, 6})});  // L1-L3 current
}

TEST(ClientFrames, LibmodbusReadsAndWritesDecode) {
  // modbus_read_registers(ctx, 0x4000, 2), its first request on TCP:
  // | transaction 0001 | protocol 0000 | length 0006 | unit 01 | 03 4000 0002 |
  MbapFramer tcp;
  tcp.push(hex("0001 0000 0006 01 03 4000 0002"));
  const MbapViewEvent event = tcp.next();
  ASSERT_TRUE(std::holds_alternative<MbapView>(event));
  EXPECT_EQ(parse_request(std::get<MbapView>(event).pdu),
            ParsedRequest{(ReadRegistersRequest{0x03, 0x4000, 2})});
  // The same read on RTU: | 01 | 03 4000 0002 | CRC D1 CB |.
  EXPECT_EQ(encode_rtu(0x01, encode_request(ReadRegistersRequest{0x03, 0x4000, 2})),
            hex("01 03 4000 0002 D1CB"));
  // modbus_write_registers(ctx, 0x400D, 2, {0x4120, 0x0000}) and its answer:
  // | 10 | 400D | 0002 | 04 | 4120 0000 |  →  | 10 | 400D | 0002 |
  const Bytes write = hex("10 400D 0002 04 4120 0000");
  const Request request = request_of(write);
  EXPECT_EQ(parse_response(hex("10 400D 0002"), request),
            ParsedResponse{(WriteMultipleRegistersResponse{0x400D, 2})});
}

}  // namespace
}  // namespace ambi
