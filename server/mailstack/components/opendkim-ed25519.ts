import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { runningFromPidFile, signalPidFile } from '../process'
import type { MailstackContext } from '../context'
import { validateOpendkim, type OpendkimProcess } from './opendkim'
import type { MailComponent } from './types'

const ED25519_PROCESS: OpendkimProcess = { dir: ctx => ctx.opendkim_ed25519.config_directory, algorithm: 'ed25519' }
/** The systemd unit the setup installs (`opendkim -x /etc/opendkim-ed25519/opendkim.conf`). */
const UNIT = 'opendkim-ed25519'

const signsEd25519 = (ctx: MailstackContext) => ctx.opendkim.keys.some(k => k.signing && k.algorithm === 'ed25519')

/**
 * The second OpenDKIM: OpenDKIM 2.11 signs every key with its one SignatureAlgorithm, so the Ed25519
 * signature (RFC 8463) next to the RSA one comes from its own process (ed25519-sha256, Mode s), a
 * milter right after the RSA one. Same binary and keys folder (the RSA component writes every key
 * file); wanted, and wired into Postfix, only while a domain has an active Ed25519 key.
 */
export const opendkimEd25519: MailComponent = {
  name: 'opendkim-ed25519',
  binary: 'opendkim',
  packages: { debian: 'opendkim opendkim-tools', rhel: 'opendkim opendkim-tools' },
  optional: true,
  unit: UNIT,
  wanted: signsEd25519,
  offNote: 'no domain has an active Ed25519 key: Postfix does not use it',
  dir: ctx => ctx.opendkim_ed25519.config_directory,
  templates: [
    { template: 'opendkim-ed25519/opendkim.conf.liquid', name: 'opendkim.conf' },
    { template: 'opendkim-ed25519/KeyTable.liquid', name: 'KeyTable' },
    { template: 'opendkim-ed25519/SigningTable.liquid', name: 'SigningTable' },
    // One list of internal hosts for both processes: an override of the RSA one's applies here too.
    { template: 'opendkim/TrustedHosts.liquid', name: 'TrustedHosts' },
  ],
  tools: {
    prepare(ctx) {
      // The socket and pid file's folder (the unit's RuntimeDirectory; a scratch root has none).
      mkdirSync(dirname(ctx.opendkim_ed25519.socket_path), { recursive: true, mode: 0o755 })
    },
    validate: (stageDir, ctx) => validateOpendkim(stageDir, ctx, ED25519_PROCESS),
    async running(ctx) {
      return runningFromPidFile(ctx.opendkim_ed25519.pid_file)
    },
    async reload(ctx) {
      // Like the RSA one: SIGUSR1 re-reads the configuration, tables and keys (the reconciler calls this
      // only while it runs; a stopped process is started through `unit`).
      signalPidFile(ctx.opendkim_ed25519.pid_file, 'SIGUSR1', 'OpenDKIM (Ed25519)')
    },
  },
}
