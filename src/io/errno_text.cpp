#include "io/errno_text.hpp"

#include <cerrno>
#include <cstring>

namespace ambi {

std::string errno_text(int error) {
  return std::strerror(error);
}

std::string errno_text() {
  return errno_text(errno);
}

}  // namespace ambi
