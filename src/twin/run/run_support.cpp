#include "twin/run/run_support.hpp"

#include <fmt/format.h>

#include "io/log.hpp"
#include "twin/http/fault_json.hpp"

namespace ambi {

namespace fs = std::filesystem;

void wipe_storage(const fs::path& dir) {
  for (const char* name :
       {StateStore::kMainFile, StateStore::kBackupFile, StateStore::kMantissaFile}) {
    std::error_code ec;
    fs::remove(dir / name, ec);
    fs::path tmp = dir / name;
    tmp += ".tmp";
    fs::remove(tmp, ec);
  }
  log_line("factory reset: storage in {} wiped; starting a new meter", dir.string());
}

std::expected<Meter, UsageError> make_meter(StateStore& store, const FactoryOptions& factory,
                                            bool serial_given, bool& fresh) {
  const StoredState stored = store.load();
  fresh = stored.fresh;
  if (fresh) return Meter(factory);
  const LoadedStorage& loaded = stored.loaded;
  const bool stopped = (loaded.error_code & error_bit::both_copies_bad) != 0;
  if (!stopped && serial_given && factory.serial_bcd != loaded.state.serial_bcd) {
    return std::unexpected(UsageError{fmt::format(
        "--serial {:08X} applies to a new meter only; {} holds meter {:08X} (add --factory-reset "
        "to replace it, energy is lost)",
        factory.serial_bcd, store.dir().string(), loaded.state.serial_bcd)});
  }
  if (!stopped && factory.ordered_c05 &&
      loaded.state.settings.combination != CombinationCode::netted_forward_minus_reverse) {
    return std::unexpected(UsageError{
        fmt::format("--ordered-c05 applies to a new meter only; {} holds a meter set to {} (add "
                    "--factory-reset to replace it)",
                    store.dir().string(), to_string(loaded.state.settings.combination))});
  }
  return Meter(loaded.state, loaded.error_code);
}

void repeat(boost::asio::steady_timer& timer, std::chrono::nanoseconds interval,
            std::function<void()> fn) {
  timer.expires_after(interval);
  timer.async_wait([&timer, interval, fn = std::move(fn)](boost::system::error_code ec) mutable {
    if (ec) return;
    fn();
    repeat(timer, interval, std::move(fn));
  });
}

std::string http_url(const boost::asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  if (address.is_v6()) return fmt::format("http://[{}]:{}", address.to_string(), endpoint.port());
  return fmt::format("http://{}:{}", address.to_string(), endpoint.port());
}

std::vector<std::string> modbus_quirk_names(const RunConfig& config) {
  std::vector<std::string> names;
  if (config.quirks.fc04_as_fc03) names.emplace_back("fc04");
  if (config.quirks.answer_unit_zero) names.emplace_back("unit0");
  return names;
}

std::vector<std::string> mbus_quirk_names(const RunConfig& config) {
  std::vector<std::string> names;
  if (config.mbus_quirks.fcb_repeat) names.emplace_back("fcb-repeat");
  return names;
}

void add_cli_faults(Twin& twin, const RunConfig& config) {
  for (const std::string& spec : config.faults) {
    auto body = fault_spec_json(spec);
    if (!body) continue;
    auto fault = fault_from_json(*body, twin.meter().now_ms(), twin.meter().state().serial_bcd);
    if (fault) (void)twin.add_fault(*fault);
  }
}

}  // namespace ambi
