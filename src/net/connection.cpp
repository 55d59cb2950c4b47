#include "net/connection.hpp"

#include <utility>

namespace ambi {

void Connection::watch_idle(boost::asio::steady_timer& timer, std::chrono::milliseconds timeout,
                            std::shared_ptr<Connection> self) {
  if (timeout.count() <= 0) return;
  timer.expires_at(self->last_activity_ + timeout);
  timer.async_wait([&timer, timeout, self = std::move(self)](boost::system::error_code ec) mutable {
    if (ec || self->closed_) return;
    if (Clock::now() >= self->last_activity_ + timeout) return self->close();
    watch_idle(timer, timeout, std::move(self));
  });
}

void ConnectionPool::forget_closed() {
  connections_.remove_if([](const std::weak_ptr<Connection>& w) {
    const auto c = w.lock();
    return !c || c->closed();
  });
}

std::size_t ConnectionPool::open_count() {
  forget_closed();
  return connections_.size();
}

bool ConnectionPool::make_room(std::size_t max) {
  if (open_count() < max) return true;
  std::shared_ptr<Connection> oldest;
  for (const auto& w : connections_) {
    const auto c = w.lock();
    if (c && !c->busy() && (!oldest || c->last_activity() < oldest->last_activity())) oldest = c;
  }
  if (!oldest) return false;
  oldest->close();
  connections_.remove_if([&](const std::weak_ptr<Connection>& w) { return w.lock() == oldest; });
  return true;
}

void ConnectionPool::close_all() {
  for (const auto& w : connections_) {
    if (const auto c = w.lock()) c->close();
  }
  connections_.clear();
}

}  // namespace ambi
