// The installed tree both packages carry, laid out under a staging root. Only the systemd unit's folder
// differs between the formats (Debian 12 policy: /lib/systemd/system; the RHEL family: /usr/lib/...).
import { chmodSync, closeSync, copyFileSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import { fetchNodeRuntime } from './node-runtime.mjs'

export const NAME = 'backendside-mailpanel'
export const APP_DIR = `usr/lib/${NAME}`

// scripts/ as `setup` (and the CLI's other commands) need it: everything but the development tools.
const DEV_SCRIPTS = new Set(['package', 'demo.mjs', 'render-logos.mjs', 'test.mjs', 'test-tools.mjs'])

// What scripts/ and lib/ import besides each other (checked by the packaging test, which runs
// `setup --dry-run` from the installed tree). Nitro's traced server/node_modules has most of them
// for the server already, for this architecture (a native .node in @node-rs/bcrypt): those are linked.
// zx is only the installer's, and has no dependencies of its own: it is copied.
const SCRIPT_DEPENDENCIES = ['zx', 'postgres', '@node-rs/bcrypt']

function install(from, to, mode) {
  mkdirSync(dirname(to), { recursive: true })
  copyFileSync(from, to)
  chmodSync(to, mode)
}

/** The package's files in node_modules, without its tests or type declarations. */
function copyPackage(from, to) {
  const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'))
  if (Object.keys(pkg.dependencies ?? {}).length) throw new Error(`${from} has dependencies of its own: link it from .output or bundle it`)
  // Not its CLI (build/cli.*): the installer imports it as a library.
  cpSync(from, to, { recursive: true, filter: src => !/\.d\.[cm]?ts$|\/(test|tests|man)(\/|$)|\/build\/cli\.c?js$/.test(src) })
}

function scriptDependencies(repo, app) {
  for (const dep of SCRIPT_DEPENDENCIES) {
    const traced = join(app, 'server/node_modules', dep)
    const target = join(app, 'node_modules', dep)
    mkdirSync(dirname(target), { recursive: true })
    if (existsSync(traced)) symlinkSync(relative(dirname(target), traced), target)
    else copyPackage(join(repo, 'node_modules', dep), target)
  }
}

/**
 * Installed, the launcher and the installer are only ever run as `<bundled node> file` (/usr/bin's
 * wrapper): their `#!/usr/bin/env node` would name a node the package does not depend on.
 */
function withoutNodeShebangs(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name)
    if (!entry.isFile() || !startsWithShebang(path)) continue
    const text = readFileSync(path, 'utf8')
    if (/^#!\/usr\/bin\/env node\n/.test(text)) writeFileSync(path, text.replace(/^.*\n/, ''), { mode: 0o644 })
    chmodSync(path, 0o644)
  }
}

function startsWithShebang(path) {
  const fd = openSync(path, 'r')
  try {
    const head = Buffer.alloc(2)
    return readSync(fd, head, 0, 2, 0) === 2 && head.toString() === '#!'
  }
  finally {
    closeSync(fd)
  }
}

/** Every folder 0755, every file 0644 unless executable (then 0755): what dpkg and rpm expect. */
function normaliseModes(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isSymbolicLink()) continue
    if (entry.isDirectory()) {
      chmodSync(path, 0o755)
      normaliseModes(path)
    }
    else {
      chmodSync(path, statSync(path).mode & 0o111 || startsWithShebang(path) ? 0o755 : 0o644)
    }
  }
}
/**
 * @param {object} o
 * @param {string} o.repo the source checkout (with .output built)
 * @param {string} o.root the staging root
 * @param {string} o.unitDir e.g. lib/systemd/system
 * @param {{ version: string, integrity: Record<string, string> }} o.nodePin
 * @param {string} o.arch npm's architecture name
 */
export function stageTree({ repo, root, unitDir, nodePin, arch }) {
  const app = join(root, APP_DIR)
  const at = path => join(repo, path)
  cpSync(at('.output'), app, { recursive: true, verbatimSymlinks: true })
  install(at('bin/backendside-mailpanel'), join(app, 'bin/backendside-mailpanel'), 0o644)
  for (const name of readdirSync(at('scripts')).filter(n => !DEV_SCRIPTS.has(n))) cpSync(at(`scripts/${name}`), join(app, 'scripts', name), { recursive: true })
  for (const dir of ['bin', 'scripts']) withoutNodeShebangs(join(app, dir))
  for (const name of readdirSync(at('lib')).filter(n => n.endsWith('.mjs'))) install(at(`lib/${name}`), join(app, 'lib', name), 0o644)
  install(at('packaging/config-init.mjs'), join(app, 'packaging/config-init.mjs'), 0o644)
  install(at('packaging/prepare-write-paths'), join(app, 'packaging/prepare-write-paths'), 0o755)
  install(at('LICENSE'), join(app, 'LICENSE'), 0o644)
  const runtime = fetchNodeRuntime(nodePin, arch, join(app, 'node'))
  scriptDependencies(repo, app)

  install(at('packaging/bin/backendside-mailpanel'), join(root, 'usr/bin', NAME), 0o755)
  install(at('packaging/systemd/backendside-mailpanel.service'), join(root, unitDir, `${NAME}.service`), 0o644)
  install(at('packaging/logrotate'), join(root, 'etc/logrotate.d', NAME), 0o644)
  install(at('packaging/certbot-deploy-hook'), join(root, 'etc/letsencrypt/renewal-hooks/deploy', NAME), 0o755)
  install(at('README.md'), join(root, 'usr/share/doc', NAME, 'README.md'), 0o644)
  mkdirSync(join(root, 'usr/share/man/man1'), { recursive: true })
  writeFileSync(join(root, 'usr/share/man/man1', `${NAME}.1.gz`), gzipSync(readFileSync(at(`packaging/${NAME}.1`)), { level: 9 }))
  normaliseModes(root)
  return runtime
}
