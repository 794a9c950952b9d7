// datastore_exporter: maps replicated datastores onto the Datastore Model and
// serves them as Prometheus metrics.
#include <signal.h>

#include <cstdio>
#include <initializer_list>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "collectors/kinds.h"
#include "exporter/config/config.h"
#include "exporter/model/log.h"
#include "exporter/scrape/metrics.h"
#include "exporter/scrape/scrape.h"
#include "exporter/web/app.h"
#include "exporter/web/http_server.h"
#include "exporter/web/web_config.h"

namespace dse {
namespace {

constexpr int kExitUsage = 2;

struct Flags {
  std::string config_file;
  bool config_check = false;
  std::string listen_address = ":9755";
  std::string telemetry_path = "/metrics";
  std::string log_level = "info";
  std::string log_format = "logfmt";
  std::string target;
  std::string cluster_id;
  std::string target_password_file;
  std::string target_password_env;
  std::string target_timeout;
  std::string web_config_file;
  int max_requests = 40;
  int max_connections = 200;
};

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "datastore_exporter: %s\n", message.c_str());
  return code;
}

absl::StatusOr<Config> LoadConfig(const Flags& flags,
                                  const KindRegistry& kinds) {
  if (!flags.config_file.empty() && !flags.target.empty()) {
    return absl::InvalidArgumentError(
        "give either --config.file or --target, not both");
  }
  if (!flags.config_file.empty())
    return LoadConfigFile(flags.config_file, kinds);
  if (flags.target.empty()) {
    return absl::InvalidArgumentError(
        "no targets: give --config.file FILE or --target KIND://HOST:PORT "
        "(see --help)");
  }
  auto target = TargetFromUrl(flags.target, flags.cluster_id, kinds);
  if (!target.ok()) return target.status();
  target->password.file = flags.target_password_file;
  target->password.env = flags.target_password_env;
  if (!target->password.file.empty() && !target->password.env.empty()) {
    return absl::InvalidArgumentError(
        "give --target.password-file or --target.password-env, not both");
  }
  if (!flags.target_timeout.empty()) {
    absl::Duration timeout;
    if (!absl::ParseDuration(flags.target_timeout, &timeout) ||
        timeout <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--target.timeout: expected a positive duration such as 2s, got \"",
          flags.target_timeout, "\""));
    }
    target->timeout = timeout;
  }
  Config config;
  config.targets.push_back(*std::move(target));
  return config;
}

// Parses the command line into `flags`. Returns the exit code when the
// process should end here (--help, --version, a bad flag).
std::optional<int> ParseFlags(int argc, char** argv, Flags& flags) {
  CLI::App cli{
      "datastore_exporter: replicated datastores as one Prometheus model"};
  cli.option_defaults()->always_capture_default();
  struct TextFlag {
    const char* name;
    std::string* value;
    const char* help;
  };
  for (const TextFlag& flag : std::initializer_list<TextFlag>{
           {"--config.file", &flags.config_file, "YAML configuration file"},
           {"--web.listen-address", &flags.listen_address,
            "Address to listen on: :PORT, HOST:PORT or [V6]:PORT"},
           {"--web.telemetry-path", &flags.telemetry_path,
            "Path under which metrics are served"},
           {"--web.config.file", &flags.web_config_file,
            "TLS and basic auth configuration (exporter-toolkit format)"},
           {"--log.level", &flags.log_level, "debug, info, warn or error"},
           {"--log.format", &flags.log_format, "logfmt or json"},
           {"--target", &flags.target,
            "Sidecar form: one target as KIND://[USER@]HOST:PORT"},
           {"--cluster-id", &flags.cluster_id,
            "Cluster ID of the --target (for kinds without one)"},
           {"--target.password-file", &flags.target_password_file,
            "File holding the --target's password"},
           {"--target.password-env", &flags.target_password_env,
            "Environment variable holding the --target's password"},
           {"--target.timeout", &flags.target_timeout,
            "Collection timeout of the --target (default 5s)"},
       }) {
    cli.add_option(flag.name, *flag.value, flag.help);
  }
  cli.add_flag("--config.check", flags.config_check,
               "Validate the configuration and exit");
  cli.add_option("--web.max-requests", flags.max_requests,
                 "Requests served at once; more are answered 503")
      ->check(CLI::Range(1, 10000));
  cli.add_option("--web.max-connections", flags.max_connections,
                 "Connections served at once, a thread each (idle ones too)")
      ->check(CLI::Range(1, 10000));
  cli.set_version_flag("--version",
                       absl::StrCat("datastore_exporter ", ExporterVersion(),
                                    " (revision ", ExporterRevision(), ")"));
  try {
    cli.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return cli.exit(e);  // --help, --version.
  } catch (const CLI::ParseError& e) {
    return Fail(kExitUsage, e.what());
  }
  return std::nullopt;
}

// Checks the logging and path flags and sets logging up.
absl::Status SetUpLogging(const Flags& flags) {
  LogLevel level;
  LogFormat format;
  if (!ParseLogLevel(flags.log_level, &level)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--log.level: expected debug, info, warn or error, got \"",
                     flags.log_level, "\""));
  }
  if (!ParseLogFormat(flags.log_format, &format)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--log.format: expected logfmt or json, got \"",
                     flags.log_format, "\""));
  }
  ConfigureLogging(level, format);
  return absl::OkStatus();
}

absl::Status CheckTelemetryPath(const std::string& path) {
  if (path.empty() || path[0] != '/' || path == "/" ||
      path.rfind("/-/", 0) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--web.telemetry-path: expected a path such as "
                     "/metrics, got \"",
                     path, "\""));
  }
  return absl::OkStatus();
}

// Re-reads the configuration file (POST /-/reload, SIGHUP). A bad file is
// logged and the previous configuration keeps serving, with /-/ready saying
// the last load failed.
absl::Status Reload(App& app, const Flags& flags, const KindRegistry& kinds) {
  if (flags.config_file.empty()) {
    Log(LogLevel::kInfo, "reload requested; no configuration file to re-read");
    return absl::OkStatus();
  }
  auto reloaded = LoadConfigFile(flags.config_file, kinds);
  absl::Status status = reloaded.status();
  if (status.ok()) status = LoadClientLibraries(*reloaded, kinds);
  if (!status.ok()) {
    Log(LogLevel::kError,
        "configuration reload failed; keeping the previous one",
        {{"file", flags.config_file}, {"err", std::string(status.message())}});
    app.SetReady(false, std::string(status.message()));
    return status;
  }
  app.SetConfig(*reloaded);
  app.SetReady(true);
  Log(LogLevel::kInfo, "configuration reloaded",
      {{"file", flags.config_file},
       {"targets", std::to_string(reloaded->targets.size())},
       {"modules", std::to_string(reloaded->modules.size())}});
  return absl::OkStatus();
}

// Waits for signals: SIGHUP reloads, SIGINT and SIGTERM end the wait.
void WaitForShutdown(const sigset_t& signals, App& app) {
  while (true) {
    int received = 0;
    sigwait(&signals, &received);
    if (received != SIGHUP) {
      Log(LogLevel::kInfo, "shutting down", {{"signal", strsignal(received)}});
      return;
    }
    (void)app.ReloadConfig();  // Its outcome is logged by Reload.
  }
}

int Run(int argc, char** argv) {
  Flags flags;
  if (std::optional<int> exit_code = ParseFlags(argc, argv, flags)) {
    return *exit_code;
  }
  if (absl::Status usage = SetUpLogging(flags); !usage.ok()) {
    return Fail(kExitUsage, std::string(usage.message()));
  }
  if (absl::Status usage = CheckTelemetryPath(flags.telemetry_path);
      !usage.ok()) {
    return Fail(kExitUsage, std::string(usage.message()));
  }
  const KindRegistry& kinds = BuiltinKinds();
  auto config = LoadConfig(flags, kinds);
  if (!config.ok()) {
    return Fail(kExitUsage, std::string(config.status().message()));
  }
  absl::Status libraries = LoadClientLibraries(*config, kinds);
  if (!libraries.ok()) return Fail(1, std::string(libraries.message()));
  WebConfig web;
  if (!flags.web_config_file.empty()) {
    auto loaded = LoadWebConfig(flags.web_config_file);
    if (!loaded.ok()) {
      return Fail(kExitUsage, std::string(loaded.status().message()));
    }
    web = *std::move(loaded);
  }
  if (flags.config_check) {
    std::printf("configuration is valid: %zu target(s)\n",
                config->targets.size());
    return 0;
  }

  // Signals are taken by sigwait; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  App app(flags.telemetry_path, kinds);
  app.SetConfig(*config);
  app.SetReady(true);
  app.SetReloader([&] { return Reload(app, flags, kinds); });

  HttpServerOptions server_options;
  server_options.web = &web;
  server_options.max_requests = flags.max_requests;
  server_options.max_connections = flags.max_connections;
  server_options.observe = [&app](const HttpRequest& request, int code,
                                  double seconds) {
    app.ObserveRequest(request, code, seconds);
  };
  auto server = HttpServer::Start(
      flags.listen_address,
      [&app](const HttpRequest& r) { return app.Handle(r); }, server_options);
  if (!server.ok()) return Fail(1, std::string(server.status().message()));
  Log(LogLevel::kInfo, "listening",
      {{"address", flags.listen_address},
       {"port", std::to_string((*server)->port())},
       {"targets", std::to_string(config->targets.size())},
       {"modules", std::to_string(config->modules.size())},
       {"tls", web.tls() ? "on" : "off"},
       {"basic_auth", web.basic_auth_users.empty() ? "off" : "on"},
       {"version", ExporterVersion()}});
  WaitForShutdown(signals, app);
  server->reset();
  return 0;
}

}  // namespace
}  // namespace dse

int main(int argc, char** argv) { return dse::Run(argc, argv); }
