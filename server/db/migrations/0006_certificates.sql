-- TLS certificates (changelog Build 023). The PEM files stay on disk (keys never enter the
-- database): uploads under etc/backendside-mailpanel/tls/uploads/<id>/, certbot lineages where
-- certbot keeps them, the day-0 self-signed pair under tls/self-signed/. The rows are this
-- machine's files, so the backup leaves the table out.
CREATE TABLE certificates (
  id                 integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  hostname           text NOT NULL CHECK (length(hostname) BETWEEN 1 AND 253),
  source             text NOT NULL CHECK (source IN ('self-signed', 'upload', 'certbot')),
  cert_path          text NOT NULL,
  key_path           text NOT NULL,
  fingerprint_sha256 text NOT NULL CHECK (fingerprint_sha256 ~ '^[0-9a-f]{64}$'),
  subject            text NOT NULL,
  san                text[] NOT NULL DEFAULT '{}',
  issuer             text NOT NULL,
  not_before         timestamptz NOT NULL,
  not_after          timestamptz NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT certificates_fingerprint_sha256_key UNIQUE (fingerprint_sha256),
  CHECK (not_after > not_before)
);

-- One row per certbot lineage (live/<hostname>): a renewal updates that row, a second issue for
-- the same name is a conflict.
CREATE UNIQUE INDEX certificates_certbot_hostname_key ON certificates (hostname) WHERE source = 'certbot';
