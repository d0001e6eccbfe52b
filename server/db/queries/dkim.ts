import { useDb } from '#server/db/use'
import type { DkimAlgorithm } from '#shared/types/dkim'

export const dkimDb = {
  /** The keys the reconciler writes: active ones sign; published ones only have their files kept. */
  async keysForRender(): Promise<{ domain: string, selector: string, algorithm: DkimAlgorithm, signing: boolean, private_key: string }[]> {
    const sql = useDb()
    return sql`
      SELECT d.name AS domain, k.selector, k.algorithm, k.status = 'active' AS signing, k.private_key
      FROM dkim_keys k JOIN domains d ON d.id = k.domain_id
      WHERE k.status IN ('active', 'published')
      ORDER BY d.name, k.selector`
  },
}
