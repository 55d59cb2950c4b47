// The web page embedded at build time (cmake/embed_assets.cmake): names, types, bytes.
#include "twin/http/web_assets.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace ambi {
namespace {

TEST(WebAssets, EmbedsThePageAndTheChartLibrary) {
  const auto names = web_asset_names();
  for (const char* name :
       {"index.html", "app.js", "style.css", "favicon.svg", "vendor/uplot.esm.js",
        "vendor/uPlot.esm.js", "vendor/qrcode.mjs", "vendor/uplot.iife.min.js",
        "vendor/uPlot.iife.min.js", "vendor/uplot.min.css", "vendor/uPlot.min.css"}) {
    EXPECT_NE(std::ranges::find(names, name), names.end()) << name;
  }
}

TEST(WebAssets, ServesEachFileWithItsContentType) {
  const auto page = find_web_asset("index.html");
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_NE(page->bytes.find("<html"), std::string_view::npos);
  const auto chart = find_web_asset("vendor/uplot.iife.min.js");
  ASSERT_TRUE(chart.has_value());
  EXPECT_EQ(chart->content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(chart->bytes.find("uPlot"), std::string_view::npos);
  EXPECT_EQ(find_web_asset("vendor/uPlot.iife.min.js")->bytes.data(), chart->bytes.data());
  EXPECT_EQ(find_web_asset("style.css")->content_type, "text/css; charset=utf-8");
  // The page imports the libraries as ES modules (its import map names these two).
  const auto esm = find_web_asset("vendor/uplot.esm.js");
  ASSERT_TRUE(esm.has_value());
  EXPECT_EQ(esm->content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(esm->bytes.find("export { uPlot as default }"), std::string_view::npos);
  const auto qr = find_web_asset("vendor/qrcode.mjs");
  ASSERT_TRUE(qr.has_value());
  EXPECT_EQ(qr->content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(qr->bytes.find("export default qrcode"), std::string_view::npos);
  EXPECT_EQ(find_web_asset("favicon.svg")->content_type, "image/svg+xml");
}

TEST(WebAssets, KnowsNothingElse) {
  EXPECT_FALSE(find_web_asset("").has_value());
  EXPECT_FALSE(find_web_asset("../CMakeLists.txt").has_value());
  EXPECT_FALSE(find_web_asset("index.htm").has_value());
  EXPECT_FALSE(find_web_asset("/index.html").has_value());
}

TEST(WebAssets, ChoosesTheContentTypeByExtension) {
  EXPECT_EQ(content_type_of("a.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_of("lcd.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_of("favicon.ico"), "image/x-icon");
  EXPECT_EQ(content_type_of("logo.png"), "image/png");
  EXPECT_EQ(content_type_of("data.json"), "application/json");
  EXPECT_EQ(content_type_of("README"), "application/octet-stream");
}

}  // namespace
}  // namespace ambi
