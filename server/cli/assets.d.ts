// Generated at bundle time by server/cli/bundle.ts: what Nitro ships as server assets, for the CLI.
declare module '#cli-assets' {
  export const release: { version: string, build: string }
  export const migrations: { version: string, sql: string }[]
  /** `postfix/main.cf.liquid` → its source. */
  export const templates: Record<string, string>
}
