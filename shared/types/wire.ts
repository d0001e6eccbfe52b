/**
 * What JSON makes of a server-side value: a Date becomes its ISO 8601 string, everything else keeps
 * its shape. The server declares each response type once (in shared/types); the dashboard and the
 * tests read `Serialized<T>` of the same declaration, so the two can never drift apart.
 */
export type Serialized<T>
  = T extends Date ? string
    : T extends (infer U)[] ? Serialized<U>[]
      : T extends object ? { [K in keyof T]: Serialized<T[K]> }
        : T
