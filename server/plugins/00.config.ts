import { consola } from 'consola'
import { applyPanelHttps } from '#server/services/tls/panel-https'
import { ConfigError, useConfig } from '#server/utils/config'

/**
 * Loads config.env before anything else and fails closed: no JWT secret, no server. Also hands
 * HOST/PORT (and with HTTPS=on the TLS pair) from config.env to Nitro's listener, which reads them
 * from the environment after plugins run.
 */
export default defineNitroPlugin(() => {
  try {
    const config = useConfig()
    process.env.PORT = process.env.NITRO_PORT ?? String(config.port)
    process.env.HOST = process.env.NITRO_HOST ?? config.host
    if (config.https) applyPanelHttps(config)
    if (config.logFormat === 'json') consola.setReporters([{ log: entry => process.stdout.write(`${JSON.stringify({ time: entry.date.toISOString(), level: entry.type, msg: entry.args.map(String).join(' ') })}\n`) }])
  }
  catch (err) {
    if (!(err instanceof ConfigError)) throw err
    consola.error(err.message)
    process.exit(1)
  }
})
