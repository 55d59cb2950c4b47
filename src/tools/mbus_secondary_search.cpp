// The collision-driven secondary search (EN 13757-3 Annex, "wildcard search"): one digit of
// the secondary address at a time, most significant first, descending where meters collide.
#include <algorithm>

#include "core/mbus/mbus_frame.hpp"
#include "tools/mbus_master.hpp"

namespace ambi {
namespace {

constexpr int kDigits = 8;

class SecondarySearch {
 public:
  SecondarySearch(MbusMaster& master, const std::function<void(std::uint32_t, MbusProbe)>& on_probe)
      : master_(master), on_probe_(on_probe) {}

  std::expected<std::vector<std::uint32_t>, MbusMasterError> run() {
    if (auto ok = visit(kMbusAnyId, -1); !ok) return std::unexpected(ok.error());
    std::ranges::sort(found_);
    const auto [first, last] = std::ranges::unique(found_);
    found_.erase(first, last);
    return found_;
  }

 private:
  /// Selects `id` (whose digits after `position` are F) and follows what answered.
  std::expected<void, MbusMasterError> visit(std::uint32_t id, int position) {
    const auto probe = master_.select(MbusSelection{.id = id});
    if (!probe) return std::unexpected(probe.error());
    if (on_probe_) on_probe_(id, *probe);
    if (*probe == MbusProbe::none) return {};
    if (*probe == MbusProbe::single) return read_selected();
    if (position == kDigits - 1) {
      found_.push_back(id);
      return {};
    }
    return descend(id, position + 1);
  }

  /// Tries the digits 0-9 at `position` (0: the most significant) under `prefix`.
  std::expected<void, MbusMasterError> descend(std::uint32_t prefix, int position) {
    const int shift = 4 * (kDigits - 1 - position);
    for (std::uint32_t digit = 0; digit <= 9; ++digit) {
      const std::uint32_t id = (prefix & ~(0xFU << shift)) | (digit << shift);
      if (auto ok = visit(id, position); !ok) return ok;
    }
    return {};
  }

  std::expected<void, MbusMasterError> read_selected() {
    const auto readout = master_.read(mbus_address::selected);
    if (!readout) return std::unexpected(readout.error());
    found_.push_back(readout->header.id_bcd);
    return {};
  }

  MbusMaster& master_;
  const std::function<void(std::uint32_t, MbusProbe)>& on_probe_;
  std::vector<std::uint32_t> found_;
};

}  // namespace

std::expected<std::vector<std::uint32_t>, MbusMasterError> secondary_search(
    MbusMaster& master, const std::function<void(std::uint32_t mask_id, MbusProbe)>& on_probe) {
  return SecondarySearch{master, on_probe}.run();
}

}  // namespace ambi
