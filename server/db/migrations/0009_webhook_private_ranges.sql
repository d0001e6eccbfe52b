-- Webhook receivers must be public addresses (SSRF guard, issue 10 A3), except inside the ranges an
-- admin lists here (IPs or CIDRs, v4 and v6, validated by the API like the allowlists). Empty, the
-- default, allows no private, loopback, link-local or other special-purpose address at all.
ALTER TABLE security_settings ADD COLUMN webhook_allowed_ranges text[] NOT NULL DEFAULT '{}';
