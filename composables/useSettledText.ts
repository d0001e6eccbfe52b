/**
 * A text input's value and what a query should use: `settled` follows `typed` once typing has
 * paused for `delayMs`, so a filter is sent once, not on every key.
 */
export function useSettledText(delayMs: number) {
  const typed = ref('')
  const settled = ref('')
  let timer: ReturnType<typeof setTimeout> | undefined
  watch(typed, (value) => {
    clearTimeout(timer)
    timer = setTimeout(() => (settled.value = value), delayMs)
  })
  onBeforeUnmount(() => clearTimeout(timer))
  return { typed, settled }
}
