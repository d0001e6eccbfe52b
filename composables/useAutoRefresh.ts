/**
 * Refreshes a read every `intervalMs` while the page is shown and the browser tab is visible: a
 * hidden tab asks nothing, and on coming back it refreshes at once if its data is older than one
 * interval. The first read is the page's own (cached) load. A tick never overlaps a slow answer.
 */
export function useAutoRefresh(source: { refresh: () => Promise<void>, updatedAt: Ref<number | null> }, intervalMs: number) {
  let inflight: Promise<void> | null = null
  // When the last read started, successful or not: a failing read is asked again after an interval,
  // not at every tick (which would spend the API's rate limit on an error).
  let attemptedAt = 0
  const run = () => {
    attemptedAt = Date.now()
    inflight ??= source.refresh().finally(() => {
      inflight = null
    })
    return inflight
  }
  const visible = () => document.visibilityState === 'visible'
  const stale = () => Math.max(source.updatedAt.value ?? 0, attemptedAt) < Date.now() - intervalMs
  // A failed tick shows its error through the read and waits for the next one.
  const tick = () => {
    if (visible() && stale()) run().catch(() => {})
  }
  let timer: ReturnType<typeof setInterval> | undefined
  onMounted(() => {
    // Ticks check staleness, so a result read just before (by a save) is not read again.
    timer = setInterval(tick, Math.max(1000, intervalMs / 10))
    document.addEventListener('visibilitychange', tick)
  })
  onBeforeUnmount(() => {
    clearInterval(timer)
    document.removeEventListener('visibilitychange', tick)
  })
  /** After a change: wait for a read in flight, then read again, so what shows was read after the change. */
  async function refreshNow() {
    await inflight?.catch(() => {})
    await run()
  }
  return { updatedAt: computed(() => source.updatedAt.value === null ? null : new Date(source.updatedAt.value)), refreshNow }
}
