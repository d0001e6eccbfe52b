#!/usr/bin/env node
// `npm run package` (after `nuxt build`): dist/backendside-mailpanel_<version>-<build>_amd64.deb and
// dist/backendside-mailpanel-<version>-<build>.x86_64.rpm from the one .output, each with the Node
// runtime pinned in packaging/release.json. The build number is the app's (nuxt.config.ts BUILD_NUMBER)
// unless --build N says otherwise (the packaging test builds a newer one to upgrade to).
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { buildDeb, DEB_UNIT_DIR } from './deb.mjs'
import { buildRpm, RPM_UNIT_DIR } from './rpm.mjs'
import { stageTree } from './stage.mjs'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const FORMATS = ['deb', 'rpm']
// amd64 only: the native modules in .output (@node-rs/bcrypt) are the build machine's (README, Packaging).
const ARCH = 'x64'

function appBuildNumber() {
  const match = /const BUILD_NUMBER = '(\d+)'/.exec(readFileSync(join(repo, 'nuxt.config.ts'), 'utf8'))
  if (!match) throw new Error('nuxt.config.ts has no BUILD_NUMBER')
  return match[1]
}

function main() {
  const { values } = parseArgs({
    options: {
      build: { type: 'string' },
      out: { type: 'string', default: join(repo, 'dist') },
      format: { type: 'string', multiple: true },
    },
  })
  const build = values.build ?? appBuildNumber()
  if (!/^\d+$/.test(build)) throw new Error(`--build ${build}: a number`)
  const formats = values.format ?? FORMATS
  for (const f of formats) if (!FORMATS.includes(f)) throw new Error(`--format ${f}: one of ${FORMATS.join(', ')}`)
  if (!existsSync(join(repo, '.output/server/index.mjs'))) throw new Error('no .output/: run `npx nuxt build` first (`npm run package` does)')
  if (process.arch !== ARCH) throw new Error(`packages are built on ${ARCH} only (this is ${process.arch})`)

  const { version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'))
  const nodePin = JSON.parse(readFileSync(join(repo, 'packaging/release.json'), 'utf8')).node
  const outDir = resolve(values.out)
  const work = join(outDir, '.work')
  const built = []
  for (const format of formats) {
    const root = join(work, format, 'root')
    rmSync(root, { recursive: true, force: true })
    stageTree({ repo, root, unitDir: format === 'deb' ? DEB_UNIT_DIR : RPM_UNIT_DIR, nodePin, arch: ARCH })
    built.push(format === 'deb'
      ? buildDeb({ repo, root, outDir, version, build })
      : buildRpm({ repo, root, workDir: join(work, 'rpmbuild'), outDir, version, build }))
  }
  rmSync(work, { recursive: true, force: true })
  for (const file of built) process.stdout.write(`${file}\n`)
}

try {
  main()
}
catch (err) {
  process.stderr.write(`package: ${err.message}\n`)
  process.exitCode = 1
}
