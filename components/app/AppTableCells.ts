/** The `#cell-<key>` slots a list component was given, to hand on to its AppTable. */
export function cellSlotNames(slots: object): `cell-${string}`[] {
  return Object.keys(slots).filter((name): name is `cell-${string}` => name.startsWith('cell-'))
}
