import { ApiClientError } from './useApi'

/** Toasts: green for a done mutation, red with the API's `detail` for a failure. */
export function useNotify() {
  const toast = useToast()
  return {
    success: (title: string, description?: string) => toast.add({ title, description, color: 'success', icon: 'i-lucide-circle-check' }),
    error: (err: unknown) => {
      const e = err instanceof ApiClientError ? err : undefined
      toast.add({ title: e?.title ?? 'Something went wrong', description: e?.detail ?? String(err), color: 'error', icon: 'i-lucide-circle-alert' })
    },
  }
}
