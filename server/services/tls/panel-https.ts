import { existsSync, readFileSync } from 'node:fs'
import { ConfigError, type PanelConfig } from '#server/utils/config'
import { tlsPaths } from './paths'
import { ensureSelfSigned } from './self-signed'

/**
 * HTTPS=on: hands Nitro's node-server entry the PEM pair in NITRO_SSL_CERT / NITRO_SSL_KEY, which
 * it reads once, right after the plugins ran. The pair is the stable tls/{cert,key}.pem the
 * reconciler keeps, else the day-0 self-signed one (made now if the installer has not). A pair the
 * operator set in the environment wins. The variables are removed again on the next tick, so the
 * private key is not in the environment of every process the panel starts (certbot, openssl, …).
 */
export function applyPanelHttps(config: PanelConfig): void {
  if (process.env.NITRO_SSL_CERT && process.env.NITRO_SSL_KEY) return
  const paths = tlsPaths(config.paths)
  let pair: { cert: string, key: string }
  try {
    if (existsSync(paths.cert) && existsSync(paths.key)) {
      pair = { cert: readFileSync(paths.cert, 'utf8'), key: readFileSync(paths.key, 'utf8') }
    }
    else {
      const made = ensureSelfSigned(paths, config.mailHostname)
      pair = { cert: made.certPem, key: made.keyPem }
    }
  }
  catch (err) {
    throw new ConfigError(`HTTPS=on, but no certificate could be read or created: ${(err as Error).message}`)
  }
  process.env.NITRO_SSL_CERT = pair.cert
  process.env.NITRO_SSL_KEY = pair.key
  setImmediate(() => {
    delete process.env.NITRO_SSL_CERT
    delete process.env.NITRO_SSL_KEY
  })
}
