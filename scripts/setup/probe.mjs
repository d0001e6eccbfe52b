// Reads the machine's current state for the planner. Read-only: nothing here changes anything.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { envFile } from '../../lib/env-file.mjs'
import { run } from './exec.mjs'
import { osRelease } from '../../lib/os-release.mjs'
import { helperUnitFiles, MILTER_GROUPS, packagesToProbe, RHEL_PGDATA, resolveNames, SERVICES, VMAIL_ID } from './plan.mjs'
import { databaseState, openAdmin } from './pg-admin.mjs'

/** Installed packages among `names`: dpkg's "install ok installed", or whatever `rpm -q` can name. */
async function installedPackages(family, names) {
  const installed = Object.fromEntries(names.map(name => [name, false]))
  if (family === 'debian') {
    const { stdout } = await run(['dpkg-query', '-W', '-f', '${Package}\t${Status}\n', ...names])
    for (const line of stdout.split('\n')) {
      const [name, status] = line.split('\t')
      if (name in installed && status === 'install ok installed') installed[name] = true
    }
  }
  else {
    const { stdout } = await run(['rpm', '-q', '--qf', '%{NAME}\n', ...names])
    for (const line of stdout.split('\n')) if (line in installed) installed[line] = true
  }
  return installed
}

async function serviceStates() {
  const states = {}
  for (const service of SERVICES) {
    const enabled = await run(['systemctl', 'is-enabled', service])
    const active = await run(['systemctl', 'is-active', service])
    states[service] = { enabled: enabled.stdout.trim() === 'enabled', active: active.stdout.trim() === 'active' }
  }
  return states
}

/** `getent DB KEY` → the entry's fields, or null when there is none. */
async function getent(db, key) {
  const { code, stdout } = await run(['getent', db, key])
  return code === 0 && stdout.trim() ? stdout.trim().split('\n')[0].split(':') : null
}

async function accounts() {
  const [user, group, byUid, byGid] = await Promise.all([
    getent('passwd', 'vmail'), getent('group', 'vmail'), getent('passwd', String(VMAIL_ID)), getent('group', String(VMAIL_ID)),
  ])
  const postfix = await run(['id', '-nG', 'postfix'])
  const helperGroups = Object.fromEntries(await Promise.all(MILTER_GROUPS.map(async g => [g, Boolean(await getent('group', g))])))
  return {
    postfixGroups: postfix.code === 0 ? postfix.stdout.trim().split(/\s+/) : null,
    helperGroups,
    user: user && { uid: Number(user[2]), gid: Number(user[3]) },
    group: group && { gid: Number(group[2]) },
    uidOwner: byUid?.[0] ?? null,
    gidOwner: byGid?.[0] ?? null,
  }
}

function pathStates(paths) {
  const out = {}
  for (const path of Object.values(paths)) {
    try {
      const st = statSync(path)
      out[path] = { mode: st.mode, uid: st.uid, gid: st.gid }
    }
    catch {
      out[path] = null
    }
  }
  return out
}

/** Role and database as PostgreSQL sees them; unreachable (not installed or not running yet) is a state too. */
async function database(names, pgAdminUrl) {
  const admin = openAdmin(pgAdminUrl)
  try {
    return { reachable: true, ...await databaseState(admin, names.name, names.user) }
  }
  catch {
    return { reachable: false, roleExists: false, databaseOwner: '' }
  }
  finally {
    await admin.close().catch(() => {})
  }
}

/**
 * @param {{ os: ReturnType<typeof osRelease.parse>, options: { dbName?: string, dbUser?: string, hostname?: string, pgAdminUrl?: string }, paths: ReturnType<typeof import('./plan.mjs').layout> }} input
 */
export async function probeSystem({ os, options, paths }) {
  const family = osRelease.family(os)
  const config = existsSync(paths.configFile) ? envFile.parse(readFileSync(paths.configFile, 'utf8')) : null
  const systemd = existsSync('/run/systemd/system')
  const hbaFile = join(RHEL_PGDATA, 'pg_hba.conf')
  const hostname = options.hostname ? undefined : (await run(['hostname', '-f'])).stdout.trim() || undefined
  return {
    packages: await installedPackages(family, packagesToProbe(os)),
    systemd,
    services: systemd ? await serviceStates() : {},
    pgInitialised: family === 'rhel' && existsSync(join(RHEL_PGDATA, 'PG_VERSION')),
    pgHba: family === 'rhel' && existsSync(hbaFile) ? readFileSync(hbaFile, 'utf8') : null,
    accounts: await accounts(),
    paths: pathStates(paths),
    helperFiles: Object.fromEntries(helperUnitFiles(paths.root).map(f => [f.path, existsSync(f.path) ? readFileSync(f.path, 'utf8') : null])),
    config,
    hostname,
    database: await database(resolveNames(options, config), options.pgAdminUrl),
  }
}
