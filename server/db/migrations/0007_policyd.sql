-- The Postfix policy daemon (issue 5): per-mailbox daily send counters, the fail-mode setting, and a
-- version number that tells every panel process when its cached sending limits are out of date.

-- What the daemon answers for an authenticated sender while PostgreSQL cannot be reached:
-- 'defer' (a 4xx, the client retries later; no limit can be bypassed) or 'dunno' (let the message
-- through unchecked; mail keeps flowing). Unauthenticated traffic never needs the database.
ALTER TABLE server_settings ADD COLUMN policyd_fail_mode text NOT NULL DEFAULT 'defer'
  CHECK (policyd_fail_mode IN ('defer', 'dunno'));

-- One row per mailbox and UTC day. Operational data, deliberately outside backup/restore: a restore
-- empties it with the other tables (the restored mailboxes start the day at 0). `daily_limit` is the
-- limit in force at the last increment (shown by GET /policyd/status). `last_grant` is how many of
-- the increments asked for by the last statement were granted: RETURNING only sees the new row, so
-- the statement writes its grant beside the count (see policydDb.consume).
CREATE TABLE policyd_counters (
  mailbox_id  integer NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
  day         date    NOT NULL,
  count       integer NOT NULL DEFAULT 0 CHECK (count >= 0),
  daily_limit integer NOT NULL DEFAULT 0 CHECK (daily_limit >= 0),
  last_grant  integer NOT NULL DEFAULT 0 CHECK (last_grant >= 0),
  PRIMARY KEY (mailbox_id, day)
);
-- Pruning old days and the status page's "today" list walk this index instead of the whole table.
CREATE INDEX policyd_counters_day_idx ON policyd_counters (day);

-- Bumped in the same transaction as any change that can alter a sender's effective limits (the
-- three tiers, active flags, mailboxes and domains appearing or going, a restore). Each panel process
-- compares it with the version its limits cache was filled at (at most once a second, and at once
-- after its own API writes) and drops the cache when it moved.
CREATE TABLE policyd_limits_version (
  id      boolean PRIMARY KEY DEFAULT true CHECK (id),
  version bigint NOT NULL DEFAULT 1
);
INSERT INTO policyd_limits_version DEFAULT VALUES;

CREATE FUNCTION policyd_limits_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE policyd_limits_version SET version = version + 1;
  RETURN NULL;
END $$;

-- Statement-level: a bulk change costs one bump. Password and name changes do not move the version.
CREATE TRIGGER policyd_limits_server AFTER UPDATE OR TRUNCATE ON server_settings
  FOR EACH STATEMENT EXECUTE FUNCTION policyd_limits_version_bump();
CREATE TRIGGER policyd_limits_domains AFTER INSERT OR DELETE OR TRUNCATE ON domains
  FOR EACH STATEMENT EXECUTE FUNCTION policyd_limits_version_bump();
CREATE TRIGGER policyd_limits_domains_update
  AFTER UPDATE OF active, smtp_enabled, require_tls, max_message_size, max_recipients, daily_send_limit ON domains
  FOR EACH STATEMENT EXECUTE FUNCTION policyd_limits_version_bump();
CREATE TRIGGER policyd_limits_mailboxes AFTER INSERT OR DELETE OR TRUNCATE ON mailboxes
  FOR EACH STATEMENT EXECUTE FUNCTION policyd_limits_version_bump();
CREATE TRIGGER policyd_limits_mailboxes_update
  AFTER UPDATE OF active, smtp_enabled, require_tls, max_message_size, max_recipients, daily_send_limit ON mailboxes
  FOR EACH STATEMENT EXECUTE FUNCTION policyd_limits_version_bump();
