// Adds the panel's loopback password rules to RHEL's pg_hba.conf, keeping the file's owner and mode.
import { readFileSync, statSync } from 'node:fs'
import { writeFileAtomic } from '../../../lib/write-atomic.mjs'
import { pgHba } from '../pg-hba.mjs'

/** @returns {Promise<boolean>} whether the file was changed */
export async function allowPanelRole(action) {
  const text = readFileSync(action.file, 'utf8')
  const next = pgHba.withPanelRules(text, action.database, action.user)
  if (next === text) return false
  const st = statSync(action.file)
  writeFileAtomic(action.file, next, { mode: st.mode & 0o777, uid: st.uid, gid: st.gid })
  return true
}
