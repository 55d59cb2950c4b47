#include "twin/transport/serial_attachment.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "io/log.hpp"

namespace ambi {
namespace {

namespace fs = std::filesystem;

}  // namespace

std::expected<void, std::string> make_pty_symlink(const fs::path& link, const std::string& target,
                                                  std::string_view flag) {
  std::error_code ec;
  const auto status = fs::symlink_status(link, ec);
  if (!ec && fs::exists(status)) {
    if (!fs::is_symlink(status)) {
      return std::unexpected(
          fmt::format("{} exists and is not a symlink; choose another path with "
                      "{} pty:PATH",
                      link.string(), flag));
    }
    fs::remove(link, ec);
  }
  fs::create_symlink(target, link, ec);
  if (ec) {
    return std::unexpected(
        fmt::format("cannot create the symlink {}: {}; choose another path with "
                    "{} pty:PATH",
                    link.string(), ec.message(), flag));
  }
  return {};
}

void remove_pty_symlink(const fs::path& link, const std::string& target) {
  std::error_code ec;
  if (fs::is_symlink(link, ec) && fs::read_symlink(link, ec) == fs::path(target))
    fs::remove(link, ec);
}

namespace {

std::expected<void, std::string> attach_pty(SerialAttachment& line, std::string_view flag) {
  auto created = create_pseudo_terminal();
  if (!created) return std::unexpected(fmt::format("{}; check {}", created.error(), flag));
  line.fd = created->master;
  line.slave = created->slave;
  line.slave_name = created->slave_name;
  if (auto ok = make_pty_symlink(line.path, line.slave_name, flag); !ok) {
    ::close(line.fd);
    line.release();
    return ok;
  }
  line.linked = true;
  return {};
}

std::expected<void, std::string> attach_device(SerialAttachment& line, std::string_view flag) {
  line.fd = ::open(line.path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK);
  if (line.fd < 0) {
    return std::unexpected(
        fmt::format("cannot open serial device {}: {}; check {} (or give pty:PATH for a "
                    "pseudo-terminal)",
                    line.path, errno_text(), flag));
  }
  if (::isatty(line.fd) == 0) {
    ::close(line.fd);
    return std::unexpected(
        fmt::format("{} is not a serial device; check {} (or give pty:PATH for a "
                    "pseudo-terminal)",
                    line.path, flag));
  }
  return {};
}

}  // namespace

std::expected<SerialAttachment, std::string> SerialAttachment::open(const std::string& path,
                                                                    bool pty, std::uint32_t baud,
                                                                    Parity parity,
                                                                    std::string_view flag) {
  SerialAttachment line;
  line.path = path;
  line.pty = pty;
  auto attached = pty ? attach_pty(line, flag) : attach_device(line, flag);
  if (!attached) return std::unexpected(attached.error());
  if (!configure_serial_line(line.fd, baud, parity, pty)) {
    const std::string why = errno_text();
    ::close(line.fd);
    line.release();
    return std::unexpected(fmt::format("cannot configure {}: {}; check {}", path, why, flag));
  }
  return line;
}

void SerialAttachment::release() {
  if (slave >= 0) ::close(slave);
  slave = -1;
  if (linked) remove_pty_symlink(path, slave_name);
  linked = false;
}

namespace {

void retry_until_open(boost::asio::steady_timer& timer, std::function<bool()> attempt) {
  timer.expires_after(kSerialReopenInterval);
  timer.async_wait([&timer, attempt = std::move(attempt)](boost::system::error_code ec) mutable {
    if (ec || attempt()) return;
    retry_until_open(timer, std::move(attempt));
  });
}

}  // namespace

void serial_line_lost(std::string_view face, const SerialAttachment& line,
                      const boost::system::error_code& error, boost::asio::steady_timer& timer,
                      std::function<bool()> reopen) {
  if (line.pty) return log_line("{} {}: {}; the port is closed", face, line.path, error.message());
  log_line("{} {}: {}; opening it again every {} s until it is back", face, line.path,
           error.message(), kSerialReopenInterval.count());
  retry_until_open(timer, std::move(reopen));
}

}  // namespace ambi
