import { readdirSync, readFileSync } from 'node:fs'
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
}
