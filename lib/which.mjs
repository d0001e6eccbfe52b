// `which`, for the server's capability gates (postfix, dovecot, certbot …) and the test command's
// tool check alike: systemd units and root shells include the sbin folders in PATH.
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/**
 * The first executable `name` on `path`, or undefined.
 * @param {string} name
 * @param {string} [path]
 * @returns {string | undefined}
 */
export function which(name, path = process.env.PATH ?? '') {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    }
    catch { /* not here */ }
  }
  return undefined
}
