import { consola } from 'consola'
import { firewall } from '#server/services/firewall/firewall'

/**
 * Puts firewall.json's rules back into BSMP_FW at start (a reboot empties the kernel's tables). A
 * failure (no iptables, not root, a damaged file) is logged and the panel starts anyway: the
 * Firewall page shows the problem and a save applies again.
 */
export default defineNitroPlugin(() => {
  firewall.applySaved()
    .then(result => result === 'applied' && consola.info('Firewall: firewall.json applied to the BSMP_FW chain'))
    .catch((err: Error) => consola.warn(`Firewall: firewall.json not applied: ${(err as { detail?: string }).detail ?? err.message}`))
})
