-- The one query of the postgresql kind's discovery (/sd): the servers this
-- node names (compiled in by CMake; fixtures/record.sh runs this file too).
-- Works for a role with pg_monitor.
--   sender_host, sender_port: the upstream server this standby's WAL receiver
--     is connected to; NULL when it is not connected (and on a primary).
--   primary_conninfo: the upstream it is configured to stream from, only
--     while in recovery (a promoted server keeps the setting but follows
--     nobody). It may hold a password: it is parsed, never shown.
--   standby_hosts: client_addr of each standby streaming from this node,
--     separated by spaces. Only physical WAL senders (no database: logical
--     subscribers belong to other clusters) whose peer replays WAL (a replay
--     position: pg_receivewal and pg_basebackup report none); a standby
--     connected over a Unix socket has no client_addr and is left out.
--   reads_all_stats: whether this role may see the addresses at all
--     (pg_read_all_stats, part of pg_monitor); without it they read NULL.
SELECT
  receiver.sender_host,
  receiver.sender_port,
  CASE WHEN pg_is_in_recovery() THEN current_setting('primary_conninfo') END
    AS primary_conninfo,
  standbys.hosts AS standby_hosts,
  pg_has_role('pg_read_all_stats', 'USAGE') AS reads_all_stats
FROM (
  SELECT string_agg(host(sender.client_addr), ' '
                    ORDER BY sender.client_addr) AS hosts
  FROM pg_stat_replication AS sender
  JOIN pg_stat_activity AS activity ON activity.pid = sender.pid
  WHERE activity.datid IS NULL AND sender.replay_lsn IS NOT NULL
) AS standbys
LEFT JOIN pg_stat_wal_receiver AS receiver ON true
