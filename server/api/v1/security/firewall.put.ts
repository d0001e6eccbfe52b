import { firewallUpdateSchema } from '#shared/schemas/security'
import { defineApiHandler } from '#server/request/api-handler'
import { readValidBody } from '#server/request/validate'
import { firewall } from '#server/services/firewall/firewall'
import { useConfig } from '#server/utils/config'
import type { FirewallStatus } from '#shared/types/firewall'

/**
 * PUT /api/v1/security/firewall — the whole table (a port left out is allow); applied to BSMP_FW for
 * IPv4 and IPv6, then saved to firewall.json. A panel-port rule that would block the caller is 409.
 */
export default defineApiHandler(async (event): Promise<FirewallStatus> => {
  const { ports } = await readValidBody(event, firewallUpdateSchema(useConfig().port))
  return firewall.update(ports, firewall.callerAddress(event))
})
