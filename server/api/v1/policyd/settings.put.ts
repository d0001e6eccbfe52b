import { policydSettingsUpdateSchema } from '#shared/schemas/policyd'
import { policyd } from '../../../policyd/daemon'
import { defineApiHandler } from '../../../utils/api-handler'
import { respond } from '../../../utils/respond'
import { readValidBody } from '../../../utils/validate'

/** PUT /api/v1/policyd/settings — sets `policyd_fail_mode` (`defer` or `dunno`); in force at once in this process. */
export default defineApiHandler(async (event) => {
  const { policyd_fail_mode } = await readValidBody(event, policydSettingsUpdateSchema)
  await policyd.setFailMode(policyd_fail_mode)
  return respond.message('Policy daemon settings updated')
})
