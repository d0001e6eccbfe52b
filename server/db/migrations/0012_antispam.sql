-- Anti-spam (changelog Builds 029, 049, 050, 051; SPEC §5): what the reconciler wires into Postfix in
-- front of inbound mail. Every feature is also gated on its daemon's binary: a setting that is on for a
-- package that is not installed is reported as skipped, never rendered.

-- One row, like mailstack_settings.
CREATE TABLE antispam_settings (
  id                      boolean PRIMARY KEY DEFAULT true CHECK (id),
  -- One `reject_rbl_client <zone>` each, after the destination guard (inbound mail only). A zone may
  -- carry Postfix's reply filter: `zen.spamhaus.org=127.0.0.[2..11]` ignores Spamhaus' error codes
  -- (127.255.255.x, sent to queries through public resolvers) instead of refusing all mail.
  dnsbl_enabled           boolean NOT NULL DEFAULT true,
  dnsbl_zones             text[]  NOT NULL DEFAULT '{zen.spamhaus.org=127.0.0.[2..11]}',
  greylist_enabled        boolean NOT NULL DEFAULT true,
  greylist_delay          integer NOT NULL DEFAULT 300 CHECK (greylist_delay BETWEEN 1 AND 86400),
  greylist_max_age_days   integer NOT NULL DEFAULT 35 CHECK (greylist_max_age_days BETWEEN 1 AND 3650),
  -- Clients that passed greylisting this many times are let through at once (0 = never).
  greylist_auto_whitelist integer NOT NULL DEFAULT 5 CHECK (greylist_auto_whitelist BETWEEN 0 AND 1000),
  spf_enabled             boolean NOT NULL DEFAULT true,
  dmarc_enabled           boolean NOT NULL DEFAULT true,
  clamav_enabled          boolean NOT NULL DEFAULT true,
  spampd_enabled          boolean NOT NULL DEFAULT true,
  updated_at              timestamptz NOT NULL DEFAULT now()
);
INSERT INTO antispam_settings DEFAULT VALUES;

-- Clients and recipients that skip DNSBL and greylisting (and SPF, for clients): ip / cidr (client
-- address), domain (client hostname, as verified by reverse DNS), email (a recipient, e.g. postmaster@).
-- `value` is stored in its canonical spelling (lower case, CIDR with its network address), so the
-- unique key catches duplicates however they were typed.
CREATE TABLE spam_whitelist (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind       text NOT NULL CHECK (kind IN ('ip', 'cidr', 'domain', 'email')),
  value      text NOT NULL CHECK (length(value) BETWEEN 1 AND 320),
  comment    text NOT NULL DEFAULT '' CHECK (length(comment) <= 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (kind, value)
);

-- Where the anti-spam helpers listen. Milters use unix sockets under the root (no port to collide);
-- these are the TCP services Postfix talks to. A test instance moves them to free loopback ports.
ALTER TABLE mailstack_settings
  ADD COLUMN greylist_listen text NOT NULL DEFAULT '127.0.0.1:10023',
  ADD COLUMN clamsmtp_listen text NOT NULL DEFAULT '127.0.0.1:10025',
  ADD COLUMN reinject_listen text NOT NULL DEFAULT '127.0.0.1:10026',
  ADD COLUMN spampd_listen   text NOT NULL DEFAULT '127.0.0.1:10027';
