// Runs the installed panel the way its systemd unit would, on a machine where systemd does not run:
// the unit's ExecStart, User=/Group=, Environment= and a minimal environment, under NoNewPrivileges and
// its CapabilityBoundingSet (setpriv), in a mount namespace (unshare) with / read-only except the
// unit's ReadWritePaths and StateDirectory, a private /tmp and no /home or /root (ProtectSystem=strict,
// PrivateTmp, ProtectHome). The mail daemons' folders among the write paths are copies, so the
// reconciler's start-up run cannot touch this machine's own Postfix or Dovecot configuration.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The unit's [Service] settings: a key's values in order (repeated keys and space-separated lists joined). */
export function parseUnit(text) {
  const out = {}
  let section = ''
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const header = /^\[(.+)\]$/.exec(line)
    if (header) {
      section = header[1]
      continue
    }
    if (section !== 'Service') continue
    const eq = line.indexOf('=')
    const key = line.slice(0, eq)
    ;(out[key] ??= []).push(line.slice(eq + 1))
  }
  return out
}

const quote = s => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * @param {string} unitFile the installed unit
 * @param {string} scratch a folder for the copies of the daemons' folders
 * @param {string[]} ownPaths write paths used as they are (the panel's own config folder)
 * @param {string} [commandLine] an ExecStartPre= line without a prefix (default: ExecStart=)
 */
export function startAsUnit(unitFile, scratch, ownPaths, commandLine) {
  const unit = parseUnit(readFileSync(unitFile, 'utf8'))
  const one = key => unit[key]?.at(-1)
  if (one('NoNewPrivileges') !== 'yes' || one('ProtectSystem') !== 'strict') throw new Error(`${unitFile}: expected NoNewPrivileges=yes and ProtectSystem=strict`)
  const user = one('User') ?? 'root'
  const group = one('Group') ?? user
  const caps = unit.CapabilityBoundingSet.join(' ').split(/\s+/).map(c => `+${c.replace(/^CAP_/, '').toLowerCase()}`)
  const writable = unit.ReadWritePaths.join(' ').split(/\s+/)
    .map(p => ({ path: p.replace(/^-/, ''), optional: p.startsWith('-') }))
  for (const dir of unit.StateDirectory ?? []) writable.push({ path: `/var/lib/${dir}`, optional: false, state: true })

  const mounts = []
  for (const { path, optional, state } of writable) {
    if (state) mkdirSync(path, { recursive: true, mode: 0o750 })
    if (!existsSync(path)) {
      if (optional) continue
      throw new Error(`ReadWritePaths=${path} does not exist (and is not optional)`)
    }
    if (state || ownPaths.includes(path)) {
      mounts.push(`mount --bind ${quote(path)} ${quote(path)}`)
      continue
    }
    const copy = join(scratch, path.replace(/\//g, '_'))
    // cp -a: owners too (postsuper, run by `postfix check`, drops to the postfix user).
    execFileSync('cp', ['-a', path, copy])
    mounts.push(`mount --bind ${quote(copy)} ${quote(path)}`)
  }
  if (one('PrivateTmp') === 'yes') mounts.push('mount -t tmpfs -o mode=1777 tmpfs /tmp', 'mount -t tmpfs -o mode=1777 tmpfs /var/tmp')
  if (one('ProtectHome') === 'yes') mounts.push('mount -t tmpfs -o ro,mode=0755 tmpfs /home', 'mount -t tmpfs -o ro,mode=0700 tmpfs /root')
  mounts.push('mount -o remount,bind,ro /')

  const env = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: user === 'root' ? '/root' : '/',
    USER: user,
    LOGNAME: user,
    SHELL: '/bin/sh',
    LANG: 'C.UTF-8',
    // So the test sees the panel's log lines (journald would get them).
    CONSOLA_LEVEL: '3',
  }
  for (const assignment of unit.Environment ?? []) {
    const eq = assignment.indexOf('=')
    env[assignment.slice(0, eq)] = assignment.slice(eq + 1)
  }
  const exec = [
    'setpriv', `--reuid=${user}`, `--regid=${group}`, '--init-groups', '--no-new-privs', `--bounding-set=-all,${caps.join(',')}`,
    '--', 'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...(commandLine ?? one('ExecStart')).split(/\s+/),
  ]
  const script = `set -e\n${mounts.join('\n')}\nexec ${exec.map(quote).join(' ')}\n`
  const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] })
  const chunks = []
  for (const stream of [child.stdout, child.stderr]) stream.on('data', d => chunks.push(d))
  return { child, unit, output: () => Buffer.concat(chunks).toString() }
}
