import { useDb } from '#server/db/use'
import { pagedSelect } from './paged'
import type { Token } from '#shared/types/access'
import type { Page } from '#shared/types/list'

const columns = ['id', 'name', 'prefix', 'created_at', 'last_used_at'] as const

export const tokensDb = {
  async list(page: Page): Promise<{ rows: Token[], total: number }> {
    const sql = useDb()
    return pagedSelect<Token>(sql, { columns: sql(columns), from: sql`api_tokens`, orderBy: sql`id` }, page)
  },

  async create(name: string, tokenHash: string, prefix: string): Promise<Token> {
    const sql = useDb()
    const [row] = await sql<Token[]>`
      INSERT INTO api_tokens (name, token_hash, prefix) VALUES (${name}, ${tokenHash}, ${prefix}) RETURNING ${sql(columns)}`
    return row!
  },

  async findByHash(tokenHash: string): Promise<{ id: number, name: string } | undefined> {
    const sql = useDb()
    const [row] = await sql<{ id: number, name: string }[]>`SELECT id, name FROM api_tokens WHERE token_hash = ${tokenHash}`
    return row
  },

  async touch(id: number): Promise<void> {
    await useDb()`UPDATE api_tokens SET last_used_at = now() WHERE id = ${id}`
  },

  async remove(id: number): Promise<Token | undefined> {
    const sql = useDb()
    const [row] = await sql<Token[]>`DELETE FROM api_tokens WHERE id = ${id} RETURNING ${sql(columns)}`
    return row
  },
}
