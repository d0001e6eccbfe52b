import { copyFile, mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pkg from './package.json'
import { SECURITY_HEADERS } from './server/utils/csp'
import { bundleCli } from './server/cli/bundle'

const BUILD_NUMBER = '057'
// `npm run bench:middleware` builds a second, bench-only server (.output-bench/) with one extra route
// that serves a mailbox WITHOUT the auth/rate-limit/allowlist/audit chain, to measure what the chain
// costs. The shipped build never contains it.
const benchBuild = process.env.MAILPANEL_BENCH_BUILD === '1'
const NO_STORE = { 'cache-control': 'no-store', 'pragma': 'no-cache' }
const fromRoot = (path: string) => fileURLToPath(new URL(path, import.meta.url))
// Inter as the changelog ships it: the whole variable font (weights 100–900, every script Inter covers:
// Latin, Cyrillic, Greek, Vietnamese) in one 344 KB file, from the `inter-ui` package (pinned), served
// by the panel itself at /ui/fonts/. (@fontsource's files are per-script subsets.)
const INTER_FONT = fromRoot('./node_modules/inter-ui/variable/InterVariable.woff2')

export default defineNuxtConfig({
  modules: ['@nuxt/eslint', '@nuxt/ui'],
  // The dashboard is a client-rendered app behind the HttpOnly session cookie: the server only serves
  // its shell (whose inline bootstrap script server/plugins/csp-inline-scripts.ts hashes into the CSP).
  ssr: false,
  // Feature folders (components/domains/DomainCreateModal.vue) with the prefix in the file name itself.
  components: [{ path: '~/components', pathPrefix: false }],
  devtools: { enabled: false },
  app: {
    head: {
      title: 'BackendSide MailPanel',
      // Dark-only theme: no colour-mode script, no flash.
      htmlAttrs: { lang: 'en', class: 'dark' },
      // The square logo (changelog: favicon and About badge); drawn by scripts/render-logos.mjs.
      link: [{ rel: 'icon', type: 'image/png', href: '/ui/img/backendside-email-server-logo.png' }],
    },
  },
  css: ['~/assets/css/main.css'],
  // No CDN: @nuxt/fonts and runtime icon fetches are off; the lucide icons used are bundled.
  ui: { fonts: false, colorMode: false, experimental: { componentDetection: true } },
  appConfig: { ui: { colors: { primary: 'brand', neutral: 'zinc' } } },
  runtimeConfig: {
    public: { version: pkg.version, build: BUILD_NUMBER },
  },
  dir: { app: 'app' },
  // Top-level pages/, components/, composables/ (the project layout), not Nuxt 4's app/ folder.
  srcDir: '.',
  buildDir: benchBuild ? '.nuxt-bench' : '.nuxt',
  // lib/: plain-Node modules the installer (scripts/setup) shares with the server (config.env, atomic writes, os-release).
  alias: { '#lib': fromRoot('./lib') },
  // Route rules run before Nitro serves static assets, so the security headers cover those too.
  // Every API and sign-in response is dynamic, and some carry a secret (a session token, a new API
  // token, a generated password): none may be stored by a browser or a proxy.
  routeRules: {
    '/**': { headers: SECURITY_HEADERS },
    '/api/**': { headers: NO_STORE },
    '/auth/**': { headers: NO_STORE },
  },
  compatibilityDate: '2026-05-01',
  nitro: {
    preset: 'node-server',
    // Static assets ship pre-compressed (.br/.gz next to each file) and are served per Accept-Encoding.
    compressPublicAssets: { gzip: true, brotli: true },
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
    externals: { external: ['@electric-sql/pglite'] },
  },
  typescript: { strict: true },
  telemetry: false,
  hooks: {
    // The client-rendered app would answer 200 for any path: the server learns the page routes
    // here, so an unknown page is still a 404 (server/plugins/spa-not-found.ts).
    'pages:extend'(pages) {
      const patterns = pages.map(p => `^${p.path.replace(/:\w+\(\)/g, '[^/]+')}/?$`)
      process.env.NUXT_PAGE_PATTERNS = JSON.stringify(patterns)
    },
    // The methods each API path has, from the handler files Nitro scanned (`[id].delete.ts`): a
    // wrong method on a known path is a 405 with `Allow` (server/api/[...].ts), never a hand-kept list.
    'nitro:init'(nitro) {
      // The command line (bin/backendside-mailpanel reconcile, migrate, backup, …) beside the server it
      // belongs to: .output/cli/index.mjs, written once the server is (server/cli/bundle.ts).
      nitro.hooks.hook('compiled', async () => {
        if (nitro.options.dev) return
        await bundleCli({ root: fromRoot('.'), outputDir: nitro.options.output.dir, version: pkg.version, build: BUILD_NUMBER })
      })
      nitro.options.virtual['#api-routes'] = () => {
        const table = new Map<string, Set<string>>()
        for (const { route, method } of nitro.scannedHandlers) {
          if (!route || !method || !/^\/(?:api|auth)(?:\/|$)/.test(route) || route.includes('**')) continue
          const pattern = `^${route.replace(/\/$/, '').replace(/:\w+/g, '[^/]+')}/?$`
          const methods = table.get(pattern) ?? new Set<string>()
          methods.add(method.toUpperCase())
          table.set(pattern, methods)
        }
        const routes = [...table].map(([pattern, methods]) => ({ pattern, methods: [...methods].sort() }))
        return `export default ${JSON.stringify(routes)}`
      }
    },
    async 'nitro:build:public-assets'(nitro) {
      const target = join(nitro.options.output.publicDir, 'ui/fonts/InterVariable.woff2')
      await mkdir(dirname(target), { recursive: true })
      await copyFile(INTER_FONT, target)
    },
    // Our API error handler runs before Nuxt's: /api and /auth answer with the flat JSON
    // envelope, everything else falls through to Nuxt's error page.
    'nitro:config'(config) {
      config.virtual = { ...config.virtual, '#page-patterns': () => `export default ${process.env.NUXT_PAGE_PATTERNS ?? '[]'}` }
      const existing = config.errorHandler ? [config.errorHandler].flat() : []
      config.errorHandler = [fromRoot('./server/error.ts'), ...existing]
    },
  },
  eslint: { config: { stylistic: true } },
  icon: { provider: 'none', fallbackToApi: false, serverBundle: false, clientBundle: { scan: true, sizeLimitKb: 256 } },
})
