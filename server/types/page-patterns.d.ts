// Virtual module generated in nuxt.config.ts: regex sources of the dashboard's page routes.
declare module '#page-patterns' {
  const patterns: string[]
  export default patterns
}
