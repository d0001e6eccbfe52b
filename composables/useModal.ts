import type { Component } from 'vue'
import type { ComponentProps } from 'vue-component-type-helpers'

/**
 * Opens `component` as a modal and resolves with what it emits on `close`. Each open gets a fresh
 * instance (destroyed on close), so no form state or shown-once token survives into the next one.
 */
export function useModal<T extends Component>(component: T) {
  const overlay = useOverlay()
  return (props?: ComponentProps<T>) => overlay.create(component, { destroyOnClose: true }).open(props).result
}
