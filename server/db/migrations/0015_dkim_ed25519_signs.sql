-- Ed25519 DKIM keys sign again: a second OpenDKIM process runs SignatureAlgorithm ed25519-sha256 next to
-- the RSA one (OpenDKIM 2.11 has one per process), so a domain may have one active key per algorithm
-- (dkim_keys_one_active, 0013). The keys 0014 set back to published stay so until an admin activates them.
ALTER TABLE dkim_keys DROP CONSTRAINT IF EXISTS dkim_keys_only_rsa_signs;
