-- A version number for "where each domain's mailboxes start in the address-ordered list".
-- The panel caches that layout (running sums of domains.mailbox_count) in memory and checks this
-- number in the same statement that reads a page, so a deep page costs one index probe per spanned
-- domain. Bumped, transactionally, by every statement that changes which mailboxes exist.
CREATE TABLE mailbox_list_version (
  id      boolean PRIMARY KEY DEFAULT true CHECK (id),
  version bigint NOT NULL DEFAULT 1
);
INSERT INTO mailbox_list_version DEFAULT VALUES;

CREATE FUNCTION mailbox_list_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE mailbox_list_version SET version = version + 1;
  RETURN NULL;
END $$;

CREATE TRIGGER mailbox_list_version_bump AFTER INSERT OR DELETE OR TRUNCATE ON mailboxes
  FOR EACH STATEMENT EXECUTE FUNCTION mailbox_list_version_bump();
