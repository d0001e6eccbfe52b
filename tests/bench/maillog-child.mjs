// The measured side of `npm run bench:maillog`: a bare Node process that loads only the bundled
// parser (built by maillog.mjs), counts one file and prints one JSON line. Kept apart from the bench
// so its peak RSS is the parser's, not autocannon's or postgres.js'.
const [bundle, file] = process.argv.slice(2)
const { maillog } = await import(bundle)
const started = performance.now()
const collector = await maillog.collectFile(file)
const stats = collector.stats()
process.stdout.write(`${JSON.stringify({
  ms: performance.now() - started,
  lines: stats.lines,
  skipped: stats.skipped,
  totals: stats.totals,
  minutes: stats.minutes.length,
  mailboxes: Object.keys(stats.sent_by_mailbox).length,
  maxRssKb: process.resourceUsage().maxRSS,
})}\n`)
