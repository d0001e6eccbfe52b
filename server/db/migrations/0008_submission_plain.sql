-- An optional submission service where STARTTLS is not required (printers and scanners that cannot
-- do TLS): NULL = off. Postfix offers AUTH there without TLS; the policy daemon refuses mailboxes
-- whose effective require_tls is on, so only mailboxes an admin set require_tls = false can use it.
ALTER TABLE mailstack_settings ADD COLUMN submission_plain_listen text;
