// `ambimeter write`: settings by name, validated before they leave, refused ones explained.
#include <fmt/format.h>

#include <cstdio>
#include <variant>

#include "io/exit_codes.hpp"
#include "reader/setting_args.hpp"
#include "tools/tool_cli.hpp"
#include "tools/tool_session.hpp"

namespace ambi {
namespace {

struct Change {
  std::string arg;  // as typed
  Command command;
};

std::expected<DataType, ModbusClientError> read_data_type(MeterSession& s) {
  const RegisterDef* def = find_register("data_type");
  if (def == nullptr) {
    return std::unexpected{
        ModbusClientError{.kind = ModbusClientError::Kind::io,
                          .message = "the register map has no data_type register"}};
  }
  auto words = s.modbus()->read(s.uri().unit, def->address, 1);
  if (!words) return std::unexpected{words.error()};
  return (*words)[0] == static_cast<std::uint16_t>(DataType::integer) ? DataType::integer
                                                                      : DataType::standard;
}

/// The register's value as text, read back from the meter; "?" when it cannot be read.
std::string read_text(MeterSession& s, const RegisterDef& def) {
  auto readings = read_modbus(*s.modbus(), s.uri().unit, {&def});
  if (!readings || readings->empty()) return "?";
  const MeterValue& r = readings->front();
  return r.unit.empty() ? r.text : fmt::format("{} {}", r.text, r.unit);
}

bool changes_line(const Command& c) {
  return std::holds_alternative<SetModbusBaud>(c) || std::holds_alternative<SetParity>(c);
}

int write_modbus(MeterSession& s, const std::vector<Change>& changes) {
  auto type = read_data_type(s);
  if (!type) {
    tool_error("write", type.error().message);
    return kExitFailure;
  }
  for (const Change& change : changes) {
    auto write = modbus_write_for(change.command, *type);
    if (!write) {
      tool_error("write", fmt::format("{}: {}", change.arg, write.error()));
      return kExitUsage;
    }
    const RegisterDef& def = *write->def;
    const std::string before = read_text(s, def);
    if (auto ok = s.modbus()->write(s.uri().unit, write->start, write->words); !ok) {
      const auto& e = ok.error();
      tool_error("write",
                 e.kind == ModbusClientError::Kind::exception
                     ? fmt::format("the meter refused {}: exception {:02X} ({})", change.arg,
                                   e.exception_code, exception_meaning(e.exception_code))
                     : fmt::format("{}: {}", change.arg, e.message));
      return kExitFailure;
    }
    if (const auto* id = std::get_if<SetModbusId>(&change.command))
      s.set_unit(static_cast<std::uint8_t>(id->id));
    if (const auto* dt = std::get_if<SetDataType>(&change.command))
      *type = static_cast<DataType>(dt->code);
    if (changes_line(change.command)) {
      fmt::print("{}: {} -> written; reconnect with the new line settings\n", def.name, before);
    } else {
      fmt::print("{}: {} -> {}\n", def.name, before, read_text(s, def));
    }
  }
  return kExitOk;
}

/// The M-bus baud rate travels in a control frame, not a record (A2.1).
int change_mbus_baud(MeterSession& s, const Change& change, long baud) {
  auto target = s.mbus_target();
  if (!target) {
    tool_error("write", target.error());
    return kExitFailure;
  }
  if (auto ok = s.mbus()->change_baud(*target, static_cast<std::uint32_t>(baud)); !ok) {
    tool_error("write", fmt::format("{}: {}", change.arg, ok.error().message));
    return kExitFailure;
  }
  fmt::print("{}: acknowledged; talk to the meter at baud={} from now on\n", change.arg, baud);
  return kExitOk;
}

int write_mbus(MeterSession& s, const std::vector<Change>& changes) {
  for (const Change& change : changes) {
    if (const auto* baud = std::get_if<SetMbusBaud>(&change.command)) {
      if (const int rc = change_mbus_baud(s, change, baud->baud); rc != kExitOk) return rc;
      continue;
    }
    auto records = mbus_write_for(change.command);
    if (!records) {
      tool_error("write", fmt::format("{}: {}", change.arg, records.error()));
      return kExitUsage;
    }
    auto target = s.mbus_target();
    if (!target) {
      tool_error("write", target.error());
      return kExitFailure;
    }
    if (auto ok = s.mbus()->write(*target, *records); !ok) {
      tool_error("write", fmt::format("{}: {}", change.arg, ok.error().message));
      return kExitFailure;
    }
    if (const auto* id = std::get_if<SetMbusId>(&change.command); id && !s.uri().secondary) {
      s.set_mbus_address(static_cast<std::uint8_t>(id->id));
    }
    fmt::print("{}: acknowledged\n", change.arg);
  }
  return kExitOk;
}

}  // namespace

int tool_write(const ToolOptions& o) {
  auto uri = parse_meter_uri(o.uri);
  if (!uri) {
    tool_error("write", uri.error());
    return kExitUsage;
  }
  std::vector<Change> changes;
  for (const std::string& arg : o.args) {
    auto command = parse_setting_arg(arg);
    if (!command) {
      tool_error("write", command.error());
      return kExitUsage;
    }
    changes.push_back({arg, *command});
  }
  auto session = MeterSession::open(*uri);
  if (!session) {
    tool_error("write", session.error());
    return kExitFailure;
  }
  return session->modbus() ? write_modbus(*session, changes) : write_mbus(*session, changes);
}

}  // namespace ambi
