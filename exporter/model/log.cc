#include "exporter/model/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace dse {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<int> g_format{static_cast<int>(LogFormat::kLogfmt)};
std::mutex g_write_mutex;

// By LogLevel's value.
constexpr std::string_view kLevelNames[] = {"debug", "info", "warn", "error"};
static_assert(sizeof(kLevelNames) / sizeof(kLevelNames[0]) ==
              static_cast<size_t>(LogLevel::kError) + 1);

std::string_view LevelName(LogLevel level) {
  return kLevelNames[static_cast<size_t>(level)];
}

void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void AppendLogfmtValue(std::string& out, std::string_view text) {
  bool quote = text.empty();
  for (unsigned char c : text) {
    if (c <= ' ' || c == '=' || c == '"') quote = true;
  }
  if (quote) {
    AppendJsonString(out, text);
  } else {
    out.append(text);
  }
}

}  // namespace

bool ParseLogLevel(std::string_view text, LogLevel* level) {
  for (LogLevel each :
       {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (text == LevelName(each)) {
      *level = each;
      return true;
    }
  }
  return false;
}

bool ParseLogFormat(std::string_view text, LogFormat* format) {
  if (text == "logfmt") {
    *format = LogFormat::kLogfmt;
  } else if (text == "json") {
    *format = LogFormat::kJson;
  } else {
    return false;
  }
  return true;
}

void ConfigureLogging(LogLevel level, LogFormat format) {
  g_level = static_cast<int>(level);
  g_format = static_cast<int>(format);
}

std::string FormatLogRecord(LogFormat format, LogLevel level,
                            std::string_view message, const LogFields& fields,
                            bool with_time) {
  LogFields all;
  if (with_time) {
    all.emplace_back("ts", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                            absl::UTCTimeZone()));
  }
  all.emplace_back("level", LevelName(level));
  all.emplace_back("msg", std::string(message));
  all.insert(all.end(), fields.begin(), fields.end());
  std::string out;
  if (format == LogFormat::kJson) {
    out += '{';
    for (size_t i = 0; i < all.size(); ++i) {
      if (i > 0) out += ',';
      AppendJsonString(out, all[i].first);
      out += ':';
      AppendJsonString(out, all[i].second);
    }
    out += '}';
  } else {
    for (size_t i = 0; i < all.size(); ++i) {
      if (i > 0) out += ' ';
      out += all[i].first;
      out += '=';
      AppendLogfmtValue(out, all[i].second);
    }
  }
  return out;
}

void Log(LogLevel level, std::string_view message, const LogFields& fields) {
  if (static_cast<int>(level) < g_level.load()) return;
  std::string line = FormatLogRecord(static_cast<LogFormat>(g_format.load()),
                                     level, message, fields, true);
  line += '\n';
  std::lock_guard<std::mutex> lock(g_write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace dse
