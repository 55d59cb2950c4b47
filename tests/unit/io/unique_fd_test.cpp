// One owner per file descriptor (io/unique_fd.hpp): closed when the owner goes, handed on by
// moving, never closed twice.
#include "io/unique_fd.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <utility>

namespace ambi {
namespace {

/// True while `fd` names an open descriptor of this process.
bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}

int open_null() {
  return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

TEST(UniqueFd, OwnsNothingByDefault) {
  const UniqueFd none;
  EXPECT_EQ(none.get(), -1);
  EXPECT_FALSE(none);
}

TEST(UniqueFd, ClosesItsDescriptorWhenItGoes) {
  int raw = -1;
  {
    const UniqueFd fd{open_null()};
    raw = fd.get();
    ASSERT_TRUE(fd);
    EXPECT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));
}

TEST(UniqueFd, MovingHandsTheDescriptorOnAndLeavesNone) {
  UniqueFd first{open_null()};
  const int raw = first.get();
  UniqueFd second{std::move(first)};
  EXPECT_EQ(first.get(), -1);  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  EXPECT_EQ(second.get(), raw);
  EXPECT_TRUE(is_open(raw));
}

TEST(UniqueFd, MoveAssignmentClosesTheDescriptorItHeld) {
  UniqueFd target{open_null()};
  const int old = target.get();
  UniqueFd source{open_null()};
  const int raw = source.get();
  target = std::move(source);
  EXPECT_FALSE(is_open(old));
  EXPECT_EQ(target.get(), raw);
  EXPECT_TRUE(is_open(raw));
}

TEST(UniqueFd, ReleaseGivesTheDescriptorUpWithoutClosingIt) {
  UniqueFd fd{open_null()};
  const int raw = fd.release();
  EXPECT_EQ(fd.get(), -1);
  EXPECT_TRUE(is_open(raw));
  ::close(raw);
}

TEST(UniqueFd, ResetClosesTheOldDescriptorAndTakesTheNewOne) {
  UniqueFd fd{open_null()};
  const int old = fd.get();
  const int raw = open_null();
  fd.reset(raw);
  EXPECT_FALSE(is_open(old) && old != raw);
  EXPECT_EQ(fd.get(), raw);
  fd.reset();
  EXPECT_FALSE(is_open(raw));
  EXPECT_FALSE(fd);
}

TEST(UniqueFd, ResetToItsOwnDescriptorKeepsItOpen) {
  UniqueFd fd{open_null()};
  const int raw = fd.get();
  fd.reset(raw);
  EXPECT_TRUE(is_open(raw));
}

}  // namespace
}  // namespace ambi
