// The reconciler's report (GET /reconcile/status, POST /reconcile).

/**
 * The parts of the mail stack the reconciler renders, each gated on its own binary. Postfix and
 * Dovecot are the core; the rest are optional: a missing one is skipped with a note, never an error.
 */
export type MailComponentName = 'postfix' | 'dovecot' | 'opendkim' | 'opendkim-ed25519' | 'opendmarc' | 'postgrey' | 'policyd-spf' | 'clamsmtp' | 'spampd'
export const MAIL_COMPONENTS: readonly MailComponentName[] = ['postfix', 'dovecot', 'opendkim', 'opendkim-ed25519', 'opendmarc', 'postgrey', 'policyd-spf', 'clamsmtp', 'spampd']

/** The older name: every component is a daemon the reconciler writes files for. */
export type MailDaemon = MailComponentName

export type FileOutcome
  = | 'unchanged' // same content, mode and group: not touched
    | 'permissions' // same content; mode or group corrected
    | 'created' | 'updated' // validated and renamed into place
    | 'would-create' | 'would-update' // dry run: validated, not written
    | 'refused' // the daemon's checker refused the new configuration; the old file stays
    | 'skipped' // the daemon is not installed
    | 'removed' | 'would-remove' // a file the panel wrote earlier that is no longer wanted (a deleted DKIM key)
    | 'failed' // an I/O or system error

/** `tls`: the active certificate's pair at the stable paths both daemons read. */
export type FileOwner = MailDaemon | 'tls'

export interface FileResult {
  path: string
  daemon: FileOwner
  result: FileOutcome
  error?: string
}

export interface ReloadResult {
  daemon: MailDaemon
  result: 'reloaded' | 'started' | 'not-running' | 'failed'
  error?: string
}

export interface ReconcileReport {
  trigger: string
  dry_run: boolean
  ok: boolean
  changed: boolean
  started_at: Date
  finished_at: Date
  duration_ms: number
  files: FileResult[]
  reloads: ReloadResult[]
  notes: string[]
  errors: string[]
  /** Dry runs only: a unified diff of every file that would change (secrets redacted). */
  diff?: string
}

/** A finished run as recorded (dry runs are plans and are not recorded). */
export type ReconcileRun = Omit<ReconcileReport, 'diff'> & { id: number }

/** Whether a daemon's binary is on PATH (the capability gate). */
export interface Capability {
  installed: boolean
  /** Absolute path of the binary that was found. */
  binary?: string
}

export type Capabilities = Record<MailDaemon, Capability>

/** GET /api/v1/reconcile/status. */
export interface ReconcileStatus {
  running: boolean
  pending: boolean
  last_run: ReconcileRun | null
  last_success_at: Date | null
  capabilities: Capabilities
}
