import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const exec = promisify(execFile)
const BENCH = join(import.meta.dirname, '../bench/scale.mjs')

// Issue 14: CI runs the scale benchmark's own code path at a small size with --check, which asserts
// what every operation must answer (page sizes, search counts and caps, the daemons' lookups finding
// seeded addresses, a no-change reconcile, a streamed backup that restores to the same rows). The
// 1,000,000 run is `npm run bench:scale`; its figures are in the README. The flood past the policy
// daemon's cache cap is left to that run (the cap itself is unit-tested: tests/unit/policyd-limits-cache.test.ts).
describe('the scale benchmark at CI size', () => {
  it('seeds 2,000 mailboxes and every operation answers what it must, backup and restore included', async () => {
    const { stdout } = await exec(process.execPath, [BENCH, '--sizes', '2000', '--check'], { env: { ...process.env, BENCH_POLICY_FLOOD: '0' }, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 })
    expect(stdout).toMatch(/Aims at 2,000 mailboxes: \d+ of \d+ met/)
    expect(stdout).toMatch(/restore: seconds \/ RSS growth MB\s+[\d.]+ \/ [\d.]+/)
  }, 300_000)
})
