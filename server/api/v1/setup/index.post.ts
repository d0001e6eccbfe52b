import { setupSchema } from '#shared/schemas/setup'
import { defineApiHandler } from '#server/request/api-handler'
import { ConfigError, reloadConfig, updateConfigFile, useConfig } from '#server/utils/config'
import { ApiError } from '#server/utils/errors'
import { IpList } from '#server/utils/ip'
import { passwords } from '#server/utils/password'
import { respond } from '#server/request/respond'
import { securitySettings } from '#server/services/access/security-settings'
import { readValidBody } from '#server/request/validate'

const LOOPBACK = new IpList(['127.0.0.0/8', '::1/128'])
const alreadyComplete = () => new ApiError(409, 'SETUP_COMPLETE', 'Setup is already complete', 'Sign in at /login; change the password under Security.')

// One setup at a time in this process, so two racing first requests cannot both set the admin.
let running: Promise<unknown> = Promise.resolve()

/**
 * POST /api/v1/setup — the first-run wizard: sets ADMIN_USER, ADMIN_PASSWORD_HASH and MAIL_HOSTNAME in
 * config.env. Public, so it is fenced: it works only while no admin password exists (afterwards 409
 * SETUP_COMPLETE), and only from loopback (an SSH tunnel) or an address in a non-empty
 * admin_login_whitelist — an installer left half-done on a public address cannot be claimed by a stranger.
 */
export default defineApiHandler(async (event) => {
  if (useConfig().adminPasswordHash) throw alreadyComplete()
  const ip = await securitySettings.clientIp(event)
  const { adminList } = await securitySettings.get()
  if (!LOOPBACK.includes(ip) && (adminList.empty || !adminList.includes(ip))) {
    throw new ApiError(403, 'FORBIDDEN', 'Setup only from this machine',
      'Open the setup wizard from the server itself (e.g. through an SSH tunnel to 127.0.0.1), or run `backendside-mailpanel setup`.')
  }
  const input = await readValidBody(event, setupSchema)
  event.context.auditActor = input.username
  const done = running.then(async () => {
    // Re-read the file: the CLI installer may have finished setup since this process started.
    if (reloadConfig().adminPasswordHash) throw alreadyComplete()
    try {
      updateConfigFile({
        ADMIN_USER: input.username,
        ADMIN_PASSWORD_HASH: await passwords.hashAdmin(input.password),
        ...(input.mail_hostname && { MAIL_HOSTNAME: input.mail_hostname }),
      })
    }
    catch (err) {
      if (err instanceof ConfigError) throw new ApiError(409, 'CONFIG_LOCKED', 'Set by the environment', `${err.message}; change it there.`)
      throw err
    }
  })
  running = done.catch(() => {})
  await done
  return respond.message('Setup complete; sign in with the new admin account')
}, { public: true })
