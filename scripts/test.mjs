#!/usr/bin/env node
// `npm test`: lint, typecheck, build, then the unit and API suites (API on a fresh database:
// the PostgreSQL in DATABASE_URL if set, else the embedded one). Ends with "N passed, N failed".
import { readFileSync } from 'node:fs'
import { $, chalk } from 'zx'

$.verbose = true
const report = process.env.VITEST_REPORT ?? 'test-results/vitest.json'

await $`eslint .`
await $`nuxt typecheck`
await $`nuxt build`
// The system suite needs real mail daemons: `npm run test:system` (CI installs them first).
const run = await $`vitest run --project unit --project api --reporter=default --reporter=json --outputFile=${report} ${process.argv.slice(2)}`.nothrow()

const { numPassedTests = 0, numFailedTests = 0, numPendingTests = 0, numTodoTests = 0 } = JSON.parse(readFileSync(report, 'utf8'))
const skipped = numPendingTests + numTodoTests
console.log(chalk.bold(`${numPassedTests} passed, ${numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`))
process.exit(run.exitCode === 0 && numFailedTests === 0 ? 0 : 1)
