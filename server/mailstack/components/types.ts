import type { MailstackContext } from '../context'
import type { MailComponentName } from '#shared/types/mailstack'

/** A file rendered from a template: its path relative to the component's folder, and who may read it. */
export interface TemplateFile {
  template: string
  /** Relative to `dir(ctx)`; may name a subfolder. */
  name: string
  /** Files with a secret (the database password) are 0640 and readable by this group only. */
  secret?: string
}

/** A file whose content is computed, not templated (a DKIM private key). */
export interface ComputedFile {
  name: string
  content: string
  mode: number
  owner?: string
  group?: string
}

/** How the reconciler talks to the running daemon. */
export interface DaemonTools {
  /** Creates what the daemon's checker expects to exist (a package install makes these; a fresh root has none). */
  prepare: (ctx: MailstackContext) => void
  /** Validates a folder holding the component's complete staged files; returns the checker's warnings. */
  validate: (stageDir: string, ctx: MailstackContext) => Promise<string[]>
  running: (ctx: MailstackContext) => Promise<boolean>
  /**
   * Makes the running daemon re-read its files (new listeners, maps, keys, whitelists). May return a
   * note for the report (e.g. that a changed option needs a restart the panel could not do here).
   */
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- most reloads return nothing; a note is the exception
  reload: (ctx: MailstackContext) => Promise<string | void>
}

/**
 * One part of the mail stack: one template set, one capability check (its binary), one way to
 * validate and reload. A new component is one file in this folder plus its line in index.ts.
 */
export interface MailComponent {
  name: MailComponentName
  /** The binary whose presence on PATH means the component is installed (not the package name). */
  binary: string
  /** Packages that provide it, for the setup and the dashboard's hint (null: the distro has none). */
  packages: { debian: string, rhel: string | null }
  /** Optional components are skipped with a note when missing; a core one missing is also only a note, but the stack cannot run. */
  optional: boolean
  /** The admin's switch for it (anti-spam settings); absent = always wanted when installed. */
  wanted?: (ctx: MailstackContext) => boolean
  /** The report's note when installed but not wanted (default: turned off in the anti-spam settings). */
  offNote?: string
  /** The folder every file lives under: staged, validated and renamed as one set. */
  dir: (ctx: MailstackContext) => string
  templates: TemplateFile[]
  computed?: (ctx: MailstackContext) => ComputedFile[]
  /**
   * Files under `dir` that the panel wrote earlier and no longer wants (a deleted DKIM key), as
   * paths relative to `dir`; removed once the new set validated. Never a file the panel did not write.
   */
  stale?: (ctx: MailstackContext, wanted: Set<string>) => string[]
  /**
   * The systemd unit of an optional helper. Found stopped after its files changed, it is enabled and
   * started (on a fresh install the unit could not start before the panel rendered its file).
   */
  unit?: string
  tools: DaemonTools
}
