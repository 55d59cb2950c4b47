#include "twin/http/web_assets.hpp"

#include <array>

namespace ambi {
namespace {

struct TypeByExtension {
  std::string_view extension;
  std::string_view content_type;
};

constexpr std::array<TypeByExtension, 11> kContentTypes{{
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
    {".map", "application/json"},
}};

}  // namespace

std::string_view content_type_of(std::string_view name) {
  for (const TypeByExtension& t : kContentTypes) {
    if (name.ends_with(t.extension)) return t.content_type;
  }
  return "application/octet-stream";
}

std::optional<WebAsset> find_web_asset(std::string_view name) {
  for (const EmbeddedFile& file : embedded_web_files()) {
    if (name != file.name) continue;
    return WebAsset{file.name, content_type_of(file.name),
                    std::string_view(reinterpret_cast<const char*>(file.data), file.size)};
  }
  return std::nullopt;
}

std::vector<std::string_view> web_asset_names() {
  std::vector<std::string_view> names;
  for (const EmbeddedFile& file : embedded_web_files()) names.emplace_back(file.name);
  return names;
}

}  // namespace ambi
