/**
 * Runs `refresh` on mount and every `intervalMs` while the page is shown. A tick never overlaps a
 * slow answer (it is skipped); `refreshNow` (after a change) waits for one in flight and then
 * fetches again, so what it shows was read after the change.
 */
export function useAutoRefresh(refresh: () => Promise<void>, intervalMs: number) {
  const updatedAt = ref<Date | null>(null)
  let inflight: Promise<void> | null = null

  function run(): Promise<void> {
    inflight = refresh().then(() => {
      updatedAt.value = new Date()
    }).finally(() => {
      inflight = null
    })
    return inflight
  }

  async function refreshNow() {
    await inflight?.catch(() => {})
    await run()
  }

  let timer: ReturnType<typeof setInterval> | undefined
  // `refresh` shows its own errors; a failed tick just waits for the next one.
  const tick = () => inflight ?? run().catch(() => {})
  onMounted(() => {
    tick()
    timer = setInterval(tick, intervalMs)
  })
  onBeforeUnmount(() => clearInterval(timer))
  return { updatedAt, refreshNow }
}
