#include "audit/poll_audit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "audit/audit_note.hpp"

namespace ambi {
namespace {

struct CheckName {
  std::string_view name;
  std::string_view severity;
};
// In AuditCheck order.
constexpr std::array<CheckName, kAuditChecks> kCheckNames{{
    {"second-word", "warning"},
    {"unmapped", "error"},
    {"fc04", "error"},
    {"too-many-registers", "error"},
    {"read-only-write", "error"},
    {"repeated-failure", "warning"},
    {"polling-too-fast", "warning"},
    {"gap-in-frame", "error"},
    {"fcb-not-toggled", "warning"},
    {"no-secondary-after-collision", "warning"},
    {"no-meter-at-unit", "error"},
    {"gateway-unit", "error"},
    {"broadcast-read", "error"},
}};

constexpr std::array<std::string_view, 5> kTransportNames{"tcp", "rtu", "rtu-over-tcp", "mbus-tcp",
                                                          "mbus-serial"};

constexpr std::array<std::string_view, 3> kTargetNames{"meter", "no_meter", "gateway"};

constexpr std::string_view kOtherClients = "(other clients)";

}  // namespace

std::string_view to_string(AuditCheck check) {
  return kCheckNames.at(static_cast<std::size_t>(check)).name;
}

std::string_view severity(AuditCheck check) {
  return kCheckNames.at(static_cast<std::size_t>(check)).severity;
}

std::string_view to_string(AuditTransport transport) {
  return kTransportNames.at(static_cast<std::size_t>(transport));
}

std::optional<AuditTransport> audit_transport(std::string_view name) {
  const auto* it = std::find(kTransportNames.begin(), kTransportNames.end(), name);
  if (it == kTransportNames.end()) return std::nullopt;
  return static_cast<AuditTransport>(it - kTransportNames.begin());
}

std::string_view to_string(AuditTarget target) {
  return kTargetNames.at(static_cast<std::size_t>(target));
}

std::optional<AuditTarget> audit_target(std::string_view name) {
  const auto* it = std::find(kTargetNames.begin(), kTargetNames.end(), name);
  if (it == kTargetNames.end()) return std::nullopt;
  return static_cast<AuditTarget>(it - kTargetNames.begin());
}

std::string audit_peer(AuditTransport transport, std::string_view peer) {
  const bool over_tcp = transport == AuditTransport::tcp ||
                        transport == AuditTransport::rtu_over_tcp ||
                        transport == AuditTransport::mbus_tcp;
  if (!over_tcp) return std::string(peer);
  const auto colon = peer.rfind(':');
  if (colon == std::string_view::npos || peer.ends_with(']')) return std::string(peer);
  return std::string(peer.substr(0, colon));
}

bool is_gap_reason(std::string_view reason) {
  return reason.starts_with("frame interrupted by a gap");
}

bool is_talk_over_reason(std::string_view reason) {
  return reason.starts_with("lost: sent while a meter answered");
}

bool is_collision_reason(std::string_view reason) {
  return reason.find("collided") != std::string_view::npos ||
         reason.find("(collision)") != std::string_view::npos;
}

const AuditFinding* AuditClient::finding(AuditCheck check) const {
  const auto& f = findings_.at(static_cast<std::size_t>(check));
  return f ? &*f : nullptr;
}

std::size_t AuditClient::finding_count() const {
  return static_cast<std::size_t>(std::count_if(findings_.begin(), findings_.end(),
                                                [](const auto& f) { return f.has_value(); }));
}

void AuditClient::seen_at(const AuditTime& time) {
  if (requests_ == 0) first_ = time;
  ++requests_;
  last_ = time;
}

void AuditClient::link_error(const LinkErrorSeen& seen) {
  if (is_gap_reason(seen.reason) && transport_ == AuditTransport::rtu) {
    note(AuditCheck::gap_in_frame, seen.time, seen.bytes, [&] {
      return fmt::format(
          "{}: the meter drops such a frame; send each frame in one go (no pause of more than "
          "1.5 characters between its bytes)",
          seen.reason);
    });
  } else if (is_talk_over_reason(seen.reason) && !is_mbus(transport_)) {
    note(AuditCheck::too_fast, seen.time, seen.bytes, [&] {
      return fmt::format(
          "{}: the master sent while a meter of the bus was still answering; wait for the "
          "whole reply and t3.5 before the next request (or for the response timeout when "
          "nobody answers)",
          seen.reason);
    });
  } else if (is_collision_reason(seen.reason) && is_mbus(transport_)) {
    collision_ = seen.time;
  }
}

AuditClient& PollAudit::client(AuditTransport transport, std::string_view peer) {
  const std::string key = audit_peer(transport, peer);
  const auto same = [&](std::string_view p) {
    return [&, p](const AuditClient& c) { return c.transport() == transport && c.peer() == p; };
  };
  auto it = std::find_if(clients_.begin(), clients_.end(), same(key));
  if (it != clients_.end()) return *it;
  const auto named = static_cast<std::size_t>(
      std::count_if(clients_.begin(), clients_.end(),
                    [](const AuditClient& c) { return c.peer() != kOtherClients; }));
  if (named < kMaxClients) return clients_.emplace_back(transport, key);
  ++merged_;
  it = std::find_if(clients_.begin(), clients_.end(), same(kOtherClients));
  if (it != clients_.end()) return *it;
  return clients_.emplace_back(transport, std::string(kOtherClients));
}

}  // namespace ambi
