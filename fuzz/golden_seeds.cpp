// Turns the golden corpus (tests/golden/README.md) into seed corpora for the fuzzers, in the
// input form each fuzzer reads:
//
//   fuzz_modbus_rtu     | length | bytes... | 00 (a silence) |   from modbus/rtu/*.hex
//   fuzz_modbus_mbap    the bytes as sent                     from modbus/tcp/*.hex
//   fuzz_modbus_pdu     the PDU of the first frame            from modbus/{rtu,tcp}/*.hex
//   fuzz_mbus_frame     | length | bytes... |                 from mbus/*.hex
//   fuzz_mbus_records   the data after the CI of a long frame from mbus/*.hex
//
//   golden_seeds CORPUS_ROOT OUT_DIR     (writes OUT_DIR/<fuzzer>/<name>)
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/codec/hex.hpp"

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

/// The bytes of a .hex file: every line not starting with '#', as hex digit pairs (a line
/// that is not is skipped: the golden runner reports it).
Bytes read_hex(const fs::path& path) {
  std::ifstream in(path);
  Bytes out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("#")) continue;
    if (const auto bytes = ambi::parse_hex(line))
      out.insert(out.end(), bytes->begin(), bytes->end());
  }
  return out;
}

/// Chunks of at most 254 bytes, each after its length byte (255 is the RTU fuzzer's gap).
Bytes length_prefixed(const Bytes& bytes) {
  Bytes out;
  for (std::size_t at = 0; at < bytes.size(); at += 254) {
    const std::size_t n = std::min<std::size_t>(254, bytes.size() - at);
    out.push_back(static_cast<std::uint8_t>(n));
    out.insert(out.end(), bytes.begin() + static_cast<std::ptrdiff_t>(at),
               bytes.begin() + static_cast<std::ptrdiff_t>(at + n));
  }
  return out;
}

/// The PDU of the first frame: | unit | PDU | CRC | or | MBAP header (7) | PDU |.
Bytes first_pdu(const Bytes& bytes, bool rtu) {
  if (rtu) {
    if (bytes.size() < 4) return {};
    return {bytes.begin() + 1, bytes.end() - 2};
  }
  constexpr std::size_t kHeader = 7;
  if (bytes.size() <= kHeader) return {};
  const std::size_t length = (std::size_t{bytes[4]} << 8) | bytes[5];
  const std::size_t end = std::min(bytes.size(), kHeader - 1 + length);
  if (end <= kHeader) return {};
  return {bytes.begin() + kHeader, bytes.begin() + static_cast<std::ptrdiff_t>(end)};
}

/// The data after C, A and CI of the first long frame 68 L L 68 ... CS 16 in `bytes`.
Bytes first_long_frame_data(const Bytes& bytes) {
  for (std::size_t at = 0; at + 4 <= bytes.size(); ++at) {
    if (bytes[at] != 0x68 || bytes[at + 3] != 0x68 || bytes[at + 1] != bytes[at + 2]) continue;
    const std::size_t length = bytes[at + 1];
    if (length <= 3 || at + 6 + length > bytes.size()) continue;
    return {bytes.begin() + static_cast<std::ptrdiff_t>(at + 7),
            bytes.begin() + static_cast<std::ptrdiff_t>(at + 4 + length)};
  }
  return {};
}

bool write_seed(const fs::path& dir, const std::string& name, const Bytes& bytes) {
  if (bytes.empty()) return true;
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  return out.good();
}

/// "modbus/rtu/bad-crc.hex" → "golden-modbus-rtu-bad-crc".
std::string seed_name(const fs::path& root, const fs::path& path) {
  std::string name = "golden-" + fs::relative(path, root).replace_extension().string();
  std::replace(name.begin(), name.end(), '/', '-');
  return name;
}

bool write_seeds(const fs::path& root, const fs::path& path, const fs::path& out) {
  const Bytes bytes = read_hex(path);
  const std::string name = seed_name(root, path);
  const std::string folder = path.parent_path().filename().string();
  if (folder == "rtu") {
    Bytes stream = length_prefixed(bytes);
    stream.push_back(0);
    return write_seed(out / "fuzz_modbus_rtu", name, stream) &&
           write_seed(out / "fuzz_modbus_pdu", name, first_pdu(bytes, true));
  }
  if (folder == "tcp") {
    return write_seed(out / "fuzz_modbus_mbap", name, bytes) &&
           write_seed(out / "fuzz_modbus_pdu", name, first_pdu(bytes, false));
  }
  return write_seed(out / "fuzz_mbus_frame", name, length_prefixed(bytes)) &&
         write_seed(out / "fuzz_mbus_records", name, first_long_frame_data(bytes));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fputs("usage: golden_seeds CORPUS_ROOT OUT_DIR\n", stderr);
    return 2;
  }
  const fs::path root = argv[1];
  const fs::path out = argv[2];
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".hex") continue;
    if (!write_seeds(root, entry.path(), out)) {
      std::fprintf(stderr, "golden_seeds: cannot write the seeds of %s\n", entry.path().c_str());
      return 1;
    }
    ++files;
  }
  std::printf("golden_seeds: %zu files of %s\n", files, root.c_str());
  return files > 0 ? 0 : 1;
}
