// Log lines on stderr (io/log.hpp): the twin's "ambimeter: ..." and the tools' "ambimeter
// read: ..." from one writer.
#include "io/log.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ambi {
namespace {

TEST(LogLine, WritesOneFormattedLineForTheTwin) {
  testing::internal::CaptureStderr();
  log_line("modbus tcp listening on {}:{}", "127.0.0.1", 502);
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "ambimeter: modbus tcp listening on 127.0.0.1:502\n");
}

TEST(WriteLogLine, NamesTheCommandWhenThereIsOne) {
  testing::internal::CaptureStderr();
  write_log_line("log", "3 polls, 3 stored");
  write_log_line({}, "stopped");
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "ambimeter log: 3 polls, 3 stored\nambimeter: stopped\n");
}

}  // namespace
}  // namespace ambi
