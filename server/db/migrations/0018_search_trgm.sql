-- Indexed search (issue 14): `?search=` is a case-insensitive substring of an address or a name, so a
-- b-tree cannot serve it and at 1,000,000 mailboxes every search scanned every row (1.4 s for no
-- match). Trigram GIN indexes (pg_trgm, trusted: the database owner may create it) answer ILIKE
-- '%term%' for terms with a trigram; PostgreSQL re-checks each candidate with the real ILIKE, so the
-- results are exactly those of the scan, `%`, `_` and non-ASCII included.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The address searched is `local@domain`, which spans two tables: each row keeps its own copy, set
-- by a trigger on insert and on any change of the local part. It cannot drift: a row never moves to
-- another domain (mailboxes_domain_fixed, aliases_domain_fixed) and a domain's name is fixed once
-- created (domains_name_fixed below; the API never offered a rename).
ALTER TABLE mailboxes ADD COLUMN address text;
UPDATE mailboxes m SET address = m.username || '@' || d.name FROM domains d WHERE d.id = m.domain_id;
ALTER TABLE mailboxes ALTER COLUMN address SET NOT NULL;

ALTER TABLE aliases ADD COLUMN address text;
UPDATE aliases a SET address = a.local_part || '@' || d.name FROM domains d WHERE d.id = a.domain_id;
ALTER TABLE aliases ALTER COLUMN address SET NOT NULL;

-- One function for both tables; the trigger names the local-part column (username / local_part).
CREATE FUNCTION directory_address_set() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.address := (to_jsonb(NEW) ->> TG_ARGV[0]) || '@' || (SELECT name FROM domains WHERE id = NEW.domain_id);
  RETURN NEW;
END $$;
CREATE TRIGGER mailboxes_address BEFORE INSERT OR UPDATE OF username ON mailboxes
  FOR EACH ROW EXECUTE FUNCTION directory_address_set('username');
CREATE TRIGGER aliases_address BEFORE INSERT OR UPDATE OF local_part ON aliases
  FOR EACH ROW EXECUTE FUNCTION directory_address_set('local_part');

CREATE FUNCTION domains_name_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a domain''s name cannot change (it is part of every address in it)';
END $$;
CREATE TRIGGER domains_name_fixed BEFORE UPDATE OF name ON domains
  FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION domains_name_fixed();

-- An alias's destinations as one string, for the index only: a match on it is a candidate, and the
-- query checks the array element by element (a term must not match across two destinations).
-- (array_to_string is only STABLE in general; for text[] its result depends on nothing but the array.)
CREATE FUNCTION alias_destinations_text(text[]) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT array_to_string($1, E'\n') $$;

CREATE INDEX mailboxes_address_trgm ON mailboxes USING gin (address gin_trgm_ops);
CREATE INDEX mailboxes_name_trgm ON mailboxes USING gin (name gin_trgm_ops);
CREATE INDEX aliases_address_trgm ON aliases USING gin (address gin_trgm_ops);
CREATE INDEX aliases_destinations_trgm ON aliases USING gin (alias_destinations_text(destinations) gin_trgm_ops);
CREATE INDEX domains_name_trgm ON domains USING gin (name gin_trgm_ops);
