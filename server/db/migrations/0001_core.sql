-- Core schema. Postfix (pgsql: maps) and Dovecot (SQL passdb/userdb) read these tables directly,
-- so lookups by domain name and by (domain, local part) are each one unique-index probe.

-- Tier 1: server-wide defaults, exactly one row. 0 means "unlimited" for daily_send_limit and quota_mb.
CREATE TABLE server_settings (
  id               boolean PRIMARY KEY DEFAULT true CHECK (id),
  smtp_enabled     boolean NOT NULL DEFAULT true,
  require_tls      boolean NOT NULL DEFAULT true,
  max_message_size bigint  NOT NULL DEFAULT 26214400 CHECK (max_message_size > 0),
  max_recipients   integer NOT NULL DEFAULT 100 CHECK (max_recipients > 0),
  daily_send_limit integer NOT NULL DEFAULT 500 CHECK (daily_send_limit >= 0),
  quota_mb         integer NOT NULL DEFAULT 1024 CHECK (quota_mb >= 0),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
INSERT INTO server_settings DEFAULT VALUES;

-- Tier 2 lives on domains, tier 3 on mailboxes: nullable columns, NULL = inherit from the tier above.
CREATE TABLE domains (
  id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name             text NOT NULL CHECK (name = lower(name) AND length(name) BETWEEN 3 AND 253),
  description      text NOT NULL DEFAULT '',
  active           boolean NOT NULL DEFAULT true,
  smtp_enabled     boolean,
  require_tls      boolean,
  max_message_size bigint  CHECK (max_message_size > 0),
  max_recipients   integer CHECK (max_recipients > 0),
  daily_send_limit integer CHECK (daily_send_limit >= 0),
  quota_mb         integer CHECK (quota_mb >= 0),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT domains_name_key UNIQUE (name)
);

CREATE TABLE mailboxes (
  id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  domain_id        integer NOT NULL,
  username         text NOT NULL CHECK (username = lower(username) AND length(username) BETWEEN 1 AND 64),
  -- Dovecot reads this column as-is: {BLF-CRYPT}$2b$… (bcrypt). Never returned by the API.
  password         text NOT NULL CHECK (password LIKE '{BLF-CRYPT}$2_$%'),
  name             text NOT NULL DEFAULT '',
  active           boolean NOT NULL DEFAULT true,
  smtp_enabled     boolean,
  require_tls      boolean,
  max_message_size bigint  CHECK (max_message_size > 0),
  max_recipients   integer CHECK (max_recipients > 0),
  daily_send_limit integer CHECK (daily_send_limit >= 0),
  quota_mb         integer CHECK (quota_mb >= 0),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT mailboxes_domain_id_fkey FOREIGN KEY (domain_id) REFERENCES domains (id) ON DELETE CASCADE,
  -- Also serves "mailboxes of a domain" (leading column) and the MTA's (domain, local part) probe.
  CONSTRAINT mailboxes_domain_id_username_key UNIQUE (domain_id, username)
);

-- local_part '' is the domain's catch-all (@example.com).
CREATE TABLE aliases (
  id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  domain_id        integer NOT NULL,
  local_part       text NOT NULL CHECK (local_part = lower(local_part) AND length(local_part) <= 64),
  destinations     text[] NOT NULL CHECK (cardinality(destinations) BETWEEN 1 AND 1000),
  active           boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT aliases_domain_id_fkey FOREIGN KEY (domain_id) REFERENCES domains (id) ON DELETE CASCADE,
  CONSTRAINT aliases_domain_id_local_part_key UNIQUE (domain_id, local_part)
);
