import type { FormError } from '@nuxt/ui'
import { ApiClientError } from './useApi'

interface FormHandle {
  setErrors: (errors: FormError[]) => void
  clear: () => void
}

/**
 * Submits a form through the API and puts the server's answer where it belongs: a field named in a
 * VALIDATION_FAILED detail (or the `conflictField` of an …_EXISTS 409) gets the message inline;
 * anything else becomes an error toast, or with `inPlace` the `error` ref the form shows itself
 * (long texts such as certbot's output do not fit a toast).
 */
export function useApiForm(opts: { conflictField?: string, inPlace?: boolean } = {}) {
  const form = ref<FormHandle | null>(null)
  const busy = ref(false)
  const error = ref<ApiClientError | null>(null)
  const notify = useNotify()

  async function submit(action: () => Promise<void>): Promise<boolean> {
    busy.value = true
    error.value = null
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
      else if (opts.inPlace) error.value = err instanceof ApiClientError ? err : new ApiClientError(0, 'CLIENT_ERROR', 'Something went wrong', String(err))
      else notify.error(err)
      return false
    }
    finally {
      busy.value = false
    }
  }

  return { form, busy, error, submit }
}
