import { createPrivateKey, createPublicKey } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { isPanelFile, panelTxtFile } from '#server/services/dkim/key-files'
import { dkimRecord } from '#server/services/dkim/record'
import { check, reloadMilter, runningFromPidFile, ValidationError } from '../process'
import type { DkimAlgorithm } from '#shared/types/dkim'
import type { MailstackContext } from '../context'
import type { ComputedFile, MailComponent } from './types'

const PRIVATE_MODE = 0o600
const PUBLIC_MODE = 0o644
const ED25519_SPKI_HEADER_BYTES = 12

/** The record's p= value from the private key (the context carries only that half). */
function publicValue(privatePem: string, algorithm: string): string {
  const spki = createPublicKey(privatePem).export({ type: 'spki', format: 'der' })
  return (algorithm === 'ed25519' ? spki.subarray(ED25519_SPKI_HEADER_BYTES) : spki).toString('base64')
}

function keyFiles(ctx: MailstackContext): ComputedFile[] {
  const dir = ctx.opendkim.config_directory
  return ctx.opendkim.keys.flatMap((key) => {
    const record = dkimRecord(key.domain, key.selector, key.algorithm, publicValue(key.private_key, key.algorithm))
    const base = relative(dir, key.key_file).replace(/\.private$/, '')
    return [
      { name: `${base}.private`, content: key.private_key, mode: PRIVATE_MODE, owner: 'opendkim', group: 'opendkim' },
      { name: `${base}.txt`, content: panelTxtFile(record.zone_line), mode: PUBLIC_MODE },
    ]
  })
}

const list = (dir: string): string[] => {
  try {
    return readdirSync(dir)
  }
  catch {
    return []
  }
}

/** Key files the panel wrote (its marker in the .txt) for keys that were since retired or deleted. */
function staleKeyFiles(ctx: MailstackContext, wanted: Set<string>): string[] {
  const dir = ctx.opendkim.config_directory
  const out: string[] = []
  for (const domain of list(ctx.opendkim.keys_directory)) {
    const folder = join(ctx.opendkim.keys_directory, domain)
    const names = list(folder)
    for (const txt of names.filter(n => n.endsWith('.txt'))) {
      const rel = relative(dir, join(folder, txt))
      if (wanted.has(rel)) continue
      let content: string
      try {
        content = readFileSync(join(folder, txt), 'utf8')
      }
      catch {
        continue
      }
      if (!isPanelFile(content)) continue
      out.push(rel)
      const priv = txt.replace(/\.txt$/, '.private')
      if (names.includes(priv) && !wanted.has(relative(dir, join(folder, priv)))) out.push(relative(dir, join(folder, priv)))
    }
  }
  return out
}

/** One of the two OpenDKIM processes: its live config folder and the one algorithm it signs with. */
export interface OpendkimProcess {
  dir: (ctx: MailstackContext) => string
  algorithm: DkimAlgorithm
}

/**
 * `opendkim -n` parses the configuration and opens its tables but never reads a key, and the staged
 * conf names the live paths: check a copy pointed at the staged tables, then parse every key the
 * staged KeyTable names, which must be of the process's one algorithm (OpenDKIM 2.11 signs every key
 * with its SignatureAlgorithm: an Ed25519 key under rsa-sha256 makes it answer 451).
 */
export async function validateOpendkim(stageDir: string, ctx: MailstackContext, which: OpendkimProcess): Promise<string[]> {
  const live = which.dir(ctx)
  const staged = (path: string) => path.startsWith(`${live}/`) ? join(stageDir, relative(live, path)) : path
  const conf = readFileSync(join(stageDir, 'opendkim.conf'), 'utf8')
    .replace(/^(KeyTable|SigningTable|InternalHosts|ExternalIgnoreList)(\s+)(refile:)?(\S+)$/gm, (_, k, sp, re, p) => `${k}${sp}${re ?? ''}${staged(p)}`)
  const checkConf = join(stageDir, 'opendkim.check.conf')
  writeFileSync(checkConf, conf, { mode: PUBLIC_MODE })
  const warnings = await check('opendkim', ['-n', '-x', checkConf], 'opendkim -n')
  for (const line of readFileSync(join(stageDir, 'KeyTable'), 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue
    const file = line.split(':').slice(2).join(':')
    let type: string | undefined
    try {
      type = createPrivateKey(keySource(staged(file), ctx)).asymmetricKeyType
    }
    catch (err) {
      throw new ValidationError(`the key ${file} in the KeyTable cannot be read: ${(err as Error).message}`)
    }
    if (type !== which.algorithm) throw new ValidationError(`the key ${file} in the KeyTable is ${type}, but this OpenDKIM signs ${which.algorithm} only`)
  }
  return warnings
}

/**
 * A key file as OpenDKIM will read it: from disk, or (a dry run, or a key made since the last run)
 * the content the RSA component writes to that path in this same run, before this one is checked.
 */
function keySource(file: string, ctx: MailstackContext): string {
  try {
    return readFileSync(file, 'utf8')
  }
  catch (err) {
    const key = ctx.opendkim.keys.find(k => k.key_file === file)
    if (key) return key.private_key
    throw err
  }
}

const RSA_PROCESS: OpendkimProcess = { dir: ctx => ctx.opendkim.config_directory, algorithm: 'rsa' }

/**
 * OpenDKIM: signs what the domains' users send with their RSA keys (Mode sv) and verifies what arrives;
 * a milter before OpenDMARC. It also writes every key file, the Ed25519 ones included (opendkim-ed25519.ts).
 */
export const opendkim: MailComponent = {
  name: 'opendkim',
  binary: 'opendkim',
  packages: { debian: 'opendkim opendkim-tools', rhel: 'opendkim opendkim-tools' },
  optional: true,
  unit: 'opendkim',
  dir: ctx => ctx.opendkim.config_directory,
  templates: [
    { template: 'opendkim/opendkim.conf.liquid', name: 'opendkim.conf' },
    { template: 'opendkim/KeyTable.liquid', name: 'KeyTable' },
    { template: 'opendkim/SigningTable.liquid', name: 'SigningTable' },
    { template: 'opendkim/TrustedHosts.liquid', name: 'TrustedHosts' },
  ],
  computed: keyFiles,
  stale: staleKeyFiles,
  tools: {
    prepare(ctx) {
      // The socket and pid file's folder (the package makes /run/opendkim; a scratch root has none).
      mkdirSync(dirname(ctx.opendkim.socket_path), { recursive: true, mode: 0o755 })
    },
    validate: (stageDir, ctx) => validateOpendkim(stageDir, ctx, RSA_PROCESS),
    async running(ctx) {
      return runningFromPidFile(ctx.opendkim.pid_file)
    },
    reload: ctx => reloadMilter({ pidFile: ctx.opendkim.pid_file, configFile: join(ctx.opendkim.config_directory, 'opendkim.conf'), unit: 'opendkim', name: 'OpenDKIM' }),
  },
}
