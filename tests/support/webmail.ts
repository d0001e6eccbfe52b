import { mkdirSync, symlinkSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { pidFrom, alive } from '#server/mailstack/process'

/** Where the panel looks for the companion under a root (server/services/webmail/paths.ts). */
export const webmailFiles = (root: string) => ({
  binary: join(root, 'usr/bin/backendside-webmail'),
  config: join(root, 'etc/backendside-webmail/config.yaml'),
  pidFile: join(root, 'run/backendside-webmail/webmail.pid'),
  log: join(root, 'var/log/backendside-webmail/webmail.log'),
})

/** Installs tests/support/webmail-standin.mjs as the root's companion binary (a symlink: Node finds `yaml` beside the real file). */
export function installWebmailStandin(root: string): void {
  const { binary } = webmailFiles(root)
  mkdirSync(dirname(binary), { recursive: true })
  symlinkSync(join(process.cwd(), 'tests/support/webmail-standin.mjs'), binary)
}

/** What the stand-in answers on its port (the settings it loaded), or null when nothing listens there. */
export async function askStandin(port: number): Promise<Record<string, unknown> | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`)
    return await res.json() as Record<string, unknown>
  }
  catch {
    return null
  }
}

/** Ends a stand-in a test left running (the panel's supervisor started it detached). */
export function killStandin(root: string): void {
  const pid = pidFrom(webmailFiles(root).pidFile)
  if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL')
}
