import { consola } from 'consola'
import { applyPanelHttps } from '#server/services/tls/panel-https'
import { ConfigError, listenAddress, useConfig } from '#server/utils/config'
import { jsonLogs } from '#server/utils/json-logs'

/**
 * Loads config.env before anything else and fails closed: no JWT secret, no server. Also hands
 * HOST/PORT (and with HTTPS=on the TLS pair) from config.env to Nitro's listener, which reads them
 * from the environment after plugins run.
 */
export default defineNitroPlugin(() => {
  try {
    const config = useConfig()
    const { host, port } = listenAddress(config)
    process.env.PORT = port
    process.env.HOST = host
    if (config.https) applyPanelHttps(config)
    if (config.logFormat === 'json') jsonLogs.install()
  }
  catch (err) {
    if (!(err instanceof ConfigError)) throw err
    // The refusal itself in the format asked for, when that much of the configuration is readable.
    if (process.env.LOG_FORMAT === 'json') jsonLogs.install()
    consola.error(err.message)
    process.exit(1)
  }
})
