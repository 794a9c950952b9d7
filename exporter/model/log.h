// Structured logging to stderr in logfmt or JSON. Callers pass only values
// that are safe to show: secrets are never handed to the logger.
#ifndef DATASTORE_EXPORTER_EXPORTER_MODEL_LOG_H_
#define DATASTORE_EXPORTER_EXPORTER_MODEL_LOG_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dse {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kLogfmt, kJson };

using LogFields = std::vector<std::pair<std::string, std::string>>;

// Parses "debug|info|warn|error" and "logfmt|json"; false when unknown.
bool ParseLogLevel(std::string_view text, LogLevel* level);
bool ParseLogFormat(std::string_view text, LogFormat* format);

void ConfigureLogging(LogLevel level, LogFormat format);
void Log(LogLevel level, std::string_view message,
         const LogFields& fields = {});

// Formats one record (without the timestamp when `with_time` is false).
std::string FormatLogRecord(LogFormat format, LogLevel level,
                            std::string_view message, const LogFields& fields,
                            bool with_time);

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_MODEL_LOG_H_
