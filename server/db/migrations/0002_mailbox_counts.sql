-- Per-domain mailbox counts, kept exact by a statement-level trigger, so list totals and deep pages
-- never count or skip over 100,000 rows: the unfiltered total is a sum over domains, and a page
-- offset is located by a running sum over domains before touching any mailbox row.
ALTER TABLE domains ADD COLUMN mailbox_count integer NOT NULL DEFAULT 0 CHECK (mailbox_count >= 0);

UPDATE domains d SET mailbox_count = (SELECT count(*) FROM mailboxes m WHERE m.domain_id = d.id);

CREATE FUNCTION mailboxes_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE domains d SET mailbox_count = d.mailbox_count + n.added
  FROM (SELECT domain_id, count(*)::int AS added FROM inserted GROUP BY domain_id) n
  WHERE d.id = n.domain_id;
  RETURN NULL;
END $$;

CREATE FUNCTION mailboxes_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- On a domain delete the cascade removes its mailboxes after the domain row: nothing to update then.
  UPDATE domains d SET mailbox_count = d.mailbox_count - n.removed
  FROM (SELECT domain_id, count(*)::int AS removed FROM deleted GROUP BY domain_id) n
  WHERE d.id = n.domain_id;
  RETURN NULL;
END $$;

CREATE TRIGGER mailboxes_count_insert AFTER INSERT ON mailboxes
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION mailboxes_count_inserted();
CREATE TRIGGER mailboxes_count_delete AFTER DELETE ON mailboxes
  REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION mailboxes_count_deleted();

-- A mailbox never moves between domains (the address is its identity), so UPDATE needs no trigger;
-- forbid it outright so the counts cannot drift.
CREATE FUNCTION mailboxes_domain_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a mailbox cannot move to another domain' USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER mailboxes_domain_fixed BEFORE UPDATE OF domain_id ON mailboxes
  FOR EACH ROW WHEN (OLD.domain_id IS DISTINCT FROM NEW.domain_id) EXECUTE FUNCTION mailboxes_domain_fixed();

-- The one-row settings table is never auto-analyzed; without stats the planner guesses ~1,400 rows
-- for the CROSS JOIN that supplies the server-default quota.
ANALYZE server_settings;
