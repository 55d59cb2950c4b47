#include "golden_corpus.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <variant>

#include "core/codec/hex.hpp"
#include "core/mbus/mbus_frame.hpp"
#include "core/mbus/mbus_slave.hpp"
#include "core/modbus/modbus_server.hpp"

namespace ambi::golden {
namespace fs = std::filesystem;

fs::path corpus_root() {
  return fs::path(AMBI_SOURCE_DIR) / "tests" / "golden";
}

std::vector<fs::path> corpus_files() {
  std::vector<fs::path> out;
  for (const auto& entry : fs::recursive_directory_iterator(corpus_root())) {
    if (entry.is_regular_file() && entry.path().extension() == ".hex") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

fs::path sibling(const fs::path& path, const std::string& suffix) {
  return path.parent_path() / (path.stem().string() + suffix);
}

std::string hex4(std::uint16_t word) {
  return fmt::format("{:04X}", word);
}
std::string hex2(std::uint8_t byte) {
  return fmt::format("{:02X}", byte);
}

namespace {

Framing framing_of(const fs::path& path) {
  const std::string folder = path.parent_path().filename().string();
  if (folder == "rtu") return Framing::rtu;
  if (folder == "tcp") return Framing::mbap;
  return Framing::mbus;
}

/// Appends the bytes of one line of hex tokens; false on a token that is not hex pairs.
bool append_hex_line(const std::string& line, Bytes& out) {
  const auto bytes = parse_hex(line);
  if (!bytes) return false;
  out.insert(out.end(), bytes->begin(), bytes->end());
  return true;
}

}  // namespace

CorpusFile read_corpus_file(const fs::path& path) {
  CorpusFile file;
  file.path = path;
  file.framing = framing_of(path);
  file.reply = path.stem().extension() == ".reply";
  std::ifstream in(path);
  if (!in) file.error = "cannot open";
  std::string line;
  const std::string meter_directive = "# meter:";
  while (std::getline(in, line)) {
    if (line.starts_with(meter_directive)) {
      std::string name = line.substr(meter_directive.size());
      std::erase_if(name, [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
      file.meter = name;
      continue;
    }
    if (line.starts_with("#")) continue;
    if (!append_hex_line(line, file.bytes)) file.error = "not hex: " + line;
  }
  if (file.error.empty() && file.bytes.empty()) file.error = "no bytes";
  return file;
}

std::optional<Meter> fixed_meter(const std::string& name) {
  Meter meter;
  meter.power_on();
  if (name == "factory") return meter;
  if (name == "mbus-address-01") {
    if (!meter.apply(SetMbusId{1}, Origin{Source::mbus, {}})) return std::nullopt;
    return meter;
  }
  return std::nullopt;
}

namespace {

Bytes serve_rtu_stream(Meter& meter, const Bytes& bytes) {
  RtuFramer framer;
  framer.push(bytes);
  Bytes out;
  for (RtuEvent event = framer.poll();; event = framer.poll()) {
    if (std::holds_alternative<RtuNeedMore>(event)) event = framer.on_silence();
    if (std::holds_alternative<RtuNeedMore>(event)) break;
    if (const auto* frame = std::get_if<RtuFrame>(&event)) {
      const RtuExchange exchange = serve_rtu(meter, *frame, ModbusQuirks{});
      out.insert(out.end(), exchange.reply.begin(), exchange.reply.end());
    }
  }
  return out;
}

Bytes serve_mbap_stream(Meter& meter, const Bytes& bytes) {
  MbapFramer framer;
  framer.push(bytes);
  Bytes out;
  for (MbapEvent event = framer.poll(); std::holds_alternative<MbapFrame>(event);
       event = framer.poll()) {
    const MbapReply reply = serve_mbap(meter, std::get<MbapFrame>(event), ModbusQuirks{});
    out.insert(out.end(), reply.reply.begin(), reply.reply.end());
  }
  return out;
}

Bytes serve_mbus_stream(Meter& meter, const Bytes& bytes) {
  MbusFramer framer;
  MbusSlave slave;
  framer.push(bytes);
  Bytes out;
  for (MbusEvent event = framer.poll(); !std::holds_alternative<MbusNeedMore>(event);
       event = framer.poll()) {
    if (const auto* frame = std::get_if<MbusFrame>(&event)) {
      const MbusExchange exchange = slave.serve(meter, *frame);
      out.insert(out.end(), exchange.reply.begin(), exchange.reply.end());
    }
  }
  return out;
}

}  // namespace

Served serve(Meter& meter, const CorpusFile& request) {
  const PersistentState before = meter.state();
  Served served;
  switch (request.framing) {
    case Framing::rtu:
      served.reply = serve_rtu_stream(meter, request.bytes);
      break;
    case Framing::mbap:
      served.reply = serve_mbap_stream(meter, request.bytes);
      break;
    case Framing::mbus:
      served.reply = serve_mbus_stream(meter, request.bytes);
      break;
  }
  served.changes_state = !(meter.state() == before);
  return served;
}

}  // namespace ambi::golden
