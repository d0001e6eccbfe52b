import { fileURLToPath } from 'node:url'
import pkg from './package.json'
import { SECURITY_HEADERS } from './server/utils/csp'

const BUILD_NUMBER = '057'

export default defineNuxtConfig({
  modules: ['@nuxt/eslint'],
  devtools: { enabled: false },
  app: {
    head: {
      title: 'BackendSide MailPanel',
      htmlAttrs: { lang: 'en' },
    },
  },
  runtimeConfig: {
    public: { version: pkg.version, build: BUILD_NUMBER },
  },
  dir: { app: 'app' },
  // Top-level pages/, components/, composables/ (the project layout), not Nuxt 4's app/ folder.
  srcDir: '.',
  // Route rules run before Nitro serves static assets, so the security headers cover those too.
  routeRules: { '/**': { headers: SECURITY_HEADERS } },
  compatibilityDate: '2026-05-01',
  nitro: {
    preset: 'node-server',
    experimental: { tasks: true },
    serverAssets: [{ baseName: 'migrations', dir: fileURLToPath(new URL('./server/db/migrations', import.meta.url)) }],
    // PGlite loads its WASM and data bundle relative to its own files: keep it a real package.
    externals: { external: ['@electric-sql/pglite', '@electric-sql/pglite-socket'] },
  },
  typescript: { strict: true },
  telemetry: false,
  hooks: {
    // Our API error handler runs before Nuxt's: /api and /auth answer with the flat JSON
    // envelope, everything else falls through to Nuxt's error page.
    'nitro:config'(config) {
      const existing = config.errorHandler ? [config.errorHandler].flat() : []
      config.errorHandler = [fileURLToPath(new URL('./server/error.ts', import.meta.url)), ...existing]
    },
  },
  eslint: { config: { stylistic: true } },
})
