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
