// The M-bus master over a byte link: requests framed with the core codec, answers collected
// with the line timing of EN 13757-2, the FCB kept per address, probes classified.
#include "tools/mbus_master.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/codec/hex.hpp"
#include "core/codec/line_timing.hpp"
#include "core/mbus/mbus_frame.hpp"
#include "io/byte_link.hpp"

namespace ambi {
namespace {

using Error = MbusMasterError;
/// Bytes of an unexpected answer shown in a message.
constexpr std::size_t kShownBytes = 16;
using Kind = MbusMasterError::Kind;
using Clock = ByteLink::Clock;
using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr std::uint32_t kNominalBaud = 2400;  // the line behind a TCP stream, for its timing
constexpr std::uint8_t kRspUdMask = 0xCF;     // RSP_UD with any ACD/DFC bits

/// How long to listen after the first byte of an answer.
enum class Listen : std::uint8_t {
  first_telegram,  ///< until a whole telegram arrived (or the silence ends the answer)
  until_silence,   ///< until the silence: a probe, where more bytes mean a collision
};

/// Everything received after one request.
struct Heard {
  std::vector<std::uint8_t> bytes;
  std::optional<MbusFrame> frame;              ///< the first complete telegram
  std::optional<MbusDiscard::Reason> discard;  ///< the first framing problem
};

std::string describe(std::uint8_t address) {
  if (address == mbus_address::selected) return "the selected meter (address FD)";
  if (address == mbus_address::test) return "address FE";
  return fmt::format("address {}", address);
}

MbusProbe classify(const Heard& heard) {
  if (heard.bytes.empty()) return MbusProbe::none;
  return heard.bytes.size() == 1 && heard.bytes[0] == kMbusAck ? MbusProbe::single
                                                               : MbusProbe::collision;
}

std::optional<std::string> not_ack(const Heard& heard) {
  if (classify(heard) == MbusProbe::single) return std::nullopt;
  return fmt::format("expected E5, got {}", hex_bytes(heard.bytes, kShownBytes));
}

std::optional<std::string> not_rsp_ud(const Heard& heard, std::uint8_t address) {
  if (!heard.frame) {
    return fmt::format("no whole telegram ({}) in {}",
                       heard.discard ? to_string(*heard.discard) : "incomplete",
                       hex_bytes(heard.bytes, kShownBytes));
  }
  const MbusFrame& f = *heard.frame;
  if (f.kind != MbusFrameKind::long_frame || (f.c & kRspUdMask) != c_field::rsp_ud) {
    return fmt::format("expected an RSP_UD, got {}", hex_bytes(heard.bytes, kShownBytes));
  }
  if (address <= mbus_address::max_primary && f.a != address) {
    return fmt::format("the RSP_UD came from address {}, not {}", f.a, address);
  }
  if (f.ci != ci_field::rsp_ud_variable)
    return fmt::format("RSP_UD with CI {:02X}; only CI 72 is decoded", f.ci);
  return std::nullopt;
}

std::string parse_error_text(const MbusParseError& e) {
  static constexpr std::array<std::string_view, 4> kNames{"truncated record", "too many extensions",
                                                          "bad variable length", "short header"};
  return fmt::format("{} at byte {}", kNames[static_cast<std::size_t>(e.kind)], e.offset);
}

class LineMaster final : public MbusMaster {
 public:
  LineMaster(ByteLink link, const MeterUri& uri)
      : link_(std::move(link)),
        where_(uri.text),
        baud_(uri.baud != 0 ? uri.baud : kNominalBaud),
        timeout_(effective_timeout(uri)),
        retries_(std::max(0, effective_retries(uri))) {}

  std::expected<void, Error> reset(std::uint8_t address) override {
    const auto request = encode_mbus(mbus_short(c_field::snd_nke, address));
    if (address == mbus_address::broadcast) return send_only(request);
    auto heard =
        transact(address, request, Listen::first_telegram, not_ack, no_answer(address, "SND_NKE"));
    note_reset(address);
    if (heard) return {};
    next_fcb_.erase(address);
    return std::unexpected(heard.error());
  }

  std::expected<MbusReadout, Error> read(std::uint8_t address) override {
    const auto fcb = next_fcb(address);
    if (!fcb) return std::unexpected(fcb.error());
    const auto request = encode_mbus(mbus_short(c_field::req_ud2 | *fcb, address));
    auto heard = transact(
        address, request, Listen::first_telegram,
        [address](const Heard& h) { return not_rsp_ud(h, address); },
        no_answer(address, "REQ_UD2"));
    if (!heard) return std::unexpected(heard.error());
    const std::optional<MbusFrame>& frame = heard->frame;
    if (!frame) {  // not_rsp_ud let only a frame through
      return std::unexpected(
          Error{Kind::bad_reply, fmt::format("{}: no RSP_UD from {}", where_, describe(address))});
    }
    auto readout = decode_rsp_ud(frame->data);
    if (!readout) {
      return std::unexpected(Error{
          Kind::bad_reply, fmt::format("{}: the RSP_UD from {} does not decode: {}", where_,
                                       describe(address), parse_error_text(readout.error()))});
    }
    return std::move(*readout);
  }

  std::expected<void, Error> write(std::uint8_t address,
                                   std::span<const std::uint8_t> records) override {
    if (records.size() > kMbusMaxData) {
      return std::unexpected(
          Error{Kind::io, fmt::format("{} bytes of records do not fit one SND_UD (at most {})",
                                      records.size(), kMbusMaxData)});
    }
    if (address == mbus_address::broadcast) {
      return send_only(
          encode_mbus(mbus_long(c_field::snd_ud, address, ci_field::data_send, records)));
    }
    const auto fcb = next_fcb(address);
    if (!fcb) return std::unexpected(fcb.error());
    const auto request =
        encode_mbus(mbus_long(c_field::snd_ud | *fcb, address, ci_field::data_send, records));
    const std::string silence = fmt::format(
        "{}: the meter at {} did not acknowledge the write (no E5 within {} ms): it stays silent "
        "when it "
        "refuses a record or a value, or when nothing answers there",
        where_, describe(address), timeout_.count());
    auto heard = transact(address, request, Listen::first_telegram, not_ack, silence);
    if (!heard) return std::unexpected(heard.error());
    return {};
  }

  std::expected<void, Error> change_baud(std::uint8_t address, std::uint32_t baud) override {
    const auto* rate = std::ranges::find(kMbusBauds, baud);
    if (rate == kMbusBauds.end()) {
      return std::unexpected(
          Error{Kind::io, fmt::format("{} baud is not an M-bus rate (300-9600)", baud)});
    }
    const auto ci = static_cast<std::uint8_t>(ci_field::baud_300 + (rate - kMbusBauds.begin()));
    const auto fcb = next_fcb(address);
    if (!fcb) return std::unexpected(fcb.error());
    const auto request = encode_mbus(mbus_long(c_field::snd_ud | *fcb, address, ci));
    auto heard = transact(address, request, Listen::first_telegram, not_ack,
                          no_answer(address, "the baud change"));
    if (!heard) return std::unexpected(heard.error());
    return {};
  }

  std::expected<MbusProbe, Error> select(const MbusSelection& mask) override {
    const auto data = mask.bytes();
    const auto request = encode_mbus(
        mbus_long(c_field::snd_ud, mbus_address::selected, ci_field::select_slave, data));
    auto heard = listen_once(request, Listen::until_silence);
    if (!heard) return std::unexpected(heard.error());
    const MbusProbe probe = classify(*heard);
    next_fcb_.erase(mbus_address::selected);
    if (probe == MbusProbe::single) next_fcb_[mbus_address::selected] = true;
    return probe;
  }

  std::expected<MbusProbe, Error> probe(std::uint8_t address) override {
    auto heard =
        listen_once(encode_mbus(mbus_short(c_field::snd_nke, address)), Listen::until_silence);
    if (!heard) return std::unexpected(heard.error());
    const MbusProbe probe = classify(*heard);
    note_reset(address);
    if (probe != MbusProbe::single) next_fcb_.erase(address);
    return probe;
  }

  void set_timeout(milliseconds timeout) override { timeout_ = timeout; }

 private:
  using Check = std::function<std::optional<std::string>(const Heard&)>;

  std::string no_answer(std::uint8_t address, std::string_view request) const {
    return fmt::format("{}: no answer from {} to {} within {} ms ({} attempt{})", where_,
                       describe(address), request, timeout_.count(), retries_ + 1,
                       retries_ == 0 ? "" : "s");
  }

  /// The FCB bit for the next SND_UD or REQ_UD2 to `address`. The first exchange with a
  /// primary or test address starts with an SND_NKE (the FCB sequence restarts at 1);
  /// FD starts at 1 after the selection, which resets it.
  std::expected<std::uint8_t, Error> next_fcb(std::uint8_t address) {
    if (!next_fcb_.contains(address)) {
      if (address != mbus_address::selected) {
        if (auto ok = reset(address); !ok) return std::unexpected(ok.error());
      }
      next_fcb_[address] = true;
    }
    return next_fcb_[address] ? c_field::fcb : std::uint8_t{0};
  }

  /// An SND_NKE reached `address`: its FCB sequence restarts; it deselects (and FE/FF
  /// reach every meter).
  void note_reset(std::uint8_t address) {
    if (address == mbus_address::test || address == mbus_address::broadcast) next_fcb_.clear();
    next_fcb_.erase(mbus_address::selected);
    if (address != mbus_address::broadcast) next_fcb_[address] = true;
  }

  /// Sends `request` and listens, repeating on silence or a bad answer up to the retries.
  /// A repeat keeps the FCB (EN 13757-2: the meter answers it with its previous answer);
  /// success toggles it, failure forgets it (the next exchange starts with SND_NKE).
  std::expected<Heard, Error> transact(std::uint8_t address,
                                       const std::vector<std::uint8_t>& request, Listen mode,
                                       const Check& check, const std::string& silence) {
    Error last{Kind::timeout, silence};
    for (int attempt = 0; attempt <= retries_; ++attempt) {
      auto heard = listen_once(request, mode);
      if (!heard) return std::unexpected(heard.error());
      if (heard->bytes.empty()) {
        last = Error{Kind::timeout, silence};
        continue;
      }
      if (auto problem = check(*heard)) {
        last = Error{Kind::bad_reply, fmt::format("{}: bad answer from {}: {}", where_,
                                                  describe(address), *problem)};
        continue;
      }
      if (const auto it = next_fcb_.find(address); it != next_fcb_.end()) it->second = !it->second;
      return heard;
    }
    next_fcb_.erase(address);
    return std::unexpected(last);
  }

  std::expected<void, Error> send_only(const std::vector<std::uint8_t>& request) {
    link_.discard_input();
    if (auto sent = link_.send(request); !sent)
      return std::unexpected(Error{Kind::io, where_ + ": " + sent.error()});
    if (request[0] == kMbusShortStart) note_reset(mbus_address::broadcast);
    return {};
  }

  /// One request and whatever answers it: nothing within the timeout, or the bytes up to a
  /// silence of 330 bit times + 50 ms (at most the timeout), a whole telegram
  /// (`first_telegram`), or the line time of the longest telegram.
  std::expected<Heard, Error> listen_once(const std::vector<std::uint8_t>& request, Listen mode) {
    link_.discard_input();
    if (auto sent = link_.send(request); !sent)
      return std::unexpected(Error{Kind::io, where_ + ": " + sent.error()});
    const auto sending = link_.serial() ? line_timing::character_time(
                                              baud_, static_cast<std::int64_t>(request.size()))
                                        : microseconds{0};
    const auto gap = std::min<microseconds>(line_timing::mbus_reply_window(baud_), timeout_);
    Heard heard;
    MbusFramer framer;
    std::array<std::uint8_t, kMbusMaxFrame> buffer{};
    auto got = link_.receive(buffer, Clock::now() + sending + timeout_);
    const auto telegram_end =
        Clock::now() +
        line_timing::character_time(baud_, static_cast<std::int64_t>(kMbusMaxFrame)) + gap;
    while (got && *got > 0) {
      const auto chunk = std::span(buffer).first(*got);
      heard.bytes.insert(heard.bytes.end(), chunk.begin(), chunk.end());
      framer.push(chunk);
      take_events(framer, heard);
      if (mode == Listen::first_telegram && heard.frame) return heard;
      const auto now = Clock::now();
      if (now >= telegram_end) return heard;
      got = link_.receive(buffer, std::min(now + gap, telegram_end));
    }
    if (!got) return std::unexpected(Error{Kind::io, where_ + ": " + got.error()});
    return heard;
  }

  static void take_events(MbusFramer& framer, Heard& heard) {
    for (MbusEvent event = framer.poll(); !std::holds_alternative<MbusNeedMore>(event);
         event = framer.poll()) {
      if (auto* frame = std::get_if<MbusFrame>(&event); frame != nullptr && !heard.frame) {
        heard.frame = std::move(*frame);
      } else if (const auto* discard = std::get_if<MbusDiscard>(&event);
                 discard != nullptr && !heard.discard) {
        heard.discard = discard->reason;
      }
    }
  }

  ByteLink link_;
  std::string where_;
  std::uint32_t baud_;
  milliseconds timeout_;
  int retries_;
  std::map<std::uint8_t, bool> next_fcb_;  ///< per address: the FCB of the next request
};

}  // namespace

std::expected<std::unique_ptr<MbusMaster>, std::string> open_mbus(const MeterUri& uri) {
  if (!uri.is_mbus())
    return std::unexpected(
        fmt::format("{} is not an M-bus URI (mbus+tcp:// or mbus+serial://)", uri.text));
  auto link = uri.scheme == UriScheme::mbus_tcp
                  ? ByteLink::connect_tcp(uri.host, uri.port, effective_timeout(uri))
                  : ByteLink::open_serial(uri.device, uri.baud, uri.parity);
  if (!link) return std::unexpected(fmt::format("{}: {}", uri.text, link.error()));
  return std::make_unique<LineMaster>(std::move(*link), uri);
}

std::unique_ptr<MbusMaster> mbus_master_over(ByteLink link, const MeterUri& uri) {
  return std::make_unique<LineMaster>(std::move(link), uri);
}

}  // namespace ambi
