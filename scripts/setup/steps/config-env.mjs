// Fills in the keys config.env lacks; a key already there is never overwritten, so a second run keeps
// the JWT secret (sessions survive) and the admin's hash (no new password is printed).
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { hash } from '@node-rs/bcrypt'
import { envFile } from '../../../lib/env-file.mjs'
import { writeFileAtomic } from '../../../lib/write-atomic.mjs'
import { validate } from '../validate.mjs'

const JWT_SECRET_BYTES = 32
// Hex of 32 random bytes: 64 characters, twice the rule's minimum (lib/config-rules.mjs).
const METRICS_TOKEN_BYTES = 32
const ADMIN_PASSWORD_BYTES = 12
const ADMIN_BCRYPT_COST = 12
const CONFIG_MODE = 0o600

const generators = {
  DATABASE_URL: (ctx) => {
    if (!ctx.databaseUrl) throw new Error('no DATABASE_URL to write: the database step did not provide one')
    return ctx.databaseUrl
  },
  JWT_SECRET: () => randomBytes(JWT_SECRET_BYTES).toString('hex'),
  MAIL_HOSTNAME: (ctx, action) => action.hostname,
  ADMIN_USER: () => 'admin',
  ADMIN_PASSWORD_HASH: async (ctx) => {
    ctx.adminPassword = randomBytes(ADMIN_PASSWORD_BYTES).toString('base64url')
    return hash(ctx.adminPassword, ADMIN_BCRYPT_COST)
  },
  // The panel serves HTTPS from the day-0 certificate at once (and then the newest valid one, at its next start).
  HTTPS: () => 'on',
  // Prometheus' credential for GET /metrics only (it can read nothing else), ready for a scrape config.
  METRICS_TOKEN: (ctx) => {
    ctx.metricsTokenCreated = true
    return randomBytes(METRICS_TOKEN_BYTES).toString('hex')
  },
}

/** @returns {Promise<boolean>} whether the file was written */
export async function writeConfigEnv(action, ctx) {
  const values = existsSync(action.file) ? envFile.parse(readFileSync(action.file, 'utf8')) : {}
  const missing = action.missing.filter(key => !values[key])
  for (const key of missing) values[key] = await generators[key](ctx, action)
  if (missing.includes('ADMIN_PASSWORD_HASH')) ctx.adminUser = values.ADMIN_USER
  if (missing.length) validate.configValues(action.file, values)
  if (missing.length) writeFileAtomic(action.file, envFile.stringify(values), { mode: CONFIG_MODE })
  return missing.length > 0
}
