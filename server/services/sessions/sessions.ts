import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { mailstackContext, MailstackContextError } from '#server/mailstack/context'
import { CommandMissingError, CommandTimeoutError, runCommand, type CommandResult } from '#server/utils/command'
import { useConfig } from '#server/utils/config'
import { apiErrors, scrubSecrets } from '#server/utils/errors'
import type { SessionKickResponse, SessionsResponse } from '#shared/types/sessions'
import { parseKicked, parseWho } from './parse'

/**
 * Dovecot's logged-in users through doveadm, which asks Dovecot's anvil process. doveadm reads the
 * panel's rendered dovecot.conf (`-c`) when there is one, so a scratch root's instance is the one
 * asked (its base_dir holds the anvil socket); else the system's. Argv only, with a timeout.
 */

const DOVEADM_TIMEOUT_MS = 10_000
const DOVEADM_PACKAGES = { debian: 'dovecot-core', rhel: 'dovecot' }
const MAX_DETAIL = 300

/** `-c <dovecot.conf>` when the panel has rendered one for this machine. */
function configArgs(): string[] {
  try {
    const conf = join(mailstackContext.build(useConfig()).dovecot.config_directory, 'dovecot.conf')
    return existsSync(conf) ? ['-c', conf] : []
  }
  catch (err) {
    if (err instanceof MailstackContextError) return []
    throw err
  }
}

async function doveadm(...args: string[]): Promise<CommandResult> {
  try {
    return await runCommand(['doveadm', ...configArgs(), ...args], { timeoutMs: DOVEADM_TIMEOUT_MS })
  }
  catch (err) {
    if (err instanceof CommandMissingError) throw apiErrors.capabilityMissing('doveadm', DOVEADM_PACKAGES)
    if (err instanceof CommandTimeoutError) throw apiErrors.unavailable('doveadm did not answer in time: is Dovecot running?')
    throw err
  }
}

/** A failed doveadm: Dovecot is not running (no anvil socket) or its configuration does not load. */
function notAnswering(what: string, result: CommandResult): never {
  const why = scrubSecrets(result.stderr.trim().split('\n')[0] ?? '').slice(0, MAX_DETAIL)
  throw apiErrors.unavailable(`Dovecot did not answer doveadm ${what}${why ? ` (${why})` : ''}: is it running?`)
}

export const sessions = {
  async list(): Promise<SessionsResponse> {
    const result = await doveadm('-f', 'tab', 'who', '-1')
    if (result.code !== 0) notAnswering('who', result)
    const data = parseWho(result.stdout)
    return { data, users: new Set(data.map(s => s.user)).size }
  },

  /** Closes every connection of `user` (an address, validated: never a doveadm mask or option); 404 when there was none. */
  async kick(user: string): Promise<SessionKickResponse> {
    // `--`: an address may start with "-", which must not read as an option.
    const result = await doveadm('kick', '--', user)
    const kicked = parseKicked(result.stdout)
    if (result.code !== 0 && kicked.length === 0 && !/no users kicked/i.test(`${result.stdout}${result.stderr}`)) notAnswering('kick', result)
    if (kicked.length === 0) throw apiErrors.notFound('SESSION', `${user} has no IMAP or POP3 session to end.`)
    return { message: `Disconnected ${user}`, kicked }
  },
}
