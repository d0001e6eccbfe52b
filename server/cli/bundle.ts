import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { build, type Plugin } from 'esbuild'

/**
 * Builds the command line (server/cli) into `<output>/cli/index.mjs`, run from nuxt.config.ts when
 * Nitro has written the server. One file beside the server, so an installed tree needs nothing else:
 *
 * - `#server/…`, `#shared/…`, `#lib/…` resolve as in Nitro's bundle.
 * - The migrations and templates are embedded (`#cli-assets`), the same files Nitro ships as
 *   server assets, so the CLI applies and renders exactly what the server it sits beside does.
 * - Packages Nitro kept outside its bundle, in `<output>/server/node_modules` (PGlite with its WASM,
 *   the native bcrypt binding, postgres.js, …), are imported from there by a relative path: one
 *   copy, the one that ships.
 */

const ALIASES: Record<string, string> = { '#server/': 'server/', '#shared/': 'shared/', '#lib/': 'lib/' }
const ASSETS = '#cli-assets'

/** The release, the migrations ({version, sql}) and templates (`postfix/main.cf.liquid` → source) as a module. */
function assetsModule(root: string, release: { version: string, build: string }): string {
  const migrationsDir = join(root, 'server/db/migrations')
  const migrations = readdirSync(migrationsDir).filter(f => f.endsWith('.sql')).sort()
    .map(f => ({ version: f.replace(/\.sql$/, ''), sql: readFileSync(join(migrationsDir, f), 'utf8') }))
  // Keyed as mailstackTemplates.fromDir keys them (`postfix/main.cf.liquid`); that module needs Nitro, this runs in nuxt.config.
  const templatesDir = join(root, 'templates')
  const templates = Object.fromEntries(readdirSync(templatesDir, { recursive: true, encoding: 'utf8' }).filter(f => f.endsWith('.liquid')).sort()
    .map(f => [f, readFileSync(join(templatesDir, f), 'utf8')]))
  return [`export const release = ${JSON.stringify(release)}`, `export const migrations = ${JSON.stringify(migrations)}`, `export const templates = ${JSON.stringify(templates)}`].join('\n')
}

/** `@scope/name/sub` → `@scope/name`. */
const packageName = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/')

function panelResolution(root: string, outputDir: string, release: { version: string, build: string }): Plugin {
  const serverModules = join(outputDir, 'server/node_modules')
  const cliDir = join(outputDir, 'cli')
  return {
    name: 'mailpanel-cli',
    setup(b) {
      b.onResolve({ filter: /^#(?:server|shared|lib)\// }, async (args) => {
        const prefix = Object.keys(ALIASES).find(p => args.path.startsWith(p))!
        return b.resolve(`./${ALIASES[prefix]}${args.path.slice(prefix.length)}`, { resolveDir: root, kind: args.kind })
      })
      b.onResolve({ filter: new RegExp(`^${ASSETS}$`) }, () => ({ path: ASSETS, namespace: 'cli-assets' }))
      b.onLoad({ filter: /.*/, namespace: 'cli-assets' }, () => ({ contents: assetsModule(root, release), loader: 'js' }))
      b.onResolve({ filter: /^[@a-z]/ }, async (args) => {
        if (args.pluginData === 'shipped' || !existsSync(join(serverModules, packageName(args.path)))) return undefined
        const found = await b.resolve(args.path, { resolveDir: join(outputDir, 'server'), kind: args.kind, pluginData: 'shipped' })
        if (found.errors.length) return { errors: found.errors }
        return { path: relative(cliDir, found.path).replace(/^(?!\.)/, './'), external: true }
      })
    },
  }
}

export async function bundleCli(options: { root: string, outputDir: string, version: string, build: string }): Promise<void> {
  await build({
    entryPoints: [join(options.root, 'server/cli/index.ts')],
    outfile: join(options.outputDir, 'cli/index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    // Bundled CommonJS (postgres.js's helpers, consola's deps) may call require(): give ESM one.
    banner: { js: `import { createRequire as __cliCreateRequire } from 'node:module'; const require = __cliCreateRequire(import.meta.url);` },
    plugins: [panelResolution(options.root, options.outputDir, { version: options.version, build: options.build })],
  })
}
