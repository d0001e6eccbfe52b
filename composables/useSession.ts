import type { Me } from './api-types'

/** Who is signed in (null: nobody, or not checked yet in this tab). */
export const useSessionState = () => useState<Me | null>('session', () => null)

/** Whether setup is complete (config.env has an admin password); read once per page load. */
export const useSetupState = () => useState<boolean | null>('setup-complete', () => null)

// The session cookie is HttpOnly, so the page cannot see it. This browser remembers that it signed
// in: without that mark there is nothing to probe, and a signed-out visitor goes straight to the
// sign-in page instead of asking GET /api/v1/me for a 401 (which Chromium logs as a console error).
const SIGNED_IN_MARK = 'mailpanel-signed-in'

export function forgetSignedIn() {
  localStorage.removeItem(SIGNED_IN_MARK)
}

export function useSession() {
  const api = useApi()
  const me = useSessionState()
  return {
    me,
    /** The signed-in admin, or null when the cookie is missing or no longer valid. */
    async load(): Promise<Me | null> {
      if (me.value) return me.value
      if (!localStorage.getItem(SIGNED_IN_MARK)) return null
      try {
        me.value = await $fetch<Me>('/api/v1/me', { credentials: 'same-origin' })
      }
      catch {
        me.value = null
        forgetSignedIn()
      }
      return me.value
    },
    async signIn(username: string, password: string): Promise<void> {
      await api.post('/auth/login', { username, password })
      localStorage.setItem(SIGNED_IN_MARK, '1')
      me.value = null
    },
    async signOut(): Promise<void> {
      await api.post('/auth/logout')
      forgetSignedIn()
      me.value = null
    },
  }
}
