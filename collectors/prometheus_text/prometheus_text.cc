#include "collectors/prometheus_text/prometheus_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace dse {
namespace {

bool IsMetricNameStart(char c) {
  return absl::ascii_isalpha(c) || c == '_' || c == ':';
}
bool IsMetricNameChar(char c) {
  return IsMetricNameStart(c) || absl::ascii_isdigit(c);
}
bool IsLabelNameStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsLabelNameChar(char c) {
  return IsLabelNameStart(c) || absl::ascii_isdigit(c);
}
bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// How an error shows the character it stopped at.
std::string Shown(absl::string_view rest) {
  if (rest.empty()) return "end of line";
  const unsigned char c = rest.front();
  if (c < 0x20 || c >= 0x7f) return absl::StrFormat("byte 0x%02x", c);
  return absl::StrCat("'", rest.substr(0, 1), "'");
}

// What an error quotes of a token: cut short, unprintable bytes escaped.
std::string Quoted(absl::string_view token) {
  std::string shown = absl::CEscape(token.substr(0, 40));
  if (token.size() > 40) absl::StrAppend(&shown, "...");
  return absl::StrCat("\"", shown, "\"");
}

// One line being read from left to right.
class LineReader {
 public:
  LineReader(absl::string_view line, int number)
      : rest_(line), number_(number) {}

  absl::string_view rest() const { return rest_; }
  bool AtEnd() const { return rest_.empty(); }

  // True when there was at least one.
  bool SkipBlanks() {
    const size_t before = rest_.size();
    while (!rest_.empty() && IsBlank(rest_.front())) rest_.remove_prefix(1);
    return rest_.size() != before;
  }

  // Consumes `c` if it is next.
  bool Take(char c) {
    if (rest_.empty() || rest_.front() != c) return false;
    rest_.remove_prefix(1);
    return true;
  }

  // The longest prefix whose first character passes `start` and the others
  // `part`; empty (nothing consumed) when the first does not.
  template <typename Start, typename Part>
  absl::string_view TakeName(Start start, Part part) {
    if (rest_.empty() || !start(rest_.front())) return {};
    size_t end = 1;
    while (end < rest_.size() && part(rest_[end])) ++end;
    absl::string_view name = rest_.substr(0, end);
    rest_.remove_prefix(end);
    return name;
  }

  // Everything up to the next blank (or the end).
  absl::string_view TakeToken() {
    size_t end = 0;
    while (end < rest_.size() && !IsBlank(rest_[end])) ++end;
    absl::string_view token = rest_.substr(0, end);
    rest_.remove_prefix(end);
    return token;
  }

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", number_, ": ", what));
  }
  absl::Status Expected(absl::string_view context,
                        absl::string_view what) const {
    return Error(
        absl::StrCat(context, "expected ", what, ", got ", Shown(rest_)));
  }

  // A quoted label value after its opening quote, unescaped.
  absl::StatusOr<std::string> TakeLabelValue(absl::string_view label) {
    std::string value;
    while (!rest_.empty()) {
      const char c = rest_.front();
      rest_.remove_prefix(1);
      if (c == '"') return value;
      if (c != '\\') {
        value.push_back(c);
        continue;
      }
      if (rest_.empty()) break;
      const char escaped = rest_.front();
      rest_.remove_prefix(1);
      switch (escaped) {
        case '\\':
        case '"':
          value.push_back(escaped);
          break;
        case 'n':
          value.push_back('\n');
          break;
        default:
          return Error(absl::StrCat(
              "label \"", label, "\": bad escape ",
              Quoted(absl::StrCat("\\", absl::string_view(&escaped, 1)))));
      }
    }
    return Error(absl::StrCat("label \"", label, "\": value not closed"));
  }

 private:
  absl::string_view rest_;
  const int number_;
};

// A sample value: a decimal number as Go's strconv writes it, NaN, +Inf or
// -Inf. std::from_chars alone would also take "inf", "nan" and hex digits.
bool ParseValue(absl::string_view token, double* value) {
  if (token == "NaN") {
    *value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (token == "+Inf" || token == "Inf" || token == "-Inf") {
    *value = token == "-Inf" ? -std::numeric_limits<double>::infinity()
                             : std::numeric_limits<double>::infinity();
    return true;
  }
  for (char c : token) {
    if (!absl::ascii_isdigit(c) && c != '.' && c != 'e' && c != 'E' &&
        c != '+' && c != '-') {
      return false;
    }
  }
  absl::string_view number = token;
  if (!number.empty() && (number.front() == '+' || number.front() == '-')) {
    number.remove_prefix(1);
  }
  if (number.empty() ||
      (!absl::ascii_isdigit(number.front()) && number.front() != '.')) {
    return false;
  }
  // from_chars reads a '-' itself but no '+'.
  const char* begin = token.front() == '+' ? number.data() : token.data();
  const char* end = token.data() + token.size();
  auto [stop, error] = std::from_chars(begin, end, *value);
  return error == std::errc() && stop == end && std::isfinite(*value);
}

// `# HELP name ...` and `# TYPE name type`; other comments are skipped.
absl::Status CheckComment(LineReader& line) {
  line.Take('#');
  line.SkipBlanks();
  const absl::string_view keyword = line.TakeToken();
  if (keyword != "HELP" && keyword != "TYPE") return absl::OkStatus();
  const std::string context = absl::StrCat(keyword, ": ");
  line.SkipBlanks();
  const absl::string_view name =
      line.TakeName(IsMetricNameStart, IsMetricNameChar);
  if (name.empty()) return line.Expected(context, "a metric name");
  if (keyword == "HELP") {
    // The docstring is free text (with \\ and \n escapes): not needed.
    if (!line.AtEnd() && !IsBlank(line.rest().front())) {
      return line.Expected(context, "a blank after the metric name");
    }
    return absl::OkStatus();
  }
  line.SkipBlanks();
  const absl::string_view type = line.TakeToken();
  if (type != "counter" && type != "gauge" && type != "histogram" &&
      type != "summary" && type != "untyped") {
    return line.Error(
        absl::StrCat("TYPE ", name, ": unknown type ", Quoted(type)));
  }
  line.SkipBlanks();
  if (!line.AtEnd()) {
    return line.Expected(absl::StrCat("TYPE ", name, ": "), "end of line");
  }
  return absl::OkStatus();
}

// `{label="value",...}` after its opening brace.
absl::Status ParseLabels(LineReader& line, PrometheusSample& sample) {
  while (true) {
    line.SkipBlanks();
    if (line.Take('}')) return absl::OkStatus();
    const absl::string_view label =
        line.TakeName(IsLabelNameStart, IsLabelNameChar);
    if (label.empty()) return line.Expected("", "a label name or '}'");
    if (sample.Label(label) != nullptr) {
      return line.Error(absl::StrCat("label \"", label, "\" given twice"));
    }
    const std::string context = absl::StrCat("label \"", label, "\": ");
    line.SkipBlanks();
    if (!line.Take('=')) return line.Expected(context, "'='");
    line.SkipBlanks();
    if (!line.Take('"')) return line.Expected(context, "'\"'");
    auto value = line.TakeLabelValue(label);
    if (!value.ok()) return value.status();
    sample.labels.emplace_back(std::string(label), *std::move(value));
    line.SkipBlanks();
    if (line.Take('}')) return absl::OkStatus();
    if (!line.Take(',')) return line.Expected(context, "',' or '}'");
  }
}

absl::StatusOr<PrometheusSample> ParseSample(LineReader& line, int number) {
  PrometheusSample sample;
  sample.line = number;
  const absl::string_view name =
      line.TakeName(IsMetricNameStart, IsMetricNameChar);
  if (name.empty()) return line.Expected("", "a metric name");
  sample.name = std::string(name);
  bool blank = line.SkipBlanks();
  if (line.Take('{')) {
    absl::Status labels = ParseLabels(line, sample);
    if (!labels.ok()) return labels;
    blank = line.SkipBlanks();
  }
  const std::string context = absl::StrCat(name, ": ");
  // "name-1" is no sample of "name".
  if (!blank) {
    return line.Expected(context, line.AtEnd() ? "a value" : "a blank");
  }
  const absl::string_view value = line.TakeToken();
  if (value.empty()) return line.Expected(context, "a value");
  if (!ParseValue(value, &sample.value)) {
    return line.Error(absl::StrCat(context, "bad value ", Quoted(value)));
  }
  line.SkipBlanks();
  if (!line.AtEnd()) {
    const absl::string_view timestamp = line.TakeToken();
    int64_t milliseconds = 0;
    if (!absl::SimpleAtoi(timestamp, &milliseconds)) {
      return line.Error(
          absl::StrCat(context, "bad timestamp ", Quoted(timestamp)));
    }
    line.SkipBlanks();
    if (!line.AtEnd()) return line.Expected(context, "end of line");
  }
  return sample;
}

}  // namespace

const std::string* PrometheusSample::Label(absl::string_view label) const {
  for (const auto& pair : labels) {
    if (pair.first == label) return &pair.second;
  }
  return nullptr;
}

absl::StatusOr<std::vector<PrometheusSample>> ParsePrometheusText(
    absl::string_view text, const std::set<std::string, std::less<>>& names) {
  std::vector<PrometheusSample> samples;
  int number = 0;
  for (absl::string_view text_line : absl::StrSplit(text, '\n')) {
    ++number;
    LineReader line(text_line, number);
    line.SkipBlanks();
    if (line.AtEnd()) continue;
    if (line.rest().front() == '#') {
      absl::Status comment = CheckComment(line);
      if (!comment.ok()) return comment;
      continue;
    }
    auto sample = ParseSample(line, number);
    if (!sample.ok()) return sample.status();
    if (names.count(sample->name) > 0) samples.push_back(*std::move(sample));
  }
  return samples;
}

}  // namespace dse
