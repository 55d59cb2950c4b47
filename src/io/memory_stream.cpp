#include "io/memory_stream.hpp"

#include <algorithm>
#include <array>

namespace ambi {

struct MemoryStream::Shared {
  std::array<std::deque<std::vector<std::uint8_t>>, 2> inbox;  ///< per receiving side
  std::array<std::function<void()>, 2> serve;  ///< per receiving side, bound to that end
  std::array<bool, 2> open{true, true};
};

MemoryStream::MemoryStream(std::shared_ptr<Shared> shared, int side)
    : shared_(std::move(shared)), side_(side) {}

MemoryStream::~MemoryStream() {
  shared_->open[static_cast<std::size_t>(side_)] = false;
  shared_->serve[static_cast<std::size_t>(side_)] = nullptr;
}

std::expected<void, std::string> MemoryStream::send(std::span<const std::uint8_t> bytes) {
  const auto peer = static_cast<std::size_t>(1 - side_);
  if (!shared_->open[peer]) return std::unexpected("cannot send: the other side is gone");
  if (bytes.empty()) return {};
  shared_->inbox[peer].emplace_back(bytes.begin(), bytes.end());
  if (shared_->serve[peer]) {
    const auto serve = shared_->serve[peer];  // a copy: it may replace itself
    serve();
  }
  return {};
}

std::expected<std::size_t, std::string> MemoryStream::receive(
    std::span<std::uint8_t> buffer, std::chrono::steady_clock::time_point /*deadline*/) {
  auto& inbox = shared_->inbox[static_cast<std::size_t>(side_)];
  if (inbox.empty()) {
    if (!shared_->open[static_cast<std::size_t>(1 - side_)])
      return std::unexpected("the connection was closed by the other side");
    return std::size_t{0};
  }
  auto& burst = inbox.front();
  const std::size_t n = std::min(buffer.size(), burst.size());
  std::copy_n(burst.begin(), n, buffer.begin());
  burst.erase(burst.begin(), burst.begin() + static_cast<std::ptrdiff_t>(n));
  if (burst.empty()) inbox.pop_front();
  return n;
}

void MemoryStream::discard_input() {
  shared_->inbox[static_cast<std::size_t>(side_)].clear();
}

void MemoryStream::on_receive(std::function<void(MemoryStream&)> serve) {
  shared_->serve[static_cast<std::size_t>(side_)] =
      serve ? std::function<void()>([this, handler = std::move(serve)] { handler(*this); })
            : nullptr;
}

std::vector<std::uint8_t> MemoryStream::take_all() {
  std::vector<std::uint8_t> out;
  for (const auto& burst : shared_->inbox[static_cast<std::size_t>(side_)])
    out.insert(out.end(), burst.begin(), burst.end());
  discard_input();
  return out;
}

std::pair<std::unique_ptr<MemoryStream>, std::unique_ptr<MemoryStream>> memory_stream_pair() {
  auto shared = std::make_shared<MemoryStream::Shared>();
  return {std::make_unique<MemoryStream>(shared, 0), std::make_unique<MemoryStream>(shared, 1)};
}

}  // namespace ambi
