-- The stats collector can read Postfix's log from the journal (MAILLOG_SOURCE=journald, issue 12):
-- its position there is journald's cursor string, kept beside the file cursors (path `journal:…`,
-- inode and byte_offset 0), moved in the same transaction as the counts it read.
ALTER TABLE maillog_cursor ADD COLUMN journal_cursor text;
