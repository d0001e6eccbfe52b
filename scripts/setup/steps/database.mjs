// Creates the panel's role and database if absent. An existing role keeps its password: config.env
// already carries it in DATABASE_URL (the planner refuses a role without one before anything runs).
import { randomBytes } from 'node:crypto'
import { parseDatabaseUrl } from '../plan.mjs'
import { databaseState, openAdmin, scramVerifier, sqlText } from '../pg-admin.mjs'

const PASSWORD_BYTES = 24

/** @returns {Promise<boolean>} whether anything was created */
export async function ensureDatabase(action, ctx) {
  const admin = openAdmin(ctx.pgAdminUrl)
  try {
    const state = await databaseState(admin, action.database, action.user)
    const configured = parseDatabaseUrl(ctx.config?.DATABASE_URL)
    let changed = false
    if (!state.roleExists) {
      // Reuse a password config.env already names for this role (e.g. the role was dropped), else a new one.
      const password = configured?.user === action.user && configured.password ? configured.password : randomBytes(PASSWORD_BYTES).toString('hex')
      await admin.query(`CREATE ROLE ${sqlText.ident(action.user)} LOGIN PASSWORD ${sqlText.literal(scramVerifier(password))}`)
      ctx.databaseUrl = configured ? ctx.config.DATABASE_URL : databaseUrl(action, password)
      changed = true
    }
    else if (!configured) {
      throw new Error(`role ${action.user} exists, but config.env has no DATABASE_URL with its password; add DATABASE_URL to config.env (or drop the role) and run setup again`)
    }
    else {
      ctx.databaseUrl = ctx.config.DATABASE_URL
    }
    if (!state.databaseOwner) {
      await admin.query(`CREATE DATABASE ${sqlText.ident(action.database)} OWNER ${sqlText.ident(action.user)}`)
      changed = true
    }
    else if (state.databaseOwner !== action.user) {
      throw new Error(`database ${action.database} exists and belongs to ${state.databaseOwner}, not ${action.user}`)
    }
    return changed
  }
  finally {
    await admin.close()
  }
}

function databaseUrl(action, password) {
  const url = new URL('postgres://localhost')
  url.hostname = action.host
  url.port = action.port
  url.username = action.user
  url.password = password
  url.pathname = `/${action.database}`
  return url.toString()
}
