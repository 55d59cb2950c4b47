// The golden corpus runner (tests/golden/README.md): one test per `.hex` file. Each frame is
// decoded by the project's codecs and compared with its sibling `.json`; a request with a
// `# meter:` directive is served to that fixed meter and its reply compared, byte for byte,
// with NAME.reply.hex (no such file: the meter stays silent).
//
//   AMBI_REGEN_GOLDEN=1 build/<dir>/tests/golden_tests   rewrites the .json and .reply.hex
//
// The golden files are the reference: check every rewritten file by hand against the manual.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>

#include "core/codec/hex.hpp"
#include "golden_corpus.hpp"

namespace ambi::golden {
namespace {

namespace fs = std::filesystem;

bool regenerating() {
  const char* value = std::getenv("AMBI_REGEN_GOLDEN");
  return value != nullptr && std::string(value) == "1";
}

std::string corpus_relative(const fs::path& path) {
  return fs::relative(path, corpus_root()).string();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

/// The bytes of the request a reply file answers (NAME.reply.hex → NAME.hex).
Bytes request_bytes_for(const CorpusFile& file) {
  if (!file.reply) return {};
  const std::string stem = file.path.stem().stem().string();
  const fs::path request = file.path.parent_path() / (stem + ".hex");
  if (!fs::exists(request)) return {};
  return read_corpus_file(request).bytes;
}

Json decode(const CorpusFile& file, std::span<const std::uint8_t> request) {
  if (file.framing != Framing::mbus) return decode_modbus(file, request);
  return {{"framing", "mbus"},
          {"direction", file.reply ? "reply" : "request"},
          {"telegrams", decode_mbus(file.bytes)}};
}

/// The comment lines of an existing file (kept when its bytes are rewritten).
std::string comments_of(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  std::string out;
  while (std::getline(in, line)) {
    if (line.starts_with("#")) out += line + "\n";
  }
  return out;
}

/// 16 bytes a line.
std::string hex_lines(std::span<const std::uint8_t> bytes) {
  std::string out;
  for (std::size_t at = 0; at < bytes.size(); at += 16) {
    out += hex_bytes(bytes.subspan(at, std::min<std::size_t>(16, bytes.size() - at))) + "\n";
  }
  return out;
}

void write_reply(const CorpusFile& request, const fs::path& reply_path, const Bytes& reply) {
  std::string comments = comments_of(reply_path);
  if (comments.empty()) {
    comments = "# The reply of the fixed meter \"" + *request.meter + "\" to " +
               request.path.filename().string() + ", as the twin sends it.\n";
  }
  write_text(reply_path, comments + hex_lines(reply));
  const CorpusFile written = read_corpus_file(reply_path);
  write_text(sibling(reply_path, ".json"), decode(written, request.bytes).dump(2) + "\n");
}

/// Serves the request to its fixed meter; the outcome as the .json records it.
Json check_served(const CorpusFile& file) {
  auto meter = fixed_meter(*file.meter);
  EXPECT_TRUE(meter.has_value()) << "unknown meter " << *file.meter;
  if (!meter) return {};
  const Served served = serve(*meter, file);
  const fs::path reply_path = sibling(file.path, ".reply.hex");
  if (regenerating()) {
    if (!served.reply.empty()) write_reply(file, reply_path, served.reply);
    if (served.reply.empty() && fs::exists(reply_path)) fs::remove(reply_path);
  } else if (served.reply.empty()) {
    EXPECT_FALSE(fs::exists(reply_path)) << "the meter is silent, but " << reply_path << " exists";
  } else {
    EXPECT_TRUE(fs::exists(reply_path)) << "the meter answers " << hex_bytes(served.reply);
    if (fs::exists(reply_path)) {
      EXPECT_EQ(hex_bytes(served.reply), hex_bytes(read_corpus_file(reply_path).bytes))
          << "the reply differs from " << reply_path;
    }
  }
  Json out{{"meter", *file.meter}};
  out["reply"] = served.reply.empty() ? Json(nullptr) : Json(reply_path.filename().string());
  out["changes_state"] = served.changes_state;
  return out;
}

class Golden : public ::testing::TestWithParam<fs::path> {};

TEST_P(Golden, DecodesAsItsJsonSaysAndTheFixedMeterAnswersItsReply) {
  const CorpusFile file = read_corpus_file(GetParam());
  ASSERT_EQ(file.error, "") << GetParam();
  Json decoded = decode(file, request_bytes_for(file));
  if (file.meter && !file.reply) decoded["served"] = check_served(file);
  const fs::path json_path = sibling(file.path, ".json");
  if (regenerating()) {
    write_text(json_path, decoded.dump(2) + "\n");
    return;
  }
  std::ifstream in(json_path);
  ASSERT_TRUE(in.good()) << "no " << json_path << " (AMBI_REGEN_GOLDEN=1 writes it)";
  const Json expected = Json::parse(in, nullptr, false);
  ASSERT_FALSE(expected.is_discarded()) << json_path << " is not JSON";
  EXPECT_EQ(decoded, expected) << "decoded:\n"
                               << decoded.dump(2) << "\nexpected:\n"
                               << expected.dump(2);
}

TEST(GoldenCorpus, HoldsFramesOfEveryKindAndEveryJsonHasItsHex) {
  std::size_t rtu = 0;
  std::size_t mbap = 0;
  std::size_t mbus = 0;
  for (const fs::path& path : corpus_files()) {
    const Framing framing = read_corpus_file(path).framing;
    rtu += framing == Framing::rtu ? 1 : 0;
    mbap += framing == Framing::mbap ? 1 : 0;
    mbus += framing == Framing::mbus ? 1 : 0;
  }
  EXPECT_GT(rtu, 0U);
  EXPECT_GT(mbap, 0U);
  EXPECT_GT(mbus, 0U);
  for (const auto& entry : fs::recursive_directory_iterator(corpus_root())) {
    if (entry.path().extension() != ".json") continue;
    EXPECT_TRUE(fs::exists(sibling(entry.path(), ".hex"))) << "stray " << entry.path();
  }
}

std::string test_name(const ::testing::TestParamInfo<fs::path>& info) {
  std::string name = corpus_relative(info.param);
  for (char& c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, Golden, ::testing::ValuesIn(corpus_files()), test_name);

}  // namespace
}  // namespace ambi::golden
