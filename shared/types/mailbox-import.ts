import type { MailboxBulk } from '#shared/schemas/mailbox-import'

/** One problem of a CSV import: its 1-based line in the file, the column (header name, or '' for the whole row). */
export interface ImportError {
  line: number
  column: string
  message: string
}

/** POST /mailboxes/import?dry_run=true, and the body of a refused import: what the file holds. */
export interface ImportReport {
  /** Data rows read (the header excluded). */
  rows: number
  /** Rows that would be imported. */
  valid: number
  /** Rows with at least one problem. */
  invalid: number
  /** The first problems in line order (at most 100); never a password. */
  errors: ImportError[]
  /** More problems exist than `errors` lists. */
  errors_truncated: boolean
}

export type ImportJobState = 'hashing' | 'inserting' | 'done' | 'failed'

/** GET /mailboxes/import/:jobId — an import running in the background (plaintext passwords to hash). */
export interface ImportJob {
  id: string
  state: ImportJobState
  /** Rows hashed so far (then inserted, in the `inserting` state) out of `total`. */
  progress: { done: number, total: number }
  errors: ImportError[]
  /** Once done: how many mailboxes were created. */
  result: { imported: number } | null
  /** Once failed: why (nothing was imported). */
  failure: string | null
  created_at: string
  finished_at: string | null
}

/** POST /mailboxes/import (real run): done at once (201) or started as a job (202). */
export interface ImportStarted {
  message: string
  imported?: number
  job_id?: string
}

/** POST /mailboxes/bulk. */
export interface BulkResult {
  action: MailboxBulk['action']
  dry_run: boolean
  /** Mailboxes the filter matches. */
  matched: number
  /** Mailboxes changed (or, in a dry run, that would change): already-active ones are not activated again. */
  changed: number
}
