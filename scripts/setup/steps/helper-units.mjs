// Writes the systemd drop-ins and units that point the mail helpers at the panel's rendered files.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { writeFileAtomic } from '../../../lib/write-atomic.mjs'
import { run, showCommand } from '../exec.mjs'

/** @returns {Promise<boolean>} whether anything was written (the planner passes only files that differ) */
export async function writeHelperUnits(action) {
  for (const file of action.files) {
    mkdirSync(dirname(file.path), { recursive: true, mode: 0o755 })
    writeFileAtomic(file.path, file.content, { mode: 0o644 })
  }
  if (action.systemd) {
    const argv = ['systemctl', 'daemon-reload']
    const res = await run(argv)
    if (res.code !== 0) throw new Error(`command: ${showCommand(argv)}\nexit code: ${res.code}\nstderr: ${res.stderr.trim() || '(empty)'}`)
  }
  return action.files.length > 0
}
