import * as v from 'valibot'

/** A form schema: `entries` plus a `confirm` field that must equal `field` (the error shows on confirm). */
export function withRepeat(entries: v.ObjectEntries, field: string) {
  return v.pipe(
    v.object({ ...entries, confirm: v.string() }),
    v.forward(v.check(s => (s as Record<string, unknown>)[field] === s.confirm, 'The passwords do not match'), ['confirm']),
  )
}
