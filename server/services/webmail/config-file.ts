import { createHash, randomBytes } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import * as v from 'valibot'
import { isMap, parseDocument, type Document } from 'yaml'
import { writeFileAtomic } from '#lib/write-atomic.mjs'
import { ApiError } from '#server/utils/errors'
import { webmailConfig, WEBMAIL_DEFAULTS, type WebmailConfig } from '#shared/schemas/webmail'

/**
 * The companion's YAML file. Pure parts (parse, render) apart from the I/O (load, save). The panel owns
 * the keys of the schema plus `session_secret`; any other key (and every comment) in the file is kept
 * as it was, so settings the panel does not know survive a save. Bounds: a file over MAX_FILE_BYTES
 * is refused unread; writes are atomic (temp file, fsync, rename) with the file's own mode and owner.
 */

const MAX_FILE_BYTES = 256 * 1024
const SECRET_BYTES = 32
const FINGERPRINT_HEX = 12
const FILE_MODE = 0o600
const HEADER = ' BackendSide WebMail settings, edited by BackendSide MailPanel (Webmail tab).\n Keys the panel does not know are kept as they are.'
const KEYS = ['listen_port', 'cookie_secure', 'session_secret', 'allow_custom_server', 'allow_insecure_plaintext', 'mail_servers'] as const

// What the companion needs of a secret; the panel writes 64 hex digits.
const sessionSecret = v.pipe(v.string(), v.regex(/^[\x21-\x7E]{32,512}$/, 'must be 32 to 512 printable characters'))

export class WebmailConfigError extends ApiError {
  constructor(file: string, why: string) {
    super(409, 'WEBMAIL_CONFIG_INVALID', 'Webmail configuration invalid', `${file} ${why}; fix or remove it by hand (the panel does not overwrite a file it cannot read).`)
  }
}

export interface LoadedConfig {
  exists: boolean
  config: WebmailConfig
  secret: string | null
  /** The parsed file (comments and other keys), reused by the next save; null when there is none. */
  doc: Document | null
  mode: number
  uid?: number
  gid?: number
}

export const newSecret = (): string => randomBytes(SECRET_BYTES).toString('hex')
export const fingerprint = (secret: string): string => createHash('sha256').update(secret).digest('hex').slice(0, FINGERPRINT_HEX)

/** Pure: the file's text → its settings and secret, or a WebmailConfigError saying what is wrong. */
export function parseConfig(text: string, file: string): { config: WebmailConfig, secret: string | null, doc: Document } {
  const doc = parseDocument(text, { uniqueKeys: true })
  if (doc.errors.length) throw new WebmailConfigError(file, `is not valid YAML (${doc.errors[0]!.message.split('\n')[0]})`)
  if (doc.contents !== null && !isMap(doc.contents)) throw new WebmailConfigError(file, 'is not a YAML mapping')
  let raw: Record<string, unknown>
  try {
    // No aliases at all: a small file must not expand into a huge value (the billion-laughs pattern).
    raw = (doc.toJS({ maxAliasCount: 0 }) ?? {}) as Record<string, unknown>
  }
  catch {
    throw new WebmailConfigError(file, 'uses YAML aliases (*name), which the panel does not read')
  }
  const picked = Object.fromEntries(Object.keys(WEBMAIL_DEFAULTS).map(key => [key, raw[key] ?? WEBMAIL_DEFAULTS[key as keyof WebmailConfig]]))
  const result = v.safeParse(webmailConfig, picked)
  if (!result.success) {
    const issue = result.issues[0]
    throw new WebmailConfigError(file, `has a bad value at ${v.getDotPath(issue) ?? 'the top'}: ${issue.message}`)
  }
  let secret: string | null = null
  if (raw.session_secret !== undefined && raw.session_secret !== null) {
    if (!v.is(sessionSecret, raw.session_secret)) throw new WebmailConfigError(file, 'has a session_secret that is not 32 to 512 printable characters')
    secret = raw.session_secret
  }
  return { config: result.output, secret, doc }
}

/** Pure: the settings and secret written into `doc` (or a new document), the rest of it untouched. */
export function renderConfig(config: WebmailConfig, secret: string, doc: Document | null): string {
  const out = doc ?? parseDocument('{}')
  if (!doc) out.commentBefore = HEADER
  const values: Record<typeof KEYS[number], unknown> = { ...config, session_secret: secret }
  for (const key of KEYS) out.set(key, out.createNode(values[key]))
  // Block style, whatever the empty document began as.
  if (isMap(out.contents)) out.contents.flow = false
  return out.toString({ lineWidth: 0 })
}

export async function loadConfig(file: string): Promise<LoadedConfig> {
  let info
  try {
    info = await stat(file)
  }
  catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false, config: structuredClone(WEBMAIL_DEFAULTS), secret: null, doc: null, mode: FILE_MODE }
    throw err
  }
  if (!info.isFile()) throw new WebmailConfigError(file, 'is not a regular file')
  if (info.size > MAX_FILE_BYTES) throw new WebmailConfigError(file, `is larger than ${MAX_FILE_BYTES / 1024} KiB`)
  const parsed = parseConfig(await readFile(file, 'utf8'), file)
  // A rewrite keeps who may read it: the companion's own user may be its group.
  return { exists: true, ...parsed, mode: info.mode & 0o7777, uid: info.uid, gid: info.gid }
}

/** Writes the settings (and the secret: the loaded one, else a new one) atomically; returns the secret written. */
export function saveConfig(file: string, loaded: LoadedConfig, config: WebmailConfig, secret = loaded.secret ?? newSecret()): string {
  const own = process.getuid?.() === 0 ? { uid: loaded.uid, gid: loaded.gid } : {}
  writeFileAtomic(file, renderConfig(config, secret, loaded.doc), { mode: loaded.mode, ...own })
  return secret
}
