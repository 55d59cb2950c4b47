#pragma once
// A fresh directory under /tmp for one test, removed with everything in it afterwards.
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace ambi {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "ambi-test") {
    std::string templ = "/tmp/" + prefix + "-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace ambi
