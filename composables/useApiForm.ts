import type { FormError } from '@nuxt/ui'
import { ApiClientError } from './useApi'

interface FormHandle {
  setErrors: (errors: FormError[]) => void
  clear: () => void
}

/**
 * Submits a form through the API and puts the server's answer where it belongs: a field named in a
 * VALIDATION_FAILED detail (or the `conflictField` of an …_EXISTS 409) gets the message inline;
 * anything else becomes an error toast.
 */
export function useApiForm(opts: { conflictField?: string } = {}) {
  const form = ref<FormHandle | null>(null)
  const busy = ref(false)
  const notify = useNotify()

  async function submit(action: () => Promise<void>): Promise<boolean> {
    busy.value = true
    form.value?.clear()
    try {
      await action()
      return true
    }
    catch (err) {
      const fields = err instanceof ApiClientError ? err.fieldErrors() : {}
      if (err instanceof ApiClientError && opts.conflictField && err.code.endsWith('_EXISTS')) fields[opts.conflictField] = err.detail
      const inline = Object.entries(fields).map(([name, message]) => ({ name, message }))
      if (inline.length && form.value) form.value.setErrors(inline)
      else notify.error(err)
      return false
    }
    finally {
      busy.value = false
    }
  }

  return { form, busy, submit }
}
