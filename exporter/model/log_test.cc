#include "exporter/model/log.h"

#include "gtest/gtest.h"

namespace dse {
namespace {

TEST(FormatLogRecord, Logfmt) {
  EXPECT_EQ(
      FormatLogRecord(LogFormat::kLogfmt, LogLevel::kWarn, "target is down",
                      {{"target", "a"}, {"err", "connect: refused"}}, false),
      "level=warn msg=\"target is down\" target=a err=\"connect: refused\"");
}

TEST(FormatLogRecord, JsonEscapes) {
  EXPECT_EQ(FormatLogRecord(LogFormat::kJson, LogLevel::kInfo, "x",
                            {{"k", "a\"b\n"}}, false),
            "{\"level\":\"info\",\"msg\":\"x\",\"k\":\"a\\\"b\\n\"}");
}

TEST(ParseLogLevel, KnownAndUnknown) {
  LogLevel level;
  EXPECT_TRUE(ParseLogLevel("debug", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
  EXPECT_FALSE(ParseLogLevel("verbose", &level));
  LogFormat format;
  EXPECT_TRUE(ParseLogFormat("json", &format));
  EXPECT_FALSE(ParseLogFormat("xml", &format));
}

}  // namespace
}  // namespace dse
