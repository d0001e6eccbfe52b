import { fileURLToPath } from 'node:url'
import pkg from './package.json'
import { SECURITY_HEADERS } from './server/utils/csp'

const BUILD_NUMBER = '057'
// `npm run bench:middleware` builds a second, bench-only server (.output-bench/) with one extra route
// that serves a mailbox WITHOUT the auth/rate-limit/allowlist/audit chain, to measure what the chain
// costs. The shipped build never contains it.
const benchBuild = process.env.MAILPANEL_BENCH_BUILD === '1'
const fromRoot = (path: string) => fileURLToPath(new URL(path, import.meta.url))

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
  buildDir: benchBuild ? '.nuxt-bench' : '.nuxt',
  // Route rules run before Nitro serves static assets, so the security headers cover those too.
  routeRules: { '/**': { headers: SECURITY_HEADERS } },
  compatibilityDate: '2026-05-01',
  nitro: {
    preset: 'node-server',
    ...(benchBuild && {
      output: { dir: fromRoot('./.output-bench') },
      handlers: [{ route: '/__bench/mailboxes/:id', method: 'get', handler: fromRoot('./tests/bench/bare-mailbox.get.ts') }],
    }),
    experimental: { tasks: true },
    // The reconciler also runs at start and after relevant changes; the schedule repairs drift.
    scheduledTasks: { '*/5 * * * *': ['mailstack:reconcile'] },
    // templates/ ships inside the build as assets:templates, so the reconciler renders the same
    // sources the tests render from the tree (server/mailstack/templates.ts), wherever .output is run.
    serverAssets: [
      { baseName: 'migrations', dir: fromRoot('./server/db/migrations') },
      { baseName: 'templates', dir: fromRoot('./templates') },
    ],
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
      config.errorHandler = [fromRoot('./server/error.ts'), ...existing]
    },
  },
  eslint: { config: { stylistic: true } },
})
