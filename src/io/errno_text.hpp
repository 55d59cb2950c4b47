#pragma once
// The reason a system call failed, as one line's worth of text.

#include <string>

namespace ambi {

/// strerror(error): "No such file or directory".
[[nodiscard]] std::string errno_text(int error);
/// strerror(errno).
[[nodiscard]] std::string errno_text();

}  // namespace ambi
