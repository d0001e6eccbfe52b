import { adminPasswordSchema } from '#shared/schemas/security'
import { defineApiHandler } from '#server/request/api-handler'
import { ConfigError, updateConfigFile, useConfig } from '#server/utils/config'
import { ApiError, apiErrors } from '#server/utils/errors'
import { passwords } from '#server/utils/password'
import { respond } from '#server/request/respond'
import { readValidBody } from '#server/request/validate'

/**
 * PUT /api/v1/security/admin-password — needs the current password; rewrites config.env atomically and
 * applies at once. Every existing admin session ends (they carry a fingerprint of the old hash).
 */
export default defineApiHandler(async (event) => {
  const { current_password, new_password } = await readValidBody(event, adminPasswordSchema)
  if (!await passwords.verify(current_password, useConfig().adminPasswordHash)) {
    throw apiErrors.forbidden('current_password is wrong.')
  }
  try {
    updateConfigFile({ ADMIN_PASSWORD_HASH: await passwords.hashAdmin(new_password) })
  }
  catch (err) {
    if (err instanceof ConfigError) throw new ApiError(409, 'CONFIG_LOCKED', 'Set by the environment', `${err.message}; change it there.`)
    throw err
  }
  return respond.message('Admin password changed; sign in again')
})
