// The tool commands' connection to one meter, and their small shared helpers.
#include "tools/tool_session.hpp"

#include <fmt/format.h>

#include <csignal>
#include <thread>

#include "io/duration.hpp"
#include "io/log.hpp"

namespace ambi {
namespace {

// Written by the signal handler: only a volatile sig_atomic_t is safe there.
volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_stop_signal(int /*signal*/) {
  g_stop = 1;
}

MbusSelection mask_for(std::uint32_t secondary) {
  MbusSelection mask;
  mask.id = secondary;
  return mask;
}

}  // namespace

std::expected<MeterSession, std::string> MeterSession::open(const MeterUri& uri) {
  MeterSession session;
  session.uri_ = uri;
  if (uri.is_mbus()) {
    auto master = open_mbus(uri);
    if (!master) return std::unexpected{master.error()};
    session.mbus_ = std::move(*master);
  } else {
    auto client = open_modbus(uri);
    if (!client) return std::unexpected{client.error()};
    session.modbus_ = std::move(*client);
  }
  return session;
}

std::expected<std::uint8_t, std::string> MeterSession::mbus_target() {
  if (!uri_.secondary) return uri_.mbus_address;
  if (selected_) return mbus_address::selected;
  auto probe = mbus_->select(mask_for(*uri_.secondary));
  if (!probe) return std::unexpected{probe.error().message};
  const std::string id = fmt::format("{:08X}", *uri_.secondary);
  switch (*probe) {
    case MbusProbe::none:
      return std::unexpected{
          fmt::format("no meter answers the selection of secondary address {} at {}; "
                      "check the address with `ambimeter scan --secondary`",
                      id, uri_.text)};
    case MbusProbe::collision:
      return std::unexpected{
          fmt::format("several meters answer the selection of secondary address {}; "
                      "give all 8 digits without wildcards",
                      id)};
    case MbusProbe::single:
      break;
  }
  selected_ = true;
  return mbus_address::selected;
}

std::expected<std::vector<MeterValue>, std::string> MeterSession::read(
    const ReadSelection& selection) {
  if (modbus_) {
    auto wanted = select_registers(selection);
    if (!wanted) return std::unexpected{wanted.error()};
    auto readings = read_modbus(*modbus_, uri_.unit, *wanted);
    if (!readings) return std::unexpected{readings.error().message};
    return std::move(*readings);
  }
  auto target = mbus_target();
  if (!target) return std::unexpected{target.error()};
  auto readout = mbus_->read(*target);
  if (!readout) {
    selected_ = false;
    return std::unexpected{readout.error().message};
  }
  return mbus_readings(*readout, selection);
}

std::expected<std::chrono::milliseconds, std::string> parse_interval(std::string_view text) {
  if (auto interval = parse_duration(text, kIntervalSyntax)) return *interval;
  return std::unexpected{
      fmt::format("\"{}\" is not a duration; use e.g. 500ms, 10s, 5m or 1h", text)};
}

void install_stop_handlers() {
  struct sigaction action{};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool stop_requested() {
  return g_stop != 0;
}

void sleep_until_or_stop(std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono_literals;
  while (!stop_requested()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(deadline - now, 50ms));
  }
}

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void tool_error(std::string_view command, std::string_view message) {
  write_log_line(command, message);
}

}  // namespace ambi
