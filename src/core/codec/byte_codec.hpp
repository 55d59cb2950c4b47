#pragma once
// Little-endian byte writer and reader for the storage image (manual 8.1).
//
// The reader never reads past its span: a short read sets a sticky failure flag and
// yields zero, so a decoder can read a whole record and check `ok()` once at the end.

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace ambi {

/// Appends unsigned and signed integers to a byte vector, least significant byte first.
class ByteWriter {
 public:
  /// Appends the low `width` bytes of `value`.
  void put(std::uint64_t value, std::size_t width) {
    for (std::size_t i = 0; i < width; ++i) {
      bytes_.push_back(static_cast<std::byte>((value >> (8 * i)) & 0xFFU));
    }
  }
  void put_u8(std::uint8_t value) { put(value, 1); }
  void put_u16(std::uint16_t value) { put(value, 2); }
  void put_u32(std::uint32_t value) { put(value, 4); }
  void put_u64(std::uint64_t value) { put(value, 8); }
  /// Two's complement, 8 bytes.
  void put_i64(std::int64_t value) { put(static_cast<std::uint64_t>(value), 8); }
  void put_bytes(std::span<const std::byte> bytes) {
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
  }

  [[nodiscard]] const std::vector<std::byte>& bytes() const { return bytes_; }
  [[nodiscard]] std::vector<std::byte> take() { return std::move(bytes_); }

 private:
  std::vector<std::byte> bytes_;
};

/// Reads what `ByteWriter` wrote, in the same order.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> bytes) : bytes_(bytes) {}

  /// Reads `width` bytes as an unsigned value; 0 and a failure once the span is exhausted.
  [[nodiscard]] std::uint64_t get(std::size_t width) {
    if (bytes_.size() - pos_ < width) {
      ok_ = false;
      pos_ = bytes_.size();
      return 0;
    }
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      value |= static_cast<std::uint64_t>(bytes_[pos_ + i]) << (8 * i);
    }
    pos_ += width;
    return value;
  }
  [[nodiscard]] std::uint8_t get_u8() { return static_cast<std::uint8_t>(get(1)); }
  [[nodiscard]] std::uint16_t get_u16() { return static_cast<std::uint16_t>(get(2)); }
  [[nodiscard]] std::uint32_t get_u32() { return static_cast<std::uint32_t>(get(4)); }
  [[nodiscard]] std::uint64_t get_u64() { return get(8); }
  [[nodiscard]] std::int64_t get_i64() { return static_cast<std::int64_t>(get(8)); }

  /// False once any read ran past the end.
  [[nodiscard]] bool ok() const { return ok_; }
  /// Bytes not yet read.
  [[nodiscard]] std::size_t remaining() const { return bytes_.size() - pos_; }

 private:
  std::span<const std::byte> bytes_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace ambi
