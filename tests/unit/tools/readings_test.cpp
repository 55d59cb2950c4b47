// Which Modbus registers `ambimeter read` asks for (docs/tools.md "read"): groups, names,
// and the one-line errors for an unknown group or name.
#include "tools/readings.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/modbus/modbus_map.hpp"
#include "reader/read_plan.hpp"

namespace ambi {
namespace {

std::vector<std::string> names_of(const std::vector<const RegisterDef*>& defs) {
  std::vector<std::string> names;
  for (const RegisterDef* d : defs) names.emplace_back(d->name);
  return names;
}

std::vector<std::string> selected(const ReadSelection& selection) {
  auto wanted = select_registers(selection);
  EXPECT_TRUE(wanted.has_value()) << wanted.error();
  return wanted ? names_of(*wanted) : std::vector<std::string>{};
}

/// The registers of `groups` in map order: what a group selection must give.
std::vector<std::string> in_groups(std::initializer_list<RegisterGroup> groups) {
  std::vector<std::string> names;
  for (const RegisterDef* d : all_registers()) {
    const auto group = register_group(*d);
    if (group && std::ranges::find(groups, *group) != groups.end()) names.emplace_back(d->name);
  }
  return names;
}

TEST(SelectRegisters, WithNoGroupAndNoNameSelectsEveryMappedRegister) {
  const auto every = selected({});
  // 132: every register of the map but the reserved ones (tests/interop/test_tools_read.py).
  EXPECT_EQ(every.size(), 132U);
  EXPECT_EQ(every, names_of(all_registers()));
  EXPECT_EQ(std::ranges::count(every, std::string{"reserved_4025"}), 0);
}

TEST(SelectRegisters, AllIsEveryGroup) {
  EXPECT_EQ(selected({.groups = {"all"}, .names = {}}), selected({}));
  EXPECT_EQ(selected({.groups = {"energy", "all"}, .names = {}}), selected({}));
}

TEST(SelectRegisters, GivesTheRegistersOfEachGroupInMapOrder) {
  const std::pair<std::string, RegisterGroup> groups[] = {
      {"identity", RegisterGroup::identity}, {"settings", RegisterGroup::settings},
      {"status", RegisterGroup::status},     {"instant", RegisterGroup::instant},
      {"energy", RegisterGroup::energy},
  };
  for (const auto& [name, group] : groups) {
    const auto names = selected({.groups = {name}, .names = {}});
    EXPECT_FALSE(names.empty()) << name;
    EXPECT_EQ(names, in_groups({group})) << name;
  }
}

TEST(SelectRegisters, GivesSeveralGroupsInMapOrderWhateverTheirOrderOnTheCommandLine) {
  EXPECT_EQ(selected({.groups = {"energy", "instant"}, .names = {}}),
            in_groups({RegisterGroup::instant, RegisterGroup::energy}));
}

TEST(SelectRegisters, PutsTheIdentityRegistersOfTheManualsTablesInTheIdentityGroup) {
  const auto identity = selected({.groups = {"identity"}, .names = {}});
  for (const char* name : {"serial_number", "meter_code", "software_version", "checksum_1"}) {
    EXPECT_EQ(std::ranges::count(identity, std::string{name}), 1) << name;
  }
  EXPECT_EQ(std::ranges::count(identity, std::string{"l1_voltage"}), 0);
}

TEST(SelectRegisters, GivesNamedRegistersInTheOrderAskedWithDashesOrUnderscores) {
  EXPECT_EQ(selected({.groups = {}, .names = {"total-active-kwh", "l1_voltage", "frequency"}}),
            (std::vector<std::string>{"total_active_kwh", "l1_voltage", "frequency"}));
}

TEST(SelectRegisters, NamesWinOverGroups) {
  EXPECT_EQ(selected({.groups = {"energy"}, .names = {"l1_voltage"}}),
            (std::vector<std::string>{"l1_voltage"}));
}

/// A selection that is refused, and the line that says why.
struct BadSelection {
  ReadSelection selection;
  std::string error;
};

TEST(SelectRegisters, RefusesAnUnknownGroupOrNameNamingTheValidOnes) {
  const BadSelection bad[] = {
      {{.groups = {"energies"}, .names = {}},
       "unknown group \"energies\"; the groups are identity, settings, status, instant, energy, "
       "all"},
      {{.groups = {"instant", "Energy"}, .names = {}},
       "unknown group \"Energy\"; the groups are identity, settings, status, instant, energy, all"},
      {{.groups = {"bogus"}, .names = {"l1_voltage"}},
       "unknown group \"bogus\"; the groups are identity, settings, status, instant, energy, all"},
      {{.groups = {}, .names = {"l1_voltage", "l4_voltage"}},
       "no register is called \"l4_voltage\"; see docs/modbus-registers.md for the names"},
      {{.groups = {}, .names = {"reserved_4025"}},
       "no register is called \"reserved_4025\"; see docs/modbus-registers.md for the names"},
  };
  for (const BadSelection& b : bad) {
    const auto wanted = select_registers(b.selection);
    ASSERT_FALSE(wanted.has_value()) << b.error;
    EXPECT_EQ(wanted.error(), b.error);
  }
}

}  // namespace
}  // namespace ambi
