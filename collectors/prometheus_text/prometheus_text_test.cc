#include "collectors/prometheus_text/prometheus_text.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

using Labels = std::vector<std::pair<std::string, std::string>>;

std::vector<PrometheusSample> Parse(const std::string& text,
                                    const std::string& name = "m") {
  auto samples = ParsePrometheusText(text, {name});
  EXPECT_TRUE(samples.ok()) << text << ": " << samples.status();
  return samples.ok() ? *std::move(samples) : std::vector<PrometheusSample>();
}

TEST(ParsePrometheusText, KeepsOnlyTheNamedMetricsInOrder) {
  const std::string text =
      "# TYPE m gauge\n"
      "# HELP m A gauge, with \\\\ and \\n in its help\n"
      "m{vhost=\"/\",queue=\"qq2\"} 62\n"
      "other 1\n"
      "m{vhost=\"/\",queue=\"qq1\"} 102\n"
      "m 0\n";
  auto samples = Parse(text);
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].line, 3);
  EXPECT_EQ(samples[0].name, "m");
  EXPECT_THAT(samples[0].labels,
              ElementsAre(Pair("vhost", "/"), Pair("queue", "qq2")));
  EXPECT_EQ(samples[0].value, 62);
  EXPECT_EQ(*samples[1].Label("queue"), "qq1");
  EXPECT_EQ(samples[1].Label("node"), nullptr);
  EXPECT_EQ(samples[2].line, 6);
  EXPECT_THAT(samples[2].labels, IsEmpty());
  EXPECT_EQ(samples[2].value, 0);
}

TEST(ParsePrometheusText, UnescapesLabelValues) {
  auto samples = Parse(
      "m{a=\"back\\\\slash\",b=\"quo\\\"te\",c=\"new\\nline\",d=\"\",e=\"{,}="
      "\"}"
      " 1\n");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_THAT(
      samples[0].labels,
      ElementsAre(Pair("a", "back\\slash"), Pair("b", "quo\"te"),
                  Pair("c", "new\nline"), Pair("d", ""), Pair("e", "{,}=")));
}

TEST(ParsePrometheusText, ValuesAsGoWritesThem) {
  const struct {
    const char* text;
    double value;
  } cases[] = {
      {"0", 0},          {"102", 102},        {"-1", -1},
      {"+7", 7},         {"0.002", 0.002},    {".5", 0.5},
      {"1e3", 1000},     {"1.5E-3", 0.0015},  {"+Inf", INFINITY},
      {"Inf", INFINITY}, {"-Inf", -INFINITY},
  };
  for (const auto& c : cases) {
    auto samples = Parse(std::string("m ") + c.text + "\n");
    ASSERT_EQ(samples.size(), 1u) << c.text;
    EXPECT_EQ(samples[0].value, c.value) << c.text;
  }
  auto samples = Parse("m NaN\n");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_TRUE(std::isnan(samples[0].value));
}

TEST(ParsePrometheusText, BlanksTimestampsCommentsAndTrailingComma) {
  auto samples = Parse(
      "\n"
      "   \t\n"
      "# a free comment\n"
      "#\n"
      "  m { a = \"1\" , } \t 5 1700000000000 \n"
      "m{} 6 -3\n"
      "m 7");  // No final newline.
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].line, 5);
  EXPECT_THAT(samples[0].labels, ElementsAre(Pair("a", "1")));
  EXPECT_EQ(samples[0].value, 5);
  EXPECT_EQ(samples[1].value, 6);
  EXPECT_EQ(samples[2].value, 7);
  EXPECT_THAT(Parse(""), IsEmpty());
}

TEST(ParsePrometheusText, EveryLineIsCheckedEvenWhenNotKept) {
  auto samples = ParsePrometheusText("m 1\nother{a=\"1\" 2\n", {"m"});
  ASSERT_FALSE(samples.ok());
  EXPECT_THAT(std::string(samples.status().message()),
              HasSubstr("line 2: label \"a\": expected ',' or '}'"));
}

TEST(ParsePrometheusText, BadLinesNameTheLineAndWhat) {
  const struct {
    const char* text;
    const char* error;
  } cases[] = {
      {"{a=\"1\"} 1", "line 1: expected a metric name, got '{'"},
      {"9m 1", "line 1: expected a metric name, got '9'"},
      {"m", "line 1: m: expected a value, got end of line"},
      {"m ", "line 1: m: expected a value, got end of line"},
      {"m-1", "line 1: m: expected a blank, got '-'"},
      {"m{a=\"1\"}2", "line 1: m: expected a blank, got '2'"},
      {"m x", "line 1: m: bad value \"x\""},
      {"m nan", "line 1: m: bad value \"nan\""},
      {"m inf", "line 1: m: bad value \"inf\""},
      {"m 0x10", "line 1: m: bad value \"0x10\""},
      {"m 1..2", "line 1: m: bad value \"1..2\""},
      {"m +-1", "line 1: m: bad value \"+-1\""},
      {"m e5", "line 1: m: bad value \"e5\""},
      {"m 1e999", "line 1: m: bad value \"1e999\""},
      {"m 1 x", "line 1: m: bad timestamp \"x\""},
      {"m 1 1.5", "line 1: m: bad timestamp \"1.5\""},
      {"m 1 2 3", "line 1: m: expected end of line, got '3'"},
      {"m{", "line 1: expected a label name or '}', got end of line"},
      {"m{9=\"1\"} 1", "line 1: expected a label name or '}', got '9'"},
      {"m{a} 1", "line 1: label \"a\": expected '=', got '}'"},
      {"m{a=1} 1", "line 1: label \"a\": expected '\"', got '1'"},
      {"m{a=\"1} 1", "line 1: label \"a\": value not closed"},
      {"m{a=\"1\\", "line 1: label \"a\": value not closed"},
      {"m{a=\"\\t\"} 1", "line 1: label \"a\": bad escape \"\\\\t\""},
      {"m{a=\"1\" b=\"2\"} 1", "line 1: label \"a\": expected ',' or '}'"},
      {"m{a=\"1\",,} 1", "line 1: expected a label name or '}', got ','"},
      {"m{a=\"1\",a=\"2\"} 1", "line 1: label \"a\" given twice"},
      {"m{a=\"1\"\x01} 1", "expected ',' or '}', got byte 0x01"},
      {"m 1\r", "line 1: m: bad value \"1\\r\""},
      {"# TYPE", "line 1: TYPE: expected a metric name, got end of line"},
      {"# TYPE m", "line 1: TYPE m: unknown type \"\""},
      {"# TYPE m gauges", "line 1: TYPE m: unknown type \"gauges\""},
      {"# TYPE m gauge x", "line 1: TYPE m: expected end of line, got 'x'"},
      {"# HELP 1m x", "line 1: HELP: expected a metric name, got '1'"},
      {"# HELP m-x", "line 1: HELP: expected a blank after the metric name"},
      {"m 1\n\n# TYPE m gauge\nm{a=\"\"} oops\n", "line 4: m: bad value"},
  };
  for (const auto& c : cases) {
    auto samples = ParsePrometheusText(c.text, {"m"});
    EXPECT_FALSE(samples.ok()) << c.text;
    EXPECT_THAT(std::string(samples.status().message()), HasSubstr(c.error))
        << c.text;
  }
}

TEST(ParsePrometheusText, LongOrBinaryTokensAreQuotedShortAndEscaped) {
  auto samples =
      ParsePrometheusText("m " + std::string(100, '7') + "x\n", {"m"});
  ASSERT_FALSE(samples.ok());
  EXPECT_EQ(samples.status().message(),
            "line 1: m: bad value \"" + std::string(40, '7') + "...\"");
  samples = ParsePrometheusText(std::string("m \xff\n"), {"m"});
  ASSERT_FALSE(samples.ok());
  EXPECT_EQ(samples.status().message(), "line 1: m: bad value \"\\377\"");
}

}  // namespace
}  // namespace dse
