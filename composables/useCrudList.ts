import type { Component } from 'vue'
import type { ComponentProps } from 'vue-component-type-helpers'

interface CrudListOptions<T, M extends Component> {
  filters?: Record<string, string | number | undefined>
  search?: boolean
  /** The dialog that adds a row; it closes with something truthy once it did. */
  create: M
  createProps?: () => ComponentProps<M>
  /** Asked before the row's DELETE; `path` is what is deleted. */
  remove: (row: T) => { title: string, description: string, confirmLabel?: string, path: string }
}

/**
 * A list page or tab: the paged list (useApiList), `add` (open the create dialog, reload after it)
 * and `remove` (ask, DELETE, toast, reload).
 */
export function useCrudList<T, M extends Component>(path: string, opts: CrudListOptions<T, M>) {
  const list = useApiList<T>(path, opts.filters ?? {}, { search: opts.search ?? true })
  const openCreate = useModal(opts.create)
  const confirmDelete = useConfirmDelete()
  async function add() {
    const created = await openCreate(opts.createProps?.())
    if (created) await list.refresh()
    return created
  }
  const remove = (row: T) => confirmDelete({ ...opts.remove(row), then: list.refresh })
  return { ...list, add, remove }
}

/** What AppListPage and AppSearchList bind: a useApiList (page, table) or a useCrudList (with search, add and remove). */
export interface ListView<T> {
  page: Ref<number>
  table: ReturnType<typeof useApiList<T>>['table']
  search?: Ref<string>
  add?: () => unknown
  remove?: (row: T) => unknown
}

/** A column of AppTable: `key` names its `#cell-<key>` slot. */
export interface TableColumn { key: string, label: string, class?: string }
