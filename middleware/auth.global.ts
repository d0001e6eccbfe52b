import type { RouteLocationNormalized } from 'vue-router'

/** Pages a signed-out visitor may see; everything else needs a session. */
const PUBLIC_PAGES = new Set(['/login', '/setup'])

/**
 * Before setup is complete only /setup exists; after it, /setup sends to /login. Every other page
 * needs a session: without one the visitor goes to /login and comes back afterwards (?next=).
 * The login page never checks the session itself, so there is no redirect loop.
 */
export default defineNuxtRouteMiddleware(async (to: RouteLocationNormalized) => {
  const setup = useSetupState()
  if (setup.value === null) {
    try {
      setup.value = (await $fetch<{ complete: boolean }>('/api/v1/setup/status')).complete
    }
    catch {
      // Unreachable panel: assume set up; the pages show the API's error.
      setup.value = true
    }
  }
  if (!setup.value) return to.path === '/setup' ? undefined : navigateTo('/setup')
  if (to.path === '/setup') return navigateTo('/login')
  if (PUBLIC_PAGES.has(to.path)) return undefined
  const me = await useSession().load()
  if (!me) return navigateTo({ path: '/login', query: { next: safeNext(to.fullPath) } })
  return undefined
})
