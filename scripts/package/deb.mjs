// The .deb: control data and maintainer scripts around the staged tree, built by dpkg-deb.
import { createHash } from 'node:crypto'
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import { maintainerScript } from './maintainer.mjs'
import { run } from './run.mjs'
import { NAME } from './stage.mjs'

export const DEB_UNIT_DIR = 'lib/systemd/system'
const MAINTAINER = 'BackendSide <support@backendside.com>'
// The bundled node links libstdc++ (GLIBCXX_3.4.21, GCC 5) and glibc 2.28; useradd/groupadd are in passwd.
const DEPENDS = 'libc6 (>= 2.28), libstdc++6 (>= 5.2), libgcc-s1, passwd'
// `setup` installs the mail stack itself (Postfix preseeded, "No configuration"): suggested, not pulled in.
const SUGGESTS = 'postfix, dovecot-core, postgresql, certbot, iptables, logrotate'
const CONFFILES = [`/etc/logrotate.d/${NAME}`, `/etc/letsencrypt/renewal-hooks/deploy/${NAME}`]
const SCRIPTS = ['postinst', 'prerm', 'postrm']

function* regularFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* regularFiles(path)
    else if (entry.isFile()) yield path
  }
}

function installedSizeKiB(root) {
  let bytes = 0
  for (const file of regularFiles(root)) bytes += statSync(file).size
  return Math.ceil(bytes / 1024)
}

function description(repo) {
  const [summary, ...body] = readFileSync(join(repo, 'packaging/description.txt'), 'utf8').trimEnd().split('\n')
  return `${summary}\n${body.map(l => ` ${l}`).join('\n')}`
}

/** /usr/share/doc/<name>: copyright (the product's LICENSE, then the runtime's) and changelog.Debian.gz. */
function docs(repo, root, fullVersion, build) {
  const doc = join(root, 'usr/share/doc', NAME)
  mkdirSync(doc, { recursive: true })
  const copyright = [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
    `Upstream-Name: ${NAME}`,
    'Source: https://backendside.com',
    '',
    'Files: *',
    'Copyright: 2026 BackendSide',
    'License: proprietary',
    ...readFileSync(join(repo, 'LICENSE'), 'utf8').trimEnd().split('\n').map(l => ` ${l || '.'}`),
    '',
    `Files: usr/lib/${NAME}/node/*`,
    'Copyright: Node.js contributors and the authors of its bundled components',
    'License: Node.js',
    ...readFileSync(join(root, `usr/lib/${NAME}/node/LICENSE`), 'utf8').trimEnd().split('\n').slice(0, 40).map(l => ` ${l.trim() || '.'}`),
    ` .`,
    ` The full text, with every bundled component's licence: /usr/lib/${NAME}/node/LICENSE`,
    '',
  ].join('\n')
  writeFileSync(join(doc, 'copyright'), copyright, { mode: 0o644 })
  const overrides = join(root, 'usr/share/lintian/overrides')
  mkdirSync(overrides, { recursive: true })
  cpSync(join(repo, 'packaging/lintian-overrides'), join(overrides, NAME))
  const date = new Date().toUTCString().replace('GMT', '+0000')
  const changelog = `${NAME} (${fullVersion}) stable; urgency=medium\n\n  * Build ${build} of BackendSide MailPanel.\n\n -- ${MAINTAINER}  ${date}\n`
  writeFileSync(join(doc, 'changelog.Debian.gz'), gzipSync(changelog, { level: 9 }), { mode: 0o644 })
}

/**
 * @param {{ repo: string, root: string, outDir: string, version: string, build: string }} o root: the staged tree
 * @returns {string} the .deb's path
 */
export function buildDeb({ repo, root, outDir, version, build }) {
  const fullVersion = `${version}-${build}`
  docs(repo, root, fullVersion, build)
  const control = join(root, 'DEBIAN')
  mkdirSync(control, { recursive: true, mode: 0o755 })
  const md5sums = [...regularFiles(root)].filter(f => !f.startsWith(control)).sort()
    .map(f => `${createHash('md5').update(readFileSync(f)).digest('hex')}  ${relative(root, f)}`)
  writeFileSync(join(control, 'md5sums'), `${md5sums.join('\n')}\n`, { mode: 0o644 })
  writeFileSync(join(control, 'conffiles'), `${CONFFILES.join('\n')}\n`, { mode: 0o644 })
  writeFileSync(join(control, 'control'), [
    `Package: ${NAME}`,
    `Version: ${fullVersion}`,
    'Architecture: amd64',
    `Maintainer: ${MAINTAINER}`,
    `Installed-Size: ${installedSizeKiB(root)}`,
    `Depends: ${DEPENDS}`,
    `Suggests: ${SUGGESTS}`,
    'Section: mail',
    'Priority: optional',
    'Homepage: https://backendside.com',
    `Description: ${description(repo)}`,
    '',
  ].join('\n'), { mode: 0o644 })
  for (const script of SCRIPTS) {
    writeFileSync(join(control, script), maintainerScript(repo, `packaging/deb/${script}`))
    chmodSync(join(control, script), 0o755)
  }
  mkdirSync(outDir, { recursive: true })
  const out = join(outDir, `${NAME}_${fullVersion}_amd64.deb`)
  run('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, out])
  return out
}
