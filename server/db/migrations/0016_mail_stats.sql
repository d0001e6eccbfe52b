-- Mail statistics from the Postfix log (issue 12; SPEC §3 operations): the stats collector reads the
-- log from where it stopped and adds what it read here, in the same transaction that moves its cursor,
-- so a line is never counted twice (a crash before the commit re-reads it; one after it does not).

-- One row per minute with traffic (UTC), added to as lines come in; pruned after the retention.
CREATE TABLE mail_stats_minutes (
  minute                timestamptz PRIMARY KEY,
  received              integer NOT NULL DEFAULT 0,
  sent                  integer NOT NULL DEFAULT 0,
  delivered             integer NOT NULL DEFAULT 0,
  deferred              integer NOT NULL DEFAULT 0,
  bounced               integer NOT NULL DEFAULT 0,
  rejected              integer NOT NULL DEFAULT 0,
  rejected_rbl          integer NOT NULL DEFAULT 0,
  rejected_greylist     integer NOT NULL DEFAULT 0,
  rejected_policy       integer NOT NULL DEFAULT 0,
  rejected_unknown_user integer NOT NULL DEFAULT 0
);

-- Authenticated submissions per SASL login and hour (the per-mailbox and per-domain sent counts).
CREATE TABLE mail_stats_senders (
  hour    timestamptz NOT NULL,
  mailbox text        NOT NULL,
  sent    integer     NOT NULL DEFAULT 0,
  PRIMARY KEY (hour, mailbox)
);

-- Where the collector stopped in each log file: the file's inode (a new one after rotation) and the
-- byte offset after the last complete line it counted.
CREATE TABLE maillog_cursor (
  path        text        PRIMARY KEY,
  inode       bigint      NOT NULL,
  byte_offset bigint      NOT NULL CHECK (byte_offset >= 0),
  lines       bigint      NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
