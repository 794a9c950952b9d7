-- The one query the postgresql collector sends per scrape (compiled in by
-- CMake; fixtures/record.sh runs this file too). Works for a role with
-- pg_monitor. The CASE keeps pg_current_wal_flush_lsn(), which fails during
-- recovery, off standbys; replay_lsn is read before receive_lsn so that the
-- receive position is never older than the replay position it is compared to.
SELECT
  control.system_identifier,
  current_setting('cluster_name') AS cluster_name,
  current_setting('server_version') AS server_version,
  recovery.in_recovery,
  CASE WHEN NOT recovery.in_recovery THEN pg_current_wal_flush_lsn() END
    AS flush_lsn,
  pg_last_wal_replay_lsn() AS replay_lsn,
  pg_last_wal_receive_lsn() AS receive_lsn,
  extract(epoch FROM pg_last_xact_replay_timestamp()) AS last_replay_epoch,
  extract(epoch FROM clock_timestamp()) AS now_epoch,
  receiver.pid AS wal_receiver_pid,
  receiver.status AS wal_receiver_status
FROM pg_control_system() AS control
CROSS JOIN (SELECT pg_is_in_recovery() AS in_recovery) AS recovery
LEFT JOIN pg_stat_wal_receiver AS receiver ON true
