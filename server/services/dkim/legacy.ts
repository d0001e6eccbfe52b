import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { DKIM_SELECTOR_RE } from '#shared/schemas/dkim'
import { DOMAIN_NAME_RE } from '#shared/schemas/common'
import { isPanelFile, parseKeyTxt, type ParsedTxt } from './key-files'

export interface LegacyKeyFile {
  domain: string
  selector: string
  parsed: ParsedTxt
  modified: Date
}

async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort()
  }
  catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return []
    throw err
  }
}

/**
 * `<keysDir>/<domain>/<selector>.txt` files in opendkim-genkey's format that the panel did not write
 * (an install from before the panel managed DKIM). Names that are not a domain and a selector, and
 * files that are not a DKIM key record, are passed over: they are not keys anyone could publish.
 */
export async function findLegacyKeyFiles(keysDir: string): Promise<LegacyKeyFile[]> {
  const found: LegacyKeyFile[] = []
  for (const domain of await entries(keysDir)) {
    if (!DOMAIN_NAME_RE.test(domain)) continue
    for (const file of await entries(join(keysDir, domain))) {
      const selector = file.replace(/\.txt$/, '')
      if (selector === file || !DKIM_SELECTOR_RE.test(selector)) continue
      const path = join(keysDir, domain, file)
      try {
        const content = await readFile(path, 'utf8')
        if (isPanelFile(content)) continue
        const parsed = parseKeyTxt(content)
        if (parsed) found.push({ domain, selector, parsed, modified: (await stat(path)).mtime })
      }
      catch { /* unreadable or vanished meanwhile: not listable */ }
    }
  }
  return found
}

/**
 * Whether a file the panel did not write already uses this selector: the reconciler would overwrite
 * that install's key. (A file the panel wrote for a key deleted since is its own to replace.)
 */
export async function legacyFileExists(keysDir: string, domain: string, selector: string): Promise<boolean> {
  const names = await entries(join(keysDir, domain))
  if (!names.includes(`${selector}.txt`)) return names.includes(`${selector}.private`)
  try {
    return !isPanelFile(await readFile(join(keysDir, domain, `${selector}.txt`), 'utf8'))
  }
  catch {
    return true
  }
}
