// Generated at build time by nuxt.config.ts (`nitro:init`): every API route with a method-suffixed
// handler file, e.g. { pattern: '^/api/v1/domains/[^/]+/?$', methods: ['DELETE', 'GET', 'PUT'] }.
declare module '#api-routes' {
  const routes: { pattern: string, methods: string[] }[]
  export default routes
}
