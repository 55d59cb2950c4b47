#pragma once
// The JSON control API of `ambimeter run` (docs/control-api.md): routes HTTP requests to
// the twin, serves the embedded web page and hands event-stream requests to EventStreams.
// Errors are {"error":"message"} with 400/403/404/405/409/413/422/503.

#include <string>
#include <vector>

#include "net/http_server.hpp"
#include "twin/http/event_stream.hpp"
#include "twin/http/state_json.hpp"
#include "twin/service/fleet.hpp"
#include "twin/service/twin.hpp"

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
/// The request handler for an HttpServer; `twin` and `events` must outlive the server. A
/// successful request other than GET tells `events` that something changed.
[[nodiscard]] HttpHandler make_api_handler(Twin& twin, EventStreams& events);
/// The handler of a fleet's API (docs/fleet.md): every path of `make_api_handler` for the
/// fleet's first meter, the clock for the whole fleet, GET /api/v1/meters (paged) and
/// /api/v1/meters/{serial}/... for each meter. `gateways[i]` is gateway i's endpoint.
[[nodiscard]] HttpHandler make_fleet_api_handler(Fleet& fleet, std::vector<std::string> gateways,
                                                 EventStreams& events);
/// The data of one event: {"state": GET /api/v1/state, "panel": GET /api/v1/panel} as one
/// line of JSON, after bringing the twin to now.
[[nodiscard]] std::string event_data(Twin& twin);

}  // namespace ambi
