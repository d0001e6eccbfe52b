import AppConfirmModal from '~/components/app/AppConfirmModal.vue'

interface ConfirmOptions {
  title: string
  description: string
  confirmLabel?: string
  /** Runs inside the dialog (its button shows progress); a thrown error stays in the dialog. */
  action: () => Promise<void>
}

/** Every destructive action goes through this: resolves true once the action ran, false if cancelled. */
export function useConfirm() {
  const open = useModal(AppConfirmModal)
  return async (options: ConfirmOptions): Promise<boolean> => Boolean(await open(options))
}

/** The usual delete: ask, DELETE `path` inside the dialog, toast the API's message, then `then` (reload the list, leave the page). */
export function useConfirmDelete() {
  const confirm = useConfirm()
  const api = useApi()
  const notify = useNotify()
  return (options: Omit<ConfirmOptions, 'action'> & { path: string, then: () => unknown }) => confirm({
    title: options.title,
    description: options.description,
    confirmLabel: options.confirmLabel,
    action: async () => {
      notify.success((await api.del<{ message: string }>(options.path)).message)
      await options.then()
    },
  })
}
