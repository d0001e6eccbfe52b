-- Per-domain alias counts for the API (GET /api/v1/domains), kept exact by statement-level triggers
-- exactly like mailbox_count (0002): a domain list never counts alias rows.
ALTER TABLE domains ADD COLUMN alias_count integer NOT NULL DEFAULT 0 CHECK (alias_count >= 0);

UPDATE domains d SET alias_count = (SELECT count(*) FROM aliases a WHERE a.domain_id = d.id);

CREATE FUNCTION aliases_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE domains d SET alias_count = d.alias_count + n.added
  FROM (SELECT domain_id, count(*)::int AS added FROM inserted GROUP BY domain_id) n
  WHERE d.id = n.domain_id;
  RETURN NULL;
END $$;

CREATE FUNCTION aliases_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- On a domain delete the cascade removes its aliases after the domain row: nothing to update then.
  UPDATE domains d SET alias_count = d.alias_count - n.removed
  FROM (SELECT domain_id, count(*)::int AS removed FROM deleted GROUP BY domain_id) n
  WHERE d.id = n.domain_id;
  RETURN NULL;
END $$;

CREATE TRIGGER aliases_count_insert AFTER INSERT ON aliases
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION aliases_count_inserted();
CREATE TRIGGER aliases_count_delete AFTER DELETE ON aliases
  REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION aliases_count_deleted();

-- An alias never moves between domains either: forbid it, so the counts cannot drift.
CREATE FUNCTION aliases_domain_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'an alias cannot move to another domain' USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER aliases_domain_fixed BEFORE UPDATE OF domain_id ON aliases
  FOR EACH ROW WHEN (OLD.domain_id IS DISTINCT FROM NEW.domain_id) EXECUTE FUNCTION aliases_domain_fixed();
