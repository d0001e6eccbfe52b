import type { FormError } from '@nuxt/ui'
import { ApiClientError } from './useApi'

export interface FormHandle {
  setErrors: (errors: FormError[]) => void
  clear: () => void
}

/** What AppForm and AppFormModal expose, forwarded to the UForm inside them (`inner`). */
export const forwardFormHandle = (inner: Readonly<Ref<FormHandle | null>>): FormHandle => ({
  setErrors: errors => inner.value?.setErrors(errors),
  clear: () => inner.value?.clear(),
})

/**
 * Submits a form through the API and puts the server's answer where it belongs: a field named in a
 * VALIDATION_FAILED detail (or the `conflictField` of an …_EXISTS 409) gets the message inline;
 * anything else becomes an error toast, or with `inPlace` the `error` ref the form shows itself
 * (long texts such as certbot's output do not fit a toast).
 *
 * Its UForm needs `:validate-on-input-delay="0"`: by default UForm re-checks a typed field 300 ms
 * after the last keystroke, and when the API answers sooner (typed, Enter) that late check replaces
 * the field's errors, wiping the server's message a moment after it appeared.
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

  const api = useApi()
  /** POST `body` to `path` and toast the API's message; the answer (e.g. the new `id`) is returned. */
  async function post<T = object>(path: string, body?: unknown): Promise<T & { message: string }> {
    const res = await api.post<T & { message: string }>(path, body)
    notify.success(res.message)
    return res
  }

  /** AppForm registers itself here when given this form as `api` (instead of a template ref). */
  const register = (handle: FormHandle) => {
    form.value = handle
  }

  return { form, busy, error, submit, post, register }
}

/** What useApiForm returns: AppForm and AppFormModal take it as `:api` (its busy state, its `form` handle). */
export type ApiForm = ReturnType<typeof useApiForm>

/** A text field of a dialog form (AppTextField's props; `suffix` trails the input, e.g. "@example.com"). */
export interface TextField {
  name: string
  label: string
  help?: string
  placeholder?: string
  required?: boolean
  autofocus?: boolean
  type?: string
  autocomplete?: string
  suffix?: string
}

/** A dialog form's texts and data, given to AppFormModal in one binding. */
export interface FormDialog {
  title: string
  description?: string
  submitLabel: string
  icon?: string
  wide?: boolean
  /** false: outside clicks and Escape do not close it (a token shown once). */
  dismissible?: boolean
  testid?: string
  schema?: object
  /** What the schema checks (may be computed from `values`). */
  state: object
  /** Text fields shown first, written into `values` (default: `state`); other inputs go in the slot. */
  fields?: TextField[]
  values?: Record<string, unknown>
}
