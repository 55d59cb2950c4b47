#pragma once
// The golden corpus (tests/golden/README.md): annotated frames in `.hex` files, their decode
// by the project's codecs in sibling `.json` files, and for requests the fixed meter's reply
// in `NAME.reply.hex`. This header reads the files and renders the decodes; golden_test.cpp
// walks the corpus and compares.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/meter/meter.hpp"

namespace ambi::golden {

using Json = nlohmann::ordered_json;
using Bytes = std::vector<std::uint8_t>;

/// Which codec a frame goes through: the folder it lives in.
enum class Framing : std::uint8_t { rtu, mbap, mbus };

/// One `.hex` file: its bytes and the directives of its comment lines.
struct CorpusFile {
  std::filesystem::path path;  ///< the .hex file
  Framing framing = Framing::rtu;
  bool reply = false;  ///< NAME.reply.hex: sent by the meter, not by a master
  Bytes bytes;
  /// `# meter: NAME`: the request is served to this fixed meter and its reply is golden.
  std::optional<std::string> meter;
  std::string error;  ///< why the file could not be read (empty when it could)
};

/// The corpus root: tests/golden of the checkout.
[[nodiscard]] std::filesystem::path corpus_root();
/// Every `.hex` file under the root, sorted by path.
[[nodiscard]] std::vector<std::filesystem::path> corpus_files();
/// Reads one `.hex` file: `#` lines are comments (`# meter: NAME` a directive), every other
/// line holds whitespace-separated hex tokens of an even number of digits.
[[nodiscard]] CorpusFile read_corpus_file(const std::filesystem::path& path);
/// `path` with `.hex` replaced by `suffix` (".json", ".reply.hex").
[[nodiscard]] std::filesystem::path sibling(const std::filesystem::path& path,
                                            const std::string& suffix);

/// The fixed meters a request may be served to (README.md): "factory" (a new meter, powered:
/// serial 19020246, Modbus id 1, M-bus address 0) and "mbus-address-01" (the same with
/// M-bus primary address 01, as the manual's A2.2 Write examples address it). nullopt for an
/// unknown name.
[[nodiscard]] std::optional<Meter> fixed_meter(const std::string& name);

/// The decode of a Modbus RTU or MBAP frame as the codecs see it. A reply is parsed as the
/// answer to `request` (the bytes of the request it answers) when given.
[[nodiscard]] Json decode_modbus(const CorpusFile& file, std::span<const std::uint8_t> request);
/// The decode of a byte stream of M-bus telegrams.
[[nodiscard]] Json decode_mbus(std::span<const std::uint8_t> bytes);

/// What a fixed meter answers to a request: the bytes (empty: silence) and whether the
/// request changed the meter's persistent state.
struct Served {
  Bytes reply;
  bool changes_state = false;
};
[[nodiscard]] Served serve(Meter& meter, const CorpusFile& request);

/// A word or byte as hex digits ("4003", "5B").
[[nodiscard]] std::string hex4(std::uint16_t word);
[[nodiscard]] std::string hex2(std::uint8_t byte);

}  // namespace ambi::golden
