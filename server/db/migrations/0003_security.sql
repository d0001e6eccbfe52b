-- Security and administration (changelog Build 045 / 056).

-- Managed API tokens: only the SHA-256 of the token is kept; `prefix` lets an admin recognise one.
CREATE TABLE api_tokens (
  id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_hash   text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  prefix       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash)
);

-- One row: the two allowlists, per-IP limits (requests per minute) and the proxies whose
-- X-Forwarded-For is believed.
CREATE TABLE security_settings (
  id                    boolean PRIMARY KEY DEFAULT true CHECK (id),
  admin_login_whitelist text[]  NOT NULL DEFAULT '{}',
  api_key_whitelist     text[]  NOT NULL DEFAULT '{}',
  login_rate_limit      integer NOT NULL DEFAULT 5 CHECK (login_rate_limit BETWEEN 1 AND 100000),
  api_rate_limit        integer NOT NULL DEFAULT 60 CHECK (api_rate_limit BETWEEN 1 AND 1000000),
  trusted_proxies       text[]  NOT NULL DEFAULT '{}',
  updated_at            timestamptz NOT NULL DEFAULT now()
);
INSERT INTO security_settings DEFAULT VALUES;

CREATE TABLE webhooks (
  id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  url              text NOT NULL CHECK (url ~ '^https?://'),
  secret           text,
  events           text[] NOT NULL CHECK (cardinality(events) >= 1),
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_delivery_at timestamptz,
  last_status      text,
  last_error       text
);

-- The durable outbox: one row per (webhook, event); the worker claims due rows with SKIP LOCKED,
-- so a restart or a second panel process neither loses nor double-sends a delivery.
CREATE TABLE webhook_deliveries (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  webhook_id      integer NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id        uuid NOT NULL,
  event           text NOT NULL,
  body            text NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id);
