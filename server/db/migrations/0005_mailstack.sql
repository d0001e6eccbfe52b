-- The mail stack the reconciler renders (changelog Builds 022, 045): where the daemons listen, and
-- a record of every reconcile run for GET /api/v1/reconcile/status.

-- One row. Production defaults; a test instance moves everything to loopback high ports.
CREATE TABLE mailstack_settings (
  id                 boolean PRIMARY KEY DEFAULT true CHECK (id),
  smtp_listen        text    NOT NULL DEFAULT '25',
  submission_listen  text    NOT NULL DEFAULT '587',
  imap_listen        text    NOT NULL DEFAULT '*, ::',
  imap_port          integer NOT NULL DEFAULT 143 CHECK (imap_port BETWEEN 1 AND 65535),
  imaps_port         integer NOT NULL DEFAULT 993 CHECK (imaps_port BETWEEN 1 AND 65535),
  inet_interfaces    text    NOT NULL DEFAULT 'all',
  inet_protocols     text    NOT NULL DEFAULT 'all',
  auth_failure_delay integer NOT NULL DEFAULT 2 CHECK (auth_failure_delay BETWEEN 0 AND 60),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
INSERT INTO mailstack_settings DEFAULT VALUES;

-- Operational history, never backed up; the reconciler keeps the newest few hundred rows.
CREATE TABLE reconcile_runs (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  trigger     text        NOT NULL,
  dry_run     boolean     NOT NULL,
  ok          boolean     NOT NULL,
  changed     boolean     NOT NULL,
  started_at  timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  duration_ms integer     NOT NULL,
  -- [{path, daemon, result, error?}], [{daemon, action, error?}], ["note", …], ["error", …]
  files       jsonb       NOT NULL DEFAULT '[]',
  reloads     jsonb       NOT NULL DEFAULT '[]',
  notes       jsonb       NOT NULL DEFAULT '[]',
  errors      jsonb       NOT NULL DEFAULT '[]'
);
