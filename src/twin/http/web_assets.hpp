#pragma once
// The web page of `ambimeter run` (docs/control-api.md "The web page"): the files of web/ and
// the uPlot chart library, embedded in the binary at build time (cmake/embed_assets.cmake),
// looked up by the name they are served under (GET /assets/<name>, GET / is index.html).

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace ambi {

/// One embedded file as the generated source lists it.
struct EmbeddedFile {
  const char* name;           ///< "index.html", "vendor/uplot.min.css"
  const unsigned char* data;  ///< the file's bytes
  std::size_t size;
};

/// Every embedded file (defined in the generated web_assets_data.cpp).
[[nodiscard]] std::span<const EmbeddedFile> embedded_web_files();

/// A file ready to serve.
struct WebAsset {
  std::string_view name;
  std::string_view content_type;  ///< from the name's extension: "text/html; charset=utf-8"
  std::string_view bytes;
};

/// The Content-Type for a file name by its extension; application/octet-stream when unknown.
[[nodiscard]] std::string_view content_type_of(std::string_view name);
/// The embedded file served as `name` (exact match), or nullopt.
[[nodiscard]] std::optional<WebAsset> find_web_asset(std::string_view name);
/// The names of every embedded file, in build order.
[[nodiscard]] std::vector<std::string_view> web_asset_names();

}  // namespace ambi
