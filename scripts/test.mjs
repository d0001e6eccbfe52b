#!/usr/bin/env node
// `npm test`: the OS tools the suites drive (installed with apt-get when missing, as root), lint,
// typecheck, build, then the unit and API suites (API on a fresh database: the PostgreSQL in
// DATABASE_URL if set, else the embedded one). Ends with "N passed, N failed[, N skipped]".
import { readFileSync } from 'node:fs'
import { $, chalk } from 'zx'
import { ensureTools } from './test-tools.mjs'

$.verbose = true
const report = process.env.VITEST_REPORT ?? 'test-results/vitest.json'

try {
  ensureTools({ log: line => console.log(chalk.dim(line)) })
}
catch (err) {
  console.error(chalk.red(`npm test: ${err instanceof Error ? err.message : String(err)}`))
  process.exit(1)
}
await $`eslint .`
await $`nuxt typecheck`
await $`nuxt build`
// The system suite needs real mail daemons: `npm run test:system` (CI installs them first).
const run = await $`vitest run --project unit --project api --reporter=default --reporter=json --outputFile=${report} ${process.argv.slice(2)}`.nothrow()

const { numPassedTests = 0, numFailedTests = 0, numPendingTests = 0, numTodoTests = 0 } = JSON.parse(readFileSync(report, 'utf8'))
const skipped = numPendingTests + numTodoTests
console.log(chalk.bold(`${numPassedTests} passed, ${numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`))
process.exit(run.exitCode === 0 && numFailedTests === 0 ? 0 : 1)
