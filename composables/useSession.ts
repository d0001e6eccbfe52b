import type { SessionState } from '#shared/types/access'
import type { Me } from './api-types'

/** Who is signed in (null: nobody, or not checked yet in this tab). */
export const useSessionState = () => useState<Me | null>('session', () => null)

/** Whether setup is complete (config.env has an admin password); read once per page load. */
export const useSetupState = () => useState<boolean | null>('setup-complete', () => null)

export function useSession() {
  const api = useApi()
  const me = useSessionState()
  return {
    me,
    /** The signed-in admin, or null when the cookie is missing or no longer valid. */
    async load(): Promise<Me | null> {
      if (me.value) return me.value
      // The cookie is HttpOnly: ask the server, which answers 200 either way (no 401 in the console).
      try {
        const state = await $fetch<SessionState>('/auth/session', { credentials: 'same-origin' })
        me.value = state.signed_in ? state.actor : null
      }
      catch {
        me.value = null
      }
      return me.value
    },
    async signIn(username: string, password: string): Promise<void> {
      await api.post('/auth/login', { username, password })
      me.value = null
    },
    async signOut(): Promise<void> {
      await api.post('/auth/logout')
      me.value = null
    },
  }
}
