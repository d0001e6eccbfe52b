-- Ed25519 DKIM keys never signed: OpenDKIM 2.11 signs every key with its one SignatureAlgorithm
-- (rsa-sha256 here), so the reconciler left them out of the KeyTable while the API called them active.
-- They stay published (their records may be in DNS, harmlessly) and can no longer become active.
UPDATE dkim_keys SET status = 'published', activated_at = NULL WHERE algorithm = 'ed25519' AND status = 'active';
ALTER TABLE dkim_keys ADD CONSTRAINT dkim_keys_only_rsa_signs CHECK (algorithm = 'rsa' OR status <> 'active');
