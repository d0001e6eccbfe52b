// The measured side of `npm run bench:maillog`: a bare Node process that loads only the bundled
// parser (built by maillog.mjs), counts one file and prints one JSON line. Kept apart from the bench
// so its peak RSS is the parser's, not autocannon's or postgres.js'.
//
// It reads the way the stats collector does (server/services/mailstats/collector.ts): every 8 MiB it
// hands the minute buckets and per-hour senders over (the collector stores them in PostgreSQL) and
// forgets them, so what it holds does not grow with the time a long log spans.
import { open } from 'node:fs/promises'

const [bundle, file] = process.argv.slice(2)
const { MaillogCollector, readChunks } = await import(bundle)
const BATCH_BYTES = 8 * 1024 * 1024

const started = performance.now()
const collector = new MaillogCollector()
const handle = await open(file, 'r')
let sinceDrain = 0
let minutes = 0
const drain = () => {
  minutes += collector.counters.takeMinutes().length
  collector.counters.takeHourlySenders()
  sinceDrain = 0
}
// The collector's own reader (the next chunk is read while this one is counted).
await readChunks(handle, 0, Number.POSITIVE_INFINITY, (chunk) => {
  collector.push(chunk)
  sinceDrain += chunk.length
  if (sinceDrain >= BATCH_BYTES) drain()
})
await handle.close()
collector.end()
drain()
const stats = collector.stats()
process.stdout.write(`${JSON.stringify({
  ms: performance.now() - started,
  lines: stats.lines,
  skipped: stats.skipped,
  totals: stats.totals,
  minutes,
  mailboxes: Object.keys(stats.sent_by_mailbox).length,
  maxRssKb: process.resourceUsage().maxRSS,
})}\n`)
