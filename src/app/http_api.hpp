#pragma once
// The JSON control API of `ambimeter run` (docs/control-api.md): routes HTTP requests to
// the twin. Errors are {"error":"message"} with 400/403/404/405/409/413/422.

#include <vector>

#include "app/http_server.hpp"
#include "app/state_json.hpp"
#include "app/twin.hpp"

namespace ambi {

/// One endpoint: a short name (as in the ready line), the method and the path.
struct ApiEndpoint {
  const char* name;
  const char* method;
  const char* path;
};

/// Every endpoint, in documentation order.
[[nodiscard]] std::vector<ApiEndpoint> api_endpoints();
/// {"state":"GET /api/v1/state", ...}: the map printed in the ready line.
[[nodiscard]] Json endpoints_json();
/// The request handler for an HttpServer; `twin` must outlive the server.
[[nodiscard]] HttpHandler make_api_handler(Twin& twin);

}  // namespace ambi
