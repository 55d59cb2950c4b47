#pragma once
// JSON request bodies of the control API turned into core inputs and commands
// (docs/control-api.md). Every failure names the field and what is allowed.

#include <array>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "core/meter/commands.hpp"
#include "core/meter/load.hpp"
#include "twin/http/state_json.hpp"

namespace ambi {

/// An HTTP error answer: status code and a one-line message.
struct ApiError {
  unsigned status = 400;
  std::string message;
};

template <class T = void>
using ApiResult = std::expected<T, ApiError>;

/// 422 with `message`.
[[nodiscard]] std::unexpected<ApiError> unprocessable(std::string message);

/// The HTTP status that fits a core refusal: 403 wrong password or path not allowed,
/// 409 locked / limit reached / powered off / stopped, 422 out of range.
[[nodiscard]] unsigned status_of(const Rejection& rejection);

/// PUT /api/v1/load: {"L1":{"v","i","phi"},"L2":...,"L3":...,"f"}; what is missing keeps
/// its value in `base`. Types and names only; ranges are the core's (check_load).
[[nodiscard]] ApiResult<LoadInput> load_from_json(const Json& body, const LoadInput& base);

/// The names PUT /api/v1/settings accepts, in documentation order.
[[nodiscard]] const std::vector<std::string>& setting_names();

/// The commands of a "settings" object, in the order given. Unknown names and bad types
/// give 422; ranges are left to the meter (apply_all).
[[nodiscard]] ApiResult<std::vector<Command>> settings_commands(const Json& settings);

/// The "password" member of a body: absent → nullopt; not 4 digits → 422.
[[nodiscard]] ApiResult<std::optional<std::array<char, 4>>> password_of(const Json& body);

/// POST /api/v1/reset "what": "trip_counter" | "power_down_counter".
[[nodiscard]] ApiResult<Command> reset_command(const Json& body);

/// A member that must be a finite number; `required` false lets it be absent (nullopt).
[[nodiscard]] ApiResult<std::optional<double>> number_member(const Json& body, const char* name,
                                                             bool required);
/// A member that must be a boolean.
[[nodiscard]] ApiResult<bool> bool_member(const Json& body, const char* name);

/// Fails with 422 naming the first member of `body` not in `allowed`.
[[nodiscard]] ApiResult<> only_members(const Json& body,
                                       std::initializer_list<const char*> allowed);

}  // namespace ambi
