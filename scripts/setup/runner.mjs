// Carries out a plan step by step, one progress line each: `[3/9] Create vmail user … done`.
// The first failing command stops the run with its argv, exit code and stderr.
import { run, showCommand } from './exec.mjs'
import { writeConfigEnv } from './steps/config-env.mjs'
import { ensureDatabase } from './steps/database.mjs'
import { writeHelperUnits } from './steps/helper-units.mjs'
import { allowPanelRole } from './steps/pg-hba.mjs'

const executors = {
  'database': ensureDatabase,
  'config-env': writeConfigEnv,
  'pg-hba': allowPanelRole,
  'helper-units': writeHelperUnits,
}

export class StepFailed extends Error {
  constructor(step, detail) {
    super(`${step.name} failed`)
    this.detail = detail
  }
}

/** What an action will do, for --dry-run (never a secret: those do not exist until the step runs). */
function describeAction(action) {
  switch (action.type) {
    case 'database': return `create role ${action.user} and database ${action.database} if absent (via ${action.via}; host ${action.host}:${action.port})`
    case 'config-env': return `add ${action.missing.join(', ')} to ${action.file} (mode 0600)`
    case 'pg-hba': return `add md5 rules for ${action.user} on 127.0.0.1/32 and ::1/128 to ${action.file}`
    case 'helper-units': return `write ${action.files.map(f => f.path).join(', ')}${action.systemd ? '; systemctl daemon-reload' : ''}`
    default: return action.type
  }
}

/**
 * @param {object[]} steps from planSetup
 * @param {object} ctx shared by the executors: config (parsed config.env), pgAdminUrl; they add databaseUrl, adminPassword
 * @param {{ dryRun?: boolean, write: (text: string) => void }} io
 */
export async function runPlan(steps, ctx, { dryRun = false, write }) {
  for (const [index, step] of steps.entries()) {
    write(`[${index + 1}/${steps.length}] ${step.name} … `)
    if (step.skipped) {
      write(`skipped (${step.skipped})\n`)
      continue
    }
    if (!step.changes) {
      write('already done\n')
      continue
    }
    if (dryRun) {
      write('would run:\n')
      for (const argv of step.commands) write(`      ${showCommand(argv)}\n`)
      if (step.action) write(`      (${describeAction(step.action)})\n`)
      continue
    }
    for (const argv of step.commands) {
      const res = await run(argv)
      if (res.code !== 0) {
        write('failed\n')
        throw new StepFailed(step, `command: ${showCommand(argv)}\nexit code: ${res.code}\nstderr: ${res.stderr.trim() || '(empty)'}`)
      }
    }
    let changed = step.commands.length > 0
    if (step.action) {
      try {
        changed = (await executors[step.action.type](step.action, ctx)) || changed
      }
      catch (err) {
        write('failed\n')
        throw new StepFailed(step, /** @type {Error} */ (err).message)
      }
    }
    write(changed ? 'done\n' : 'already done\n')
  }
}
