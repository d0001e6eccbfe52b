import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Template sources by name (`postfix/main.cf.liquid`), whichever way they were loaded. */
export type TemplateSources = Record<string, string>

/** The project's templates/ folder, resolved from this file (server/mailstack/ in the source tree). */
export const SOURCE_TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url))

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)])
}

export const mailstackTemplates = {
  /** From a folder on disk (the source tree: unit and system tests, scripts). */
  fromDir(dir = SOURCE_TEMPLATES_DIR): TemplateSources {
    const out: TemplateSources = {}
    for (const file of walk(dir).filter(f => f.endsWith('.liquid'))) out[relative(dir, file)] = readFileSync(file, 'utf8')
    return out
  },

  /** The templates bundled into the build (nuxt.config serverAssets `templates`: keys `postfix:main.cf.liquid`). */
  async fromAssets(): Promise<TemplateSources> {
    const storage = useStorage('assets:templates')
    const keys = (await storage.getKeys()).filter(k => k.endsWith('.liquid'))
    // Raw bytes: getItem would hand back a .liquid file as a parsed byte array, not text.
    const text = async (key: string) => {
      const raw = await storage.getItemRaw(key) as string | Uint8Array
      return typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8')
    }
    const entries = await Promise.all(keys.map(async key => [key.replaceAll(':', '/'), await text(key)] as const))
    return Object.fromEntries(entries)
  },

  /**
   * An admin's local changes: a file under `overridesDir` with the same relative name replaces the
   * bundled template (so an upgrade never overwrites them, and deleting one restores the default).
   * Only names the bundle knows are taken; a stray file there cannot add a config file.
   */
  withOverrides(bundled: TemplateSources, overridesDir: string): { sources: TemplateSources, overridden: string[] } {
    if (!existsSync(overridesDir)) return { sources: bundled, overridden: [] }
    const local = mailstackTemplates.fromDir(overridesDir)
    const overridden = Object.keys(local).filter(name => name in bundled).sort()
    return { sources: { ...bundled, ...Object.fromEntries(overridden.map(n => [n, local[n]!])) }, overridden }
  },
}
