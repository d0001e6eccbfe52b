import { defineApiHandler } from '#server/request/api-handler'
import { firewall } from '#server/services/firewall/firewall'
import type { FirewallStatus } from '#shared/types/firewall'

/** GET /api/v1/security/firewall — every managed port's rule (allow / block / restrict), the panel's port and the caller's address. */
export default defineApiHandler((event): FirewallStatus => firewall.status(firewall.callerAddress(event)))
