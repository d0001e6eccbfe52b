import { getRequestURL } from 'h3'
// Regex sources of the app's page routes, written at build time by nuxt.config.ts ('pages:extend').
import patterns from '#page-patterns'

const pages = patterns.map(source => new RegExp(source))

/** The dashboard renders in the browser, so the shell would be a 200 everywhere: unknown pages get 404. */
export default defineNitroPlugin((nitroApp) => {
  nitroApp.hooks.hook('render:response', (response, { event }) => {
    const path = getRequestURL(event).pathname
    if (response.statusCode === 200 && !pages.some(re => re.test(path))) response.statusCode = 404
  })
})
