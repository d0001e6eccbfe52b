import { setResponseHeader } from 'h3'
import { contentSecurityPolicy, inlineScriptHashes } from '#server/utils/csp'

/** Rendered pages carry Nuxt's inline bootstrap script: allow exactly that text by hash, nothing else. */
export default defineNitroPlugin((nitroApp) => {
  nitroApp.hooks.hook('render:response', (response, { event }) => {
    if (typeof response.body !== 'string') return
    const hashes = inlineScriptHashes(response.body)
    if (hashes.length) setResponseHeader(event, 'Content-Security-Policy', contentSecurityPolicy(hashes))
  })
})
