#include "io/log.hpp"

#include <cstdio>
#include <string>

namespace ambi {

void write_log_line(std::string_view command, std::string_view message) {
  std::string line = "ambimeter";
  if (!command.empty()) {
    line += ' ';
    line += command;
  }
  line += ": ";
  line += message;
  line += '\n';
  // One write, so that lines of two threads never interleave.
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace ambi
