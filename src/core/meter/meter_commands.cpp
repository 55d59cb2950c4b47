// Meter commands: one handler per command, each validating before it changes anything.
#include <fmt/format.h>

#include <algorithm>

#include "core/meter/meter.hpp"
#include "core/meter/setting_table.hpp"

namespace ambi {
namespace {

std::unexpected<Rejection> refuse(Rejection::Kind kind, std::string message) {
  return std::unexpected(Rejection{kind, std::move(message)});
}

/// Runs `apply` when `value` is allowed for setting `id` (the settings table's check);
/// passes the refusal through.
template <class F>
Outcome<> then(SettingId id, std::int64_t value, F&& apply) {
  auto ok = check_setting(id, value);
  if (ok) apply();
  return ok;
}

}  // namespace

std::string_view command_name(const Command& command) {
  static constexpr std::array<std::string_view, std::variant_size_v<Command>> kNames{
      "set Modbus ID",
      "set Modbus baud rate",
      "set Modbus parity",
      "set M-bus ID",
      "set M-bus baud rate",
      "set M-bus secondary address",
      "set S0 rate",
      "set pulse type",
      "set pulse width",
      "set combination code",
      "set LCD cycle time",
      "set backlight",
      "set screen direction",
      "set OBIS",
      "set data type",
      "set password",
      "set tariff",
      "set CT ratio",
      "reset power-down counter",
      "reset trip counter"};
  return kNames[command.index()];
}

/// The command handlers, with access to the meter's state.
struct Meter::Handlers {
  Meter& m;
  const Origin& origin;
  Settings& s() { return m.state_.settings; }

  Outcome<> operator()(const SetModbusId& c) {
    return then(SettingId::modbus_id, c.id,
                [&] { s().modbus_id = static_cast<std::uint8_t>(c.id); });
  }
  Outcome<> operator()(const SetModbusBaud& c) {
    return then(SettingId::modbus_baud, c.code,
                [&] { s().modbus_baud_code = static_cast<std::uint8_t>(c.code); });
  }
  Outcome<> operator()(const SetParity& c) {
    return then(SettingId::parity, c.code, [&] { s().parity = static_cast<Parity>(c.code); });
  }
  Outcome<> operator()(const SetMbusId& c) {
    return then(SettingId::mbus_id, c.id, [&] { s().mbus_id = static_cast<std::uint8_t>(c.id); });
  }
  Outcome<> operator()(const SetMbusBaud& c) {
    return then(SettingId::mbus_baud, c.baud,
                [&] { s().mbus_baud = static_cast<std::uint32_t>(c.baud); });
  }
  Outcome<> operator()(const SetMbusSecondaryId& c) {
    return then(SettingId::mbus_secondary_id, c.bcd, [&] { s().mbus_secondary_id = c.bcd; });
  }
  Outcome<> operator()(const SetS0Rate& c) {
    return then(SettingId::s0_rate, c.rate_centi, [&] {
      s().s0_rate_centi = static_cast<std::uint32_t>(c.rate_centi);
      m.rebase_s0();
    });
  }
  Outcome<> operator()(const SetPulseType& c) {
    return then(SettingId::pulse_type, c.code, [&] {
      s().pulse_type = static_cast<PulseType>(c.code);
      m.rebase_s0();
    });
  }
  Outcome<> operator()(const SetPulseWidth& c) {
    return then(SettingId::pulse_width, c.ms, [&] {
      s().pulse_width_ms = static_cast<std::uint8_t>(c.ms);
      m.rebase_s0();
    });
  }
  Outcome<> operator()(const SetCombination& c) {
    if (origin.source == Source::buttons) {
      return refuse(
          Rejection::Kind::not_allowed,
          "the combination code can be set only by Modbus, M-bus or Bluetooth (manual 7.6.15)");
    }
    if (auto ok = check_setting(SettingId::combination, c.code); !ok) return ok;
    if (m.c05_locked() && c.code != 5) {
      return refuse(Rejection::Kind::locked,
                    "combination code C-05 is final: a C-05 meter cannot be set to another code "
                    "(manual 7.6.15)");
    }
    s().combination = static_cast<CombinationCode>(c.code);
    return {};
  }
  Outcome<> operator()(const SetLcdCycle& c) {
    return then(SettingId::lcd_cycle, c.seconds,
                [&] { s().lcd_cycle_s = static_cast<std::uint8_t>(c.seconds); });
  }
  Outcome<> operator()(const SetBacklight& c) {
    return then(SettingId::backlight, c.mode,
                [&] { s().backlight = static_cast<Backlight>(c.mode); });
  }
  Outcome<> operator()(const SetScreenDirection& c) {
    return then(SettingId::screen_direction, c.direction,
                [&] { s().screen_direction = static_cast<std::uint8_t>(c.direction); });
  }
  Outcome<> operator()(const SetObis& c) {
    s().obis = c.on;
    return {};
  }
  Outcome<> operator()(const SetDataType& c) {
    return then(SettingId::data_type, c.code,
                [&] { s().data_type = static_cast<DataType>(c.code); });
  }
  Outcome<> operator()(const SetPassword& c) {
    if (origin.source != Source::buttons) {
      return refuse(Rejection::Kind::not_allowed,
                    "the password can be changed only with the meter's buttons (manual 7.6.1)");
    }
    const std::string_view digits(c.digits.data(), c.digits.size());
    const bool all_digits =
        std::ranges::all_of(digits, [](char d) { return d >= '0' && d <= '9'; });
    if (!all_digits || digits.size() != 4) {
      return refuse(Rejection::Kind::out_of_range, "password must be exactly 4 digits 0-9");
    }
    s().password = c.digits;
    return {};
  }
  Outcome<> operator()(const SetTariff& c) {
    return then(SettingId::tariff, c.tariff, [&] {
      m.state_.tariff = static_cast<std::uint8_t>(c.tariff);
      if (c.tariff >= 3) m.state_.t3_t4_activated = true;
    });
  }
  Outcome<> operator()(const SetCtRatio& c) {
    if (auto ok = check_ct_ratio(c.primary, c.secondary); !ok) return ok;
    const CtRatio next{static_cast<std::uint16_t>(c.primary),
                       static_cast<std::uint8_t>(c.secondary)};
    if (next == m.state_.ct) return {};
    if (m.state_.ct_changes >= kMaxCtChanges) {
      return refuse(Rejection::Kind::limit_reached,
                    "the CT ratio has been changed 7 times already; no further change is possible "
                    "(manual 7.6.17)");
    }
    const auto& r = m.state_.registers;
    m.state_.ct_history[m.state_.ct_changes] = {
        m.state_.ct, r.mwh(counter_index::total(Family::active, Dir::forward)),
        r.mwh(counter_index::total(Family::active, Dir::reverse))};
    ++m.state_.ct_changes;
    m.state_.ct = next;
    if (m.wiring_.installed_ct_primary) {
      m.rewire();  // a wrong CT: the meter now scales by the new setting
    } else {
      m.update_secondary();
    }
    return {};
  }
  Outcome<> operator()(const ResetPowerDownCounter&) {
    m.state_.power_down_counter = 0;
    return {};
  }
  Outcome<> operator()(const ResetTripCounter&) {
    auto& c = m.state_.registers.counters;
    for (std::size_t i = counter_index::trip_total(Dir::forward);
         i < counter_index::ct_secondary(Dir::forward); ++i) {
      c[i].reset();
    }
    return {};
  }
};

Outcome<> Meter::apply_one(const Command& command, const Origin& origin) {
  return std::visit(Handlers{*this, origin}, command);
}

namespace {
Outcome<> check_origin(const Meter& m, const Origin& origin) {
  if (!m.powered()) {
    return refuse(
        Rejection::Kind::powered_off,
        "the meter has no supply: it accepts nothing until the supply returns (manual 5.8)");
  }
  if (m.stopped()) {
    return refuse(
        Rejection::Kind::storage_failed,
        fmt::format("the meter is stopped with error {:02X} (manual 8.1)", m.error_code()));
  }
  if (origin.source != Source::app) return {};
  if (!origin.password) return refuse(Rejection::Kind::wrong_password, "password required");
  if (*origin.password != m.settings().password) {
    return refuse(Rejection::Kind::wrong_password, "wrong password");
  }
  return {};
}
}  // namespace

Outcome<> Meter::apply(const Command& command, const Origin& origin) {
  return apply_all(std::span(&command, 1), origin);
}

Outcome<> Meter::apply_all(std::span<const Command> commands, const Origin& origin) {
  if (auto ok = check_origin(*this, origin); !ok) return ok;
  Meter next = *this;
  for (const Command& command : commands) {
    if (auto ok = next.apply_one(command, origin); !ok) {
      return refuse(ok.error().kind,
                    fmt::format("{}: {}", command_name(command), ok.error().message));
    }
  }
  *this = next;
  settings_changed();
  return {};
}

}  // namespace ambi
