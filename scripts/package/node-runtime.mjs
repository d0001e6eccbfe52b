// The Node runtime the packages carry: the npm registry's node-linux-<arch> package (the official
// binaries), at the one version pinned in packaging/release.json, checked against the integrity pinned
// beside it. Fetched once with `npm pack` into a cache folder, then only bin/node (stripped) and LICENSE are used.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { run } from './run.mjs'

const cacheDir = () => join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'backendside-mailpanel-package')

/** sha512-<base64>, the form npm's `dist.integrity` has. */
function integrityOf(file) {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`
}

/**
 * @param {{ version: string, integrity: Record<string, string> }} pin packaging/release.json's `node`
 * @param {string} arch npm's name for it (x64, arm64)
 * @param {string} dest folder that receives bin/node and LICENSE
 */
export function fetchNodeRuntime(pin, arch, dest) {
  const expected = pin.integrity[arch]
  if (!expected) throw new Error(`packaging/release.json pins no integrity for node-linux-${arch}@${pin.version}`)
  const dir = cacheDir()
  const tarball = join(dir, `node-linux-${arch}-${pin.version}.tgz`)
  if (!existsSync(tarball)) {
    mkdirSync(dir, { recursive: true })
    run('npm', ['pack', '--silent', `node-linux-${arch}@${pin.version}`, '--pack-destination', dir])
  }
  const actual = integrityOf(tarball)
  if (actual !== expected) throw new Error(`${tarball}: integrity ${actual}, but packaging/release.json pins ${expected} (delete the file to fetch it again)`)
  mkdirSync(dest, { recursive: true })
  run('tar', ['-xzf', tarball, '-C', dest, '--strip-components=1', 'package/bin/node', 'package/LICENSE'])
  // The symbol table only (as dh_strip does): the dynamic symbols native modules link against stay.
  run('strip', ['--strip-unneeded', '--remove-section=.comment', '--remove-section=.note', join(dest, 'bin/node')])
  return { node: join(dest, 'bin/node'), version: pin.version }
}
