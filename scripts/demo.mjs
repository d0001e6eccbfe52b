#!/usr/bin/env node
// `npm run demo`: builds the panel if needed and runs it from a scratch root (./.data/demo) on the
// embedded database unless DATABASE_URL is set. First run creates the admin with a random password.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { hash } from '@node-rs/bcrypt'
import { $, chalk, glob } from 'zx'

const root = resolve(process.env.MAILPANEL_ROOT ?? '.data/demo')
const configDir = join(root, 'etc/backendside-mailpanel')
const configFile = join(configDir, 'config.env')
const port = process.env.PORT ?? '8080'
const entry = '.output/server/index.mjs'

// Rebuild when any source file is newer than the last build.
const sources = await glob(['server/**', 'shared/**', 'pages/**', 'components/**', 'composables/**', 'app.vue', 'nuxt.config.ts', 'public/**', 'package-lock.json'])
const builtAt = existsSync(entry) ? statSync(entry).mtimeMs : 0
if (sources.some(f => statSync(f).mtimeMs > builtAt)) {
  console.log(chalk.cyan('Building the panel (about 30 s)…'))
  await $({ stdio: 'inherit' })`npx nuxt build`
}

let signIn
if (!existsSync(configFile) || !/ADMIN_PASSWORD_HASH=/.test(readFileSync(configFile, 'utf8'))) {
  mkdirSync(configDir, { recursive: true })
  const password = randomBytes(12).toString('base64url')
  const lines = [
    `JWT_SECRET='${randomBytes(48).toString('base64url')}'`,
    `ADMIN_USER='admin'`,
    `ADMIN_PASSWORD_HASH='${await hash(password, 12)}'`,
    `MAIL_HOSTNAME='mail.demo.test'`,
  ]
  writeFileSync(configFile, `${lines.join('\n')}\n`, { mode: 0o600 })
  signIn = `user ${chalk.bold('admin')}, password ${chalk.bold(password)} (shown once; it is stored only as a bcrypt hash)`
}
else {
  signIn = `user ${chalk.bold('admin')} with the password printed on the first run (delete ${configFile} to start over)`
}

const url = `http://127.0.0.1:${port}`
console.log(`
${chalk.bold('BackendSide MailPanel')} (demo root ${root}, ${process.env.DATABASE_URL ? 'PostgreSQL from DATABASE_URL' : 'embedded PostgreSQL'})
  Dashboard and API: ${chalk.green(url)}   (API under ${url}/api/v1)
  Sign in:           ${signIn}
  API sign-in:       curl -X POST ${url}/auth/login -H 'content-type: application/json' -d '{"username":"admin","password":"…"}'
`)
await $({ stdio: 'inherit', env: { ...process.env, MAILPANEL_ROOT: root, PORT: port, HOST: process.env.HOST ?? '127.0.0.1' } })`node ${entry}`.nothrow()
