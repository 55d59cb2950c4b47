#pragma once
// The exit codes of every `ambimeter` command (docs/tools.md, docs/control-api.md).

namespace ambi {

/// 0 success (for `run`: stopped by SIGINT/SIGTERM, state saved), 1 an unexpected failure or
/// a meter that did not answer, 2 a user error (one line on stderr naming the problem and
/// the fix).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

}  // namespace ambi
