// datastore_exporter: maps replicated datastores onto the Datastore Model and
// serves them as Prometheus metrics.
#include <signal.h>

#include <cstdio>
#include <iostream>
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

int Run(int argc, char** argv) {
  Flags flags;
  CLI::App cli{
      "datastore_exporter: replicated datastores as one Prometheus model"};
  cli.option_defaults()->always_capture_default();
  cli.add_option("--config.file", flags.config_file, "YAML configuration file");
  cli.add_flag("--config.check", flags.config_check,
               "Validate the configuration and exit");
  cli.add_option("--web.listen-address", flags.listen_address,
                 "Address to listen on: :PORT, HOST:PORT or [V6]:PORT");
  cli.add_option("--web.telemetry-path", flags.telemetry_path,
                 "Path under which metrics are served");
  cli.add_option("--web.config.file", flags.web_config_file,
                 "TLS and basic auth configuration (exporter-toolkit format)");
  cli.add_option("--web.max-requests", flags.max_requests,
                 "Requests served at once; more are answered 503")
      ->check(CLI::Range(1, 10000));
  cli.add_option("--web.max-connections", flags.max_connections,
                 "Connections served at once, a thread each (idle ones too)")
      ->check(CLI::Range(1, 10000));
  cli.add_option("--log.level", flags.log_level, "debug, info, warn or error");
  cli.add_option("--log.format", flags.log_format, "logfmt or json");
  cli.add_option("--target", flags.target,
                 "Sidecar form: one target as KIND://[USER@]HOST:PORT");
  cli.add_option("--cluster-id", flags.cluster_id,
                 "Cluster ID of the --target (for kinds without one)");
  cli.add_option("--target.password-file", flags.target_password_file,
                 "File holding the --target's password");
  cli.add_option("--target.password-env", flags.target_password_env,
                 "Environment variable holding the --target's password");
  cli.add_option("--target.timeout", flags.target_timeout,
                 "Collection timeout of the --target (default 5s)");
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

  LogLevel level;
  LogFormat format;
  if (!ParseLogLevel(flags.log_level, &level)) {
    return Fail(kExitUsage, absl::StrCat("--log.level: expected debug, info, "
                                         "warn or error, got \"",
                                         flags.log_level, "\""));
  }
  if (!ParseLogFormat(flags.log_format, &format)) {
    return Fail(kExitUsage, absl::StrCat("--log.format: expected logfmt or "
                                         "json, got \"",
                                         flags.log_format, "\""));
  }
  if (flags.telemetry_path.empty() || flags.telemetry_path[0] != '/' ||
      flags.telemetry_path == "/" ||
      flags.telemetry_path.rfind("/-/", 0) == 0) {
    return Fail(kExitUsage,
                absl::StrCat("--web.telemetry-path: expected a path "
                             "such as /metrics, got \"",
                             flags.telemetry_path, "\""));
  }
  ConfigureLogging(level, format);

  const KindRegistry& kinds = BuiltinKinds();
  auto config = LoadConfig(flags, kinds);
  if (!config.ok())
    return Fail(kExitUsage, std::string(config.status().message()));
  absl::Status libraries = LoadClientLibraries(*config, kinds);
  if (!libraries.ok()) return Fail(1, std::string(libraries.message()));
  WebConfig web;
  if (!flags.web_config_file.empty()) {
    auto loaded = LoadWebConfig(flags.web_config_file);
    if (!loaded.ok())
      return Fail(kExitUsage, std::string(loaded.status().message()));
    web = *std::move(loaded);
  }
  if (flags.config_check) {
    std::printf("configuration is valid: %zu target(s)\n",
                config->targets.size());
    return 0;
  }

  // Signals are taken by sigwait below; block them before any thread starts.
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
  // Reload re-reads the file; a bad file is logged and the old configuration
  // keeps serving, with /-/ready saying the last load failed.
  app.SetReloader([&app, &flags, &kinds]() -> absl::Status {
    if (flags.config_file.empty()) {
      Log(LogLevel::kInfo,
          "reload requested; no configuration file to re-read");
      return absl::OkStatus();
    }
    auto reloaded = LoadConfigFile(flags.config_file, kinds);
    if (!reloaded.ok()) {
      Log(LogLevel::kError,
          "configuration reload failed; keeping the previous one",
          {{"file", flags.config_file},
           {"err", std::string(reloaded.status().message())}});
      app.SetReady(false, std::string(reloaded.status().message()));
      return reloaded.status();
    }
    if (absl::Status loaded = LoadClientLibraries(*reloaded, kinds);
        !loaded.ok()) {
      Log(LogLevel::kError,
          "configuration reload failed; keeping the previous one",
          {{"file", flags.config_file},
           {"err", std::string(loaded.message())}});
      app.SetReady(false, std::string(loaded.message()));
      return loaded;
    }
    app.SetConfig(*reloaded);
    app.SetReady(true);
    Log(LogLevel::kInfo, "configuration reloaded",
        {{"file", flags.config_file},
         {"targets", std::to_string(reloaded->targets.size())},
         {"modules", std::to_string(reloaded->modules.size())}});
    return absl::OkStatus();
  });

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

  while (true) {
    int received = 0;
    sigwait(&signals, &received);
    if (received == SIGHUP) {
      // Its outcome is logged by the reloader.
      (void)app.ReloadConfig();
      continue;
    }
    Log(LogLevel::kInfo, "shutting down", {{"signal", strsignal(received)}});
    break;
  }
  server->reset();
  return 0;
}

}  // namespace
}  // namespace dse

int main(int argc, char** argv) { return dse::Run(argc, argv); }
