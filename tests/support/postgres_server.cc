#include "tests/support/postgres_server.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace dse::testing {
namespace {

constexpr char kUser[] = "postgres";

// Makes `path` (created if needed) owned by postgres with `mode`.
absl::Status OwnedByPostgres(const std::string& path, mode_t mode) {
  passwd* user = getpwnam(kUser);
  if (user == nullptr) {
    return absl::NotFoundError(
        "no user postgres: install postgresql-15 (it creates the user)");
  }
  mkdir(path.c_str(), mode);
  if (chown(path.c_str(), user->pw_uid, user->pw_gid) != 0 ||
      chmod(path.c_str(), mode) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot give ", path, " to postgres"));
  }
  return absl::OkStatus();
}

absl::Status AppendSettings(const std::string& data,
                            const std::vector<std::string>& settings) {
  std::string conf = ReadFile(data + "/postgresql.conf");
  absl::StrAppend(&conf, "\n# Added by the tests.\n",
                  absl::StrJoin(settings, "\n"), "\n");
  if (!WriteFile(data + "/postgresql.conf", conf)) {
    return absl::InternalError(
        absl::StrCat("cannot write ", data, "/postgresql.conf"));
  }
  return absl::OkStatus();
}

// Runs a server program as postgres, for at most 120 s.
CommandResult RunAsPostgres(const std::vector<std::string>& argv) {
  ProcessOptions as_postgres;
  as_postgres.run_as = kUser;
  return RunCommand(argv, absl::Seconds(120), as_postgres);
}

}  // namespace

absl::StatusOr<std::string> PostgresBinDir() {
  const char* from_env = getenv("DSE_PG_BINDIR");
  std::string dir =
      from_env != nullptr ? from_env : "/usr/lib/postgresql/15/bin";
  if (access((dir + "/initdb").c_str(), X_OK) != 0) {
    return absl::NotFoundError(
        absl::StrCat("PostgreSQL server programs not found: no ", dir,
                     "/initdb (install postgresql-15, or set DSE_PG_BINDIR)"));
  }
  return dir;
}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Prepare(
    const TempDir& dir, std::string* data) {
  std::unique_ptr<PostgresServer> server(new PostgresServer);
  server->port_ = FreePort();
  *data = dir.Sub("postgres-" + std::to_string(server->port_)) + "/data";
  absl::Status owned = OwnedByPostgres(*data, 0700);
  if (!owned.ok()) return owned;
  return server;
}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::StartPrimary(
    const TempDir& dir, const std::vector<std::string>& settings) {
  auto bin = PostgresBinDir();
  if (!bin.ok()) return bin.status();
  std::string data;
  auto server = Prepare(dir, &data);
  if (!server.ok()) return server.status();
  CommandResult initdb =
      RunAsPostgres({*bin + "/initdb", "-D", data, "-U", kUser, "--auth=trust",
                     "--no-sync", "--encoding=UTF8", "--locale=C"});
  if (initdb.exit_code != 0) {
    return absl::InternalError(absl::StrCat("initdb failed: ", initdb.output));
  }
  // The superuser is trusted (the tests' own connections, replication);
  // every other role proves its password.
  if (!WriteFile(data + "/pg_hba.conf",
                 "host all postgres 127.0.0.1/32 trust\n"
                 "host replication postgres 127.0.0.1/32 trust\n"
                 "host all all 127.0.0.1/32 scram-sha-256\n")) {
    return absl::InternalError("cannot write pg_hba.conf");
  }
  std::vector<std::string> conf = {
      "listen_addresses = '127.0.0.1'",
      "unix_socket_directories = ''",
      // Tests, not durability: no fsync, small memory, few connections.
      "fsync = off",
      "shared_buffers = 16MB",
      "max_connections = 30",
      "max_wal_senders = 5",
      // No background transactions that would move replay timestamps.
      "autovacuum = off",
  };
  conf.insert(conf.end(), settings.begin(), settings.end());
  absl::Status appended = AppendSettings(data, conf);
  if (!appended.ok()) return appended;
  return Start(*std::move(server), data);
}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::StartStandby(
    const TempDir& dir, const PostgresServer& primary,
    const std::vector<std::string>& settings) {
  auto bin = PostgresBinDir();
  if (!bin.ok()) return bin.status();
  std::string data;
  auto server = Prepare(dir, &data);
  if (!server.ok()) return server.status();
  // Process::Start sets HOME to postgres's own, so the passfile that -R
  // writes into primary_conninfo is postgres's (and unused: trust).
  CommandResult backup =
      RunAsPostgres({*bin + "/pg_basebackup", "-h", "127.0.0.1", "-p",
                     std::to_string(primary.port()), "-U", kUser, "-D", data,
                     "-R", "-X", "stream", "-c", "fast", "--no-sync"});
  if (backup.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("pg_basebackup failed: ", backup.output));
  }
  // The copy has the primary's postgresql.conf: later lines win.
  // (The port is given on the command line.)
  std::vector<std::string> conf = {"cluster_name = ''"};
  conf.insert(conf.end(), settings.begin(), settings.end());
  absl::Status appended = AppendSettings(data, conf);
  if (!appended.ok()) return appended;
  auto standby = Start(*std::move(server), data);
  if (!standby.ok()) return standby;
  bool streaming = WaitFor(
      [&] {
        auto status =
            (*standby)->Query("SELECT status FROM pg_stat_wal_receiver");
        return status.ok() && *status == "streaming";
      },
      absl::Seconds(30));
  if (!streaming) {
    return absl::UnavailableError(absl::StrCat(
        "standby did not start streaming: ", ReadFile((*standby)->log_path())));
  }
  return standby;
}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start(
    std::unique_ptr<PostgresServer> server, const std::string& data) {
  auto bin = PostgresBinDir();
  if (!bin.ok()) return bin.status();
  server->log_path_ = data + ".log";
  ProcessOptions options;
  options.run_as = kUser;
  options.log_path = server->log_path_;
  auto process = Process::Start({*bin + "/postgres", "-D", data, "-c",
                                 "port=" + std::to_string(server->port_)},
                                options);
  if (!process.ok()) return process.status();
  server->process_ = *std::move(process);
  bool up = WaitFor(
      [&] {
        return server->process_->Exited() || server->Query("SELECT 1").ok();
      },
      absl::Seconds(30), absl::Milliseconds(100));
  if (!up || server->process_->Exited()) {
    return absl::UnavailableError(
        absl::StrCat("postgres did not start: ", ReadFile(server->log_path_)));
  }
  return server;
}

PostgresServer::~PostgresServer() { Stop(); }

void PostgresServer::Stop() {
  if (process_ == nullptr || process_->Exited()) return;
  SignalAll(SIGCONT);
  process_->Signal(SIGINT);
  if (process_->Wait(absl::Seconds(15)) == -1) process_->Stop(absl::Seconds(1));
}

void PostgresServer::SignalAll(int signal) const {
  if (process_ == nullptr || process_->Exited()) return;
  const pid_t postmaster = process_->pid();
  // The postmaster first, so that it forks no new child meanwhile. Its
  // children each call setsid(): they are found by parent, not by group.
  kill(postmaster, signal);
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc", error)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces.
    std::string stat = ReadFile(entry.path().string() + "/stat");
    size_t end_of_comm = stat.rfind(')');
    if (end_of_comm == std::string::npos) continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(absl::string_view(stat).substr(end_of_comm + 1), ' ',
                       absl::SkipEmpty());
    pid_t parent = 0;
    if (fields.size() > 1 && absl::SimpleAtoi(fields[1], &parent) &&
        parent == postmaster) {
      kill(pid, signal);
    }
  }
}

absl::StatusOr<std::string> PostgresServer::Query(
    const std::string& sql) const {
  const std::string port = std::to_string(port_);
  const char* keys[] = {"host",    "port", "user", "dbname", "connect_timeout",
                        "options", nullptr};
  const char* values[] = {"127.0.0.1", port.c_str(),
                          kUser,       "postgres",
                          "5",         "-c statement_timeout=5000",
                          nullptr};
  PGconn* connection = PQconnectdbParams(keys, values, 0);
  if (PQstatus(connection) != CONNECTION_OK) {
    std::string why = PQerrorMessage(connection);
    PQfinish(connection);
    return absl::UnavailableError(absl::StripTrailingAsciiWhitespace(why));
  }
  PGresult* result = PQexec(connection, sql.c_str());
  absl::StatusOr<std::string> value = std::string();
  ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_TUPLES_OK) {
    if (PQntuples(result) > 0 && PQnfields(result) > 0 &&
        !PQgetisnull(result, 0, 0)) {
      value = std::string(PQgetvalue(result, 0, 0));
    }
  } else if (status != PGRES_COMMAND_OK) {
    value = absl::FailedPreconditionError(
        absl::StripTrailingAsciiWhitespace(PQresultErrorMessage(result)));
  }
  PQclear(result);
  PQfinish(connection);
  return value;
}

}  // namespace dse::testing
