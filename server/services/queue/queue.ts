import { postfixConfigDirectory } from '#server/mailstack/context'
import { CommandMissingError, CommandTimeoutError, runCommand, type CommandResult } from '#server/utils/command'
import { useConfig } from '#server/utils/config'
import { apiErrors, scrubSecrets } from '#server/utils/errors'
import type { Page } from '#shared/types/list'
import type { QueueActionResponse, QueueList, QueueMessage } from '#shared/types/queue'
import { QueueFinder, QueuePager, type QueueFilter } from './parse'

/**
 * The Postfix mail queue of the instance the panel manages: `postqueue -j` streamed through the
 * pure parser (parse.ts: only the page asked for is held, whatever the queue's size), `postsuper`
 * for delete / hold / release, `postqueue -f` for a flush. Every program runs through runCommand
 * (argv only, a timeout), always with `-c` and the config directory the reconciler renders, so a
 * scratch MAILPANEL_ROOT acts on its own Postfix and root `/` on /etc/postfix. Queue ids reach argv
 * only after shared/schemas/queue.ts has checked them.
 */

// A listing of 100,000 messages takes showq a few seconds; one that takes longer is a stuck Postfix.
const LIST_TIMEOUT_MS = 30_000
const ACTION_TIMEOUT_MS = 15_000
const MAX_REPORTED_CHARS = 300
const POSTFIX_PACKAGES = { debian: 'postfix', rhel: 'postfix' }

type QueueBinary = 'postqueue' | 'postsuper'

const configDirectory = () => postfixConfigDirectory(useConfig().paths.root)

async function run(binary: QueueBinary, args: string[], opts: { timeoutMs: number, onStdout?: (chunk: Buffer) => void }): Promise<CommandResult> {
  try {
    return await runCommand([binary, '-c', configDirectory(), ...args], opts)
  }
  catch (err) {
    if (err instanceof CommandMissingError) throw apiErrors.capabilityMissing(binary, POSTFIX_PACKAGES)
    if (err instanceof CommandTimeoutError) throw apiErrors.unavailable(`${binary} did not finish within ${opts.timeoutMs / 1000} s; check that Postfix is running (postfix status).`)
    throw err
  }
}

/** A non-zero exit: Postfix is down or not configured. What it said (first fatal line) is the detail. */
function refused(binary: QueueBinary, res: CommandResult) {
  const lines = res.stderr.split('\n').map(l => l.trim()).filter(Boolean)
  const said = (lines.find(l => /fatal:/.test(l)) ?? lines[0] ?? `exit code ${res.code}`).replace(/^\S+: (?:fatal|warning): /, '')
  return apiErrors.unavailable(`${binary} failed: ${scrubSecrets(said).slice(0, MAX_REPORTED_CHARS)}. Check that Postfix is running (postfix status).`)
}

async function list(filter: QueueFilter, page: Page): Promise<QueueList> {
  const pager = new QueuePager(filter, page)
  const res = await run('postqueue', ['-j'], { timeoutMs: LIST_TIMEOUT_MS, onStdout: chunk => pager.push(chunk) })
  if (res.code !== 0) throw refused('postqueue', res)
  pager.end()
  return { data: pager.rows, meta: { page: page.page, limit: page.limit, total: pager.total }, queues: pager.counts }
}

async function find(queueId: string): Promise<QueueMessage | undefined> {
  const finder = new QueueFinder(queueId)
  const res = await run('postqueue', ['-j'], { timeoutMs: LIST_TIMEOUT_MS, onStdout: chunk => finder.push(chunk) })
  if (res.code !== 0) throw refused('postqueue', res)
  finder.end()
  return finder.found
}

async function mustFind(queueId: string): Promise<QueueMessage> {
  const message = await find(queueId)
  if (!message) throw apiErrors.notFound('QUEUE_MESSAGE', `No message with queue id ${queueId} is in the mail queue (it may have been delivered or removed).`)
  return message
}

/**
 * `postsuper -d|-h|-H ID`; it reports "Deleted: 1 message" (and the like) on stderr. A count of 0
 * means the message left the queue between the look-up and the command: a 404 as well.
 */
async function postsuper(flag: '-d' | '-h' | '-H', queueId: string, done: RegExp): Promise<void> {
  const res = await run('postsuper', [flag, queueId], { timeoutMs: ACTION_TIMEOUT_MS })
  if (res.code !== 0) throw refused('postsuper', res)
  const count = done.exec(res.stderr)?.[1]
  if (count === '0') throw apiErrors.notFound('QUEUE_MESSAGE', `No message with queue id ${queueId} is in the mail queue any more.`)
}

export const mailQueue = {
  list,
  find,

  async remove(queueId: string): Promise<QueueActionResponse> {
    await mustFind(queueId)
    await postsuper('-d', queueId, /Deleted: (\d+) message/)
    return { message: `Message ${queueId} deleted from the queue`, queue_id: queueId, changed: true }
  },

  /** Kept in the hold queue: no delivery attempt until released (idempotent). */
  async hold(queueId: string): Promise<QueueActionResponse> {
    const message = await mustFind(queueId)
    if (message.queue_name === 'hold') return { message: `Message ${queueId} is already on hold`, queue_id: queueId, changed: false }
    await postsuper('-h', queueId, /Placed on hold: (\d+) message/)
    return { message: `Message ${queueId} placed on hold`, queue_id: queueId, changed: true }
  },

  /** Back into the deferred queue, delivered at the next queue run (idempotent). */
  async release(queueId: string): Promise<QueueActionResponse> {
    const message = await mustFind(queueId)
    if (message.queue_name !== 'hold') return { message: `Message ${queueId} is not on hold`, queue_id: queueId, changed: false }
    await postsuper('-H', queueId, /Released from hold: (\d+) message/)
    return { message: `Message ${queueId} released from hold`, queue_id: queueId, changed: true }
  },

  /** `postqueue -f`: every deferred message is tried now (held mail stays held). */
  async flush(): Promise<void> {
    const res = await run('postqueue', ['-f'], { timeoutMs: ACTION_TIMEOUT_MS })
    if (res.code !== 0) throw refused('postqueue', res)
  },
}
