#include "tests/support/mariadb_server.h"

#include <mysql.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace dse::testing {
namespace {

// Small and quick: these servers hold a few rows.
const char* const kServerFlags[] = {
    "--no-defaults",  // Must come first.
    "--bind-address=127.0.0.1",
    "--skip-name-resolve",
    "--log-bin=mysql-bin",
    "--log-slave-updates",
    "--gtid-strict-mode=1",
    "--innodb-buffer-pool-size=16M",
    "--innodb-log-file-size=4M",
    "--innodb-use-native-aio=0",
    "--innodb-flush-log-at-trx-commit=2",
    "--sync-binlog=0",
};

// A data directory made once by mariadb-install-db and copied for every
// server: installing takes seconds, copying a few milliseconds.
absl::StatusOr<std::string> TemplateDataDir() {
  static const TempDir dir;  // Removed when the test binary exits.
  static std::string made;
  if (!made.empty()) return made;
  std::string install = FindProgram("mariadb-install-db");
  if (install.empty()) {
    return absl::NotFoundError(
        "mariadb-install-db is not installed (package mariadb-server)");
  }
  std::string data = dir.path() + "/data";
  std::vector<std::string> argv = {install,
                                   "--no-defaults",
                                   "--datadir=" + data,
                                   "--skip-test-db",
                                   "--auth-root-authentication-method=socket",
                                   "--innodb-log-file-size=4M"};
  if (geteuid() == 0) argv.push_back("--user=root");
  CommandResult result = RunCommand(argv, absl::Seconds(120));
  if (result.exit_code != 0) {
    return absl::UnavailableError(
        absl::StrCat("mariadb-install-db failed: ", result.output));
  }
  made = data;
  return made;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MariaDbServer>> MariaDbServer::Start(
    const TempDir& dir, int server_id,
    const std::vector<std::string>& extra_args) {
  std::string binary = FindProgram("mariadbd");
  if (binary.empty()) {
    return absl::NotFoundError(
        "mariadbd is not installed (package mariadb-server)");
  }
  auto template_dir = TemplateDataDir();
  if (!template_dir.ok()) return template_dir.status();

  std::unique_ptr<MariaDbServer> server(new MariaDbServer);
  server->port_ = FreePort();
  std::string home = dir.Sub("mariadb-" + std::to_string(server->port_));
  std::error_code copy_error;
  std::filesystem::copy(*template_dir, home + "/data",
                        std::filesystem::copy_options::recursive, copy_error);
  if (copy_error) {
    return absl::InternalError(
        absl::StrCat("copy data directory: ", copy_error.message()));
  }
  server->socket_ = home + "/mysqld.sock";
  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), std::begin(kServerFlags), std::end(kServerFlags));
  argv.insert(
      argv.end(),
      {"--datadir=" + home + "/data", "--port=" + std::to_string(server->port_),
       "--socket=" + server->socket_, "--pid-file=" + home + "/mysqld.pid",
       "--tmpdir=" + home, "--log-error=" + home + "/error.log",
       "--server-id=" + std::to_string(server_id)});
  if (geteuid() == 0) argv.push_back("--user=root");
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  ProcessOptions options;
  options.log_path = home + "/output.log";
  auto process = Process::Start(argv, options);
  if (!process.ok()) return process.status();
  server->process_ = *std::move(process);
  bool up = WaitFor(
      [&] {
        return server->process_->Exited() || server->Query("SELECT 1").ok();
      },
      absl::Seconds(30));
  if (!up || server->process_->Exited()) {
    return absl::UnavailableError(
        absl::StrCat("mariadbd did not start: ", ReadFile(home + "/error.log"),
                     ReadFile(options.log_path)));
  }
  return server;
}

absl::StatusOr<std::vector<std::vector<std::string>>> MariaDbServer::Query(
    const std::string& sql) const {
  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) return absl::ResourceExhaustedError("mysql_init");
  unsigned int connect_timeout = 2, io_timeout = 30;
  unsigned int protocol = MYSQL_PROTOCOL_SOCKET;
  mysql_options(mysql, MYSQL_OPT_PROTOCOL, &protocol);
  mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
  mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
  auto failed = [&](absl::string_view what) {
    absl::Status status = absl::FailedPreconditionError(
        absl::StrCat(what, ": ", mysql_error(mysql)));
    mysql_close(mysql);
    return status;
  };
  if (mysql_real_connect(mysql, "localhost", "root", nullptr, nullptr, 0,
                         socket_.c_str(), CLIENT_MULTI_STATEMENTS) == nullptr) {
    return failed("connect");
  }
  if (mysql_real_query(mysql, sql.data(), sql.size()) != 0) return failed(sql);
  std::vector<std::vector<std::string>> rows;
  for (int statement = 0; statement < 1000; ++statement) {
    MYSQL_RES* result = mysql_store_result(mysql);
    if (result != nullptr) {
      rows.clear();
      const unsigned int width = mysql_num_fields(result);
      while (MYSQL_ROW row = mysql_fetch_row(result)) {
        const unsigned long* lengths = mysql_fetch_lengths(result);
        std::vector<std::string> values;
        for (unsigned int i = 0; i < width; ++i) {
          values.push_back(row[i] == nullptr ? "NULL"
                                             : std::string(row[i], lengths[i]));
        }
        rows.push_back(std::move(values));
      }
      mysql_free_result(result);
    } else if (mysql_field_count(mysql) != 0) {
      return failed(sql);
    }
    int next = mysql_next_result(mysql);
    if (next > 0) return failed(sql);
    if (next < 0) break;
  }
  mysql_close(mysql);
  return rows;
}

std::string MariaDbServer::Value(const std::string& sql) const {
  auto rows = Query(sql);
  if (!rows.ok() || rows->empty() || rows->front().empty()) return "";
  return rows->front().front();
}

absl::Status MariaDbServer::ReplicateFrom(const MariaDbServer& primary) const {
  auto user = primary.Query(
      "CREATE USER IF NOT EXISTS repl@'127.0.0.1' IDENTIFIED BY 'repl'; "
      "GRANT REPLICATION SLAVE ON *.* TO repl@'127.0.0.1'");
  if (!user.ok()) return user.status();
  auto started = Query(absl::StrCat(
      "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=", primary.port(),
      ", MASTER_USER='repl', MASTER_PASSWORD='repl', "
      "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE"));
  return started.status();
}

bool MariaDbServer::CaughtUpWith(const MariaDbServer& primary) const {
  std::string position = primary.Value("SELECT @@gtid_binlog_pos");
  // 0 once reached, -1 after the 15 s timeout.
  return Value(absl::StrCat("SELECT MASTER_GTID_WAIT('", position, "', 15)")) ==
         "0";
}

}  // namespace dse::testing
