#include "twin/service/fleet.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "io/errno_text.hpp"
#include "io/log.hpp"

namespace ambi {

namespace {

constexpr std::uint8_t kUnwritable =
    error_bit::main_unwritable | error_bit::backup_unwritable | error_bit::mantissa_unwritable;

std::optional<std::uint32_t> bcd_value(std::uint32_t bcd) {
  std::uint32_t value = 0;
  for (int shift = 28; shift >= 0; shift -= 4) {
    const std::uint32_t digit = (bcd >> shift) & 0xF;
    if (digit > 9) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::uint32_t to_bcd(std::uint32_t value) {
  std::uint32_t bcd = 0;
  for (int shift = 0; shift < 32; shift += 4) {
    bcd |= (value % 10) << shift;
    value /= 10;
  }
  return bcd;
}

}  // namespace

std::optional<std::uint32_t> serial_from_text(std::string_view text) {
  if (text.size() != 8) return std::nullopt;
  std::uint32_t bcd = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    bcd = (bcd << 4) | static_cast<std::uint32_t>(c - '0');
  }
  return bcd;
}

std::optional<std::uint32_t> bcd_add(std::uint32_t serial_bcd, std::uint32_t n) {
  const auto value = bcd_value(serial_bcd);
  if (!value || std::uint64_t{*value} + n > 99'999'999) return std::nullopt;
  return to_bcd(*value + n);
}

std::expected<std::vector<FleetIdentity>, std::string> fleet_identities(
    std::uint32_t base_serial_bcd, std::size_t count) {
  if (count == 0 || count > kMaxFleetMeters) {
    return std::unexpected(
        fmt::format("--meters {}: a fleet has 1 to {} meters", count, kMaxFleetMeters));
  }
  if (!bcd_add(base_serial_bcd, static_cast<std::uint32_t>(count - 1))) {
    return std::unexpected(
        fmt::format("--meters {} from serial {:08X} would pass 99999999: choose a lower --serial",
                    count, base_serial_bcd));
  }
  std::vector<FleetIdentity> identities;
  identities.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const auto serial = bcd_add(base_serial_bcd, static_cast<std::uint32_t>(i));
    if (!serial) return std::unexpected(fmt::format("serial {:08X} is not BCD", base_serial_bcd));
    identities.push_back(
        FleetIdentity{*serial, static_cast<std::uint8_t>(1 + i % kMetersPerGateway),
                      static_cast<std::uint8_t>(1 + i % kMbusAddresses), i / kMetersPerGateway});
  }
  return identities;
}

Fleet::Fleet(ClockMode mode, double speed, SteadyNow now)
    : now_(std::move(now)), clock_(std::make_shared<SimClock>(mode, speed, 0, now_())) {}

Twin& Fleet::add(Meter meter, StateStore store, FleetPlace place) {
  const std::uint32_t serial = meter.state().serial_bcd;
  twins_.push_back(std::make_unique<Twin>(meter, std::move(store), clock_, now_));
  twins_.back()->keep_save_mark_in(&marks_.emplace_back());
  places_.push_back(place);
  by_serial_.emplace(serial, twins_.size() - 1);
  return *twins_.back();
}

Twin* Fleet::find(std::uint32_t serial_bcd) {
  const auto it = by_serial_.find(serial_bcd);
  return it == by_serial_.end() ? nullptr : twins_[it->second].get();
}

std::optional<std::size_t> Fleet::index_of(std::uint32_t serial_bcd) const {
  const auto it = by_serial_.find(serial_bcd);
  if (it == by_serial_.end()) return std::nullopt;
  return it->second;
}

std::size_t Fleet::endpoint_of(std::size_t i) const {
  if (layout_.endpoint_names.empty()) return i / kMetersPerGateway;
  return places_.at(i).endpoint;
}

std::size_t Fleet::endpoint_count() const {
  if (layout_.endpoint_names.empty()) {
    return std::max<std::size_t>(1, (twins_.size() + kMetersPerGateway - 1) / kMetersPerGateway);
  }
  return layout_.endpoint_names.size();
}

std::string_view Fleet::group_of(std::size_t i) const {
  const std::size_t g = places_.at(i).group;
  return g < layout_.groups.size() ? std::string_view(layout_.groups[g]) : "meters";
}

void Fleet::restart_clock() {
  std::int64_t origin = std::numeric_limits<std::int64_t>::max();
  for (const auto& twin : twins_) origin = std::min(origin, twin->meter().now_ms());
  if (twins_.empty()) origin = 0;
  start_clock(origin);
}

void Fleet::hold_clock() {
  if (!held_) held_.emplace(clock_->mode(), clock_->speed());
  *clock_ = SimClock(ClockMode::stepped, clock_->speed(), 0, now_());
}

void Fleet::start_clock(std::int64_t origin_ms) {
  const ClockMode mode = held_ ? held_->first : clock_->mode();
  const double speed = held_ ? held_->second : clock_->speed();
  held_.reset();
  *clock_ = SimClock(mode, speed, origin_ms, now_());
}

void Fleet::sync() {
  for (const auto& twin : twins_) twin->sync();
}

void Fleet::save_if_changed() {
  for (const auto& twin : twins_) twin->save_if_changed();
  sync_slots();
}

void Fleet::save() {
  const std::int64_t now_ms = clock_->target_ms(now_());
  bool ok = true;
  for (const auto& twin : twins_) {
    twin->save();
    if ((twin->meter().error_code() & kUnwritable) != 0) ok = false;
  }
  write_journal(now_ms, sync_slots() && ok);
}

std::size_t Fleet::persist() {
  // The journal's time is taken first: every meter skipped below has run under its recorded
  // source from its last save until at least this time.
  const std::int64_t now_ms = clock_->target_ms(now_());
  const std::size_t slice = passes_++ % kCheckpointPasses;
  std::size_t saved = 0;
  bool ok = true;
  std::size_t i = 0;
  for (auto mark = marks_.begin(); mark != marks_.end(); ++mark, ++i) {
    if (i % kCheckpointPasses != slice && mark->may_skip(now_ms)) continue;
    Twin& twin = *twins_[i];
    twin.sync();
    twin.save_if_changed();
    ++saved;
    // A meter whose areas cannot be written (8.1 bits 1-3) may hold a resume block older
    // than a change of its source: the journal must not move past it.
    if ((twin.meter().error_code() & kUnwritable) != 0) ok = false;
  }
  write_journal(now_ms, sync_slots() && ok);
  return saved;
}

bool Fleet::sync_slots() {
  if (!slots_) return true;
  const bool ok = slots_->sync();
  if (!ok && !sync_failed_) {
    log_line("cannot sync {}: {}; the meters' last saves may not survive a power loss",
             slots_->path().string(), errno_text());
  }
  sync_failed_ = !ok;
  return ok;
}

void Fleet::write_journal(std::int64_t sim_ms, bool saves_ok) {
  if (!journal_) return;
  bool ok = saves_ok;
  if (ok) ok = journal_->write(sim_ms);
  if (!ok && !journal_failed_) {
    log_line(
        "cannot record the fleet's time in {}{}; after a crash its meters lose what they "
        "counted since their last full save",
        journal_->path().string(), saves_ok ? fmt::format(": {}", errno_text()) : "");
  }
  journal_failed_ = !ok;
}

TwinOutcome<> Fleet::advance(std::int64_t dt_ms) {
  if (clock_->mode() != ClockMode::stepped) return std::unexpected(TwinRefusal::clock_is_real);
  clock_->advance(dt_ms);
  sync();
  return {};
}

TwinOutcome<> Fleet::set_speed(double speed) {
  if (clock_->mode() != ClockMode::real) return std::unexpected(TwinRefusal::clock_is_stepped);
  if (speed_fixed_) return std::unexpected(TwinRefusal::speed_fixed);
  const auto now = now_();
  const std::int64_t reached = clock_->target_ms(now);
  sync();
  *clock_ = SimClock(ClockMode::real, speed, reached, now);
  return {};
}

std::vector<Fault>& Fleet::endpoint_faults(std::size_t e) {
  if (endpoint_faults_.size() <= e) endpoint_faults_.resize(e + 1);
  return endpoint_faults_[e];
}

PollAudit* Fleet::endpoint_audit(std::size_t e) {
  if (!audit_on_) return nullptr;
  if (endpoint_audits_.size() <= e) endpoint_audits_.resize(e + 1);
  return &endpoint_audits_[e];
}

PollAudit* Fleet::bus_audit(std::size_t b) {
  if (!audit_on_) return nullptr;
  if (bus_audits_.size() <= b) bus_audits_.resize(b + 1);
  return &bus_audits_[b];
}

}  // namespace ambi
