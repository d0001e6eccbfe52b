import { join } from 'node:path'
import { dkimDb, dkimDomainsDb, type DkimKeyRow } from '#server/db/queries/dkim'
import { useConfig } from '#server/utils/config'
import { ApiError, apiErrors } from '#server/utils/errors'
import { DKIM_DEFAULT_BITS, ED25519_BITS, type DkimGenerate } from '#shared/schemas/dkim'
import type { DkimKey } from '#shared/types/dkim'
import { legacyRecord } from './key-files'
import { generateDkimKey } from './keygen'
import { findLegacyKeyFiles, legacyFileExists } from './legacy'
import { dkimRecord } from './record'

const DEFAULT_SELECTOR = 'mail'
const MAX_SELECTOR_TRIES = 1000

const keyNotFound = () => new ApiError(404, 'DKIM_KEY_NOT_FOUND', 'DKIM key not found', 'No DKIM key with that id exists.')
const conflict = (code: string, error: string, detail: string) => new ApiError(409, code, error, detail)

/** Where OpenDKIM's keys live (the reconciler writes the panel's there; an older install left its own). */
const keysDir = () => join(useConfig().paths.root, 'etc/opendkim/keys')

const iso = (d: Date | null) => d === null ? null : d.toISOString()

function toWire(row: DkimKeyRow): DkimKey {
  return {
    id: row.id,
    domain_id: row.domain_id,
    domain: row.domain,
    selector: row.selector,
    algorithm: row.algorithm,
    bits: row.bits,
    status: row.status,
    created_at: row.created_at.toISOString(),
    activated_at: iso(row.activated_at),
    retired_at: iso(row.retired_at),
    dns: dkimRecord(row.domain, row.selector, row.algorithm, row.public_key),
  }
}

async function domainOf(input: Pick<DkimGenerate, 'domain_id' | 'domain'>): Promise<{ id: number, name: string }> {
  const domain = input.domain_id !== undefined ? await dkimDomainsDb.byId(input.domain_id) : await dkimDomainsDb.byName(input.domain!)
  if (!domain) throw apiErrors.notFound('DOMAIN', input.domain_id !== undefined ? 'No domain with that id exists.' : 'No domain with that name exists in the panel.')
  return domain
}

/** `mail`, then `mail2`, `mail3` …: the first selector neither the panel nor an older install uses. */
async function freeSelector(domain: { id: number, name: string }): Promise<string> {
  const taken = new Set(await dkimDb.selectorsOf(domain.id))
  for (let n = 1; n <= MAX_SELECTOR_TRIES; n++) {
    const selector = n === 1 ? DEFAULT_SELECTOR : `${DEFAULT_SELECTOR}${n}`
    if (!taken.has(selector) && !await legacyFileExists(keysDir(), domain.name, selector)) return selector
  }
  throw conflict('DKIM_KEY_EXISTS', 'DKIM key already exists', 'Every default selector is taken; name one.')
}

async function existing(id: number): Promise<DkimKeyRow> {
  const key = await dkimDb.get(id)
  if (!key) throw keyNotFound()
  return key
}

export const dkim = {
  /** The panel's keys (retired ones included) and any older install's key files, one domain's or all. */
  async list(domainId?: number): Promise<DkimKey[]> {
    const [rows, legacy, domainIds] = await Promise.all([dkimDb.list(domainId), findLegacyKeyFiles(keysDir()), dkimDomainsDb.ids()])
    const managed = new Set((domainId === undefined ? rows : await dkimDb.list()).map(r => `${r.domain}/${r.selector}`))
    const unmanaged: DkimKey[] = legacy
      .filter(f => !managed.has(`${f.domain}/${f.selector}`))
      .filter(f => domainId === undefined || domainIds.get(f.domain) === domainId)
      .map(f => ({
        id: null,
        domain_id: domainIds.get(f.domain) ?? null,
        domain: f.domain,
        selector: f.selector,
        algorithm: f.parsed.algorithm,
        bits: f.parsed.bits,
        status: 'unmanaged',
        created_at: f.modified.toISOString(),
        activated_at: null,
        retired_at: null,
        dns: legacyRecord(f.domain, f.selector, f.parsed),
      }))
    return [...rows.map(toWire), ...unmanaged].sort((a, b) => a.domain.localeCompare(b.domain) || a.selector.localeCompare(b.selector))
  },

  /** A new key for a panel domain: active if the domain has none of its algorithm yet, else published until activated. */
  async generate(input: DkimGenerate): Promise<DkimKey> {
    const domain = await domainOf(input)
    const selector = input.selector ?? await freeSelector(domain)
    const taken = () => conflict('DKIM_KEY_EXISTS', 'DKIM key already exists', `The domain ${domain.name} already has a key with the selector ${selector}.`)
    if ((await dkimDb.selectorsOf(domain.id)).includes(selector)) throw taken()
    if (await legacyFileExists(keysDir(), domain.name, selector)) {
      throw conflict('DKIM_KEY_EXISTS', 'DKIM key already exists', `A key file from before the panel uses the selector ${selector} for ${domain.name}; choose another.`)
    }
    const bits = input.algorithm === 'ed25519' ? ED25519_BITS : input.bits ?? DKIM_DEFAULT_BITS
    const pair = await generateDkimKey(input.algorithm, bits)
    const row = await dkimDb.insert({ domain_id: domain.id, selector, algorithm: input.algorithm, bits, private_key: pair.privateKey, public_key: pair.publicKey })
    if (!row) {
      // Between the check and the insert: the domain was deleted, or the same selector was made.
      if (!await dkimDomainsDb.byId(domain.id)) throw apiErrors.notFound('DOMAIN', 'The domain was deleted meanwhile.')
      throw taken()
    }
    return toWire(row)
  },

  /** The key signs from the next reconcile on; the domain's previous signing key of that algorithm stays published. */
  async activate(id: number): Promise<DkimKey> {
    const key = await existing(id)
    if (key.status === 'retired') throw conflict('DKIM_KEY_RETIRED', 'DKIM key is retired', 'A retired key may no longer be in DNS; generate a new key instead.')
    if (key.status !== 'active') await dkimDb.activate(id)
    return toWire((await dkimDb.get(id))!)
  },

  /** Stops signing with and publishing the key: its files go at the next reconcile, its TXT record can be removed. */
  async retire(id: number): Promise<DkimKey> {
    const key = await existing(id)
    if (key.status !== 'retired') await dkimDb.retire(id)
    return toWire((await dkimDb.get(id))!)
  },

  /** Deletes a key that does not sign (the active one must be replaced or retired first). */
  async remove(id: number): Promise<DkimKeyRow> {
    const key = await existing(id)
    if (key.status === 'active' || !await dkimDb.remove(id)) {
      if (!await dkimDb.get(id)) throw keyNotFound()
      throw conflict('DKIM_KEY_ACTIVE', 'DKIM key is active', 'The key signs mail: activate another key for the domain, or retire it, before deleting it.')
    }
    return key
  },
}
