import type { TransactionSql } from 'postgres'
import { useDb } from '#server/db/use'
import { pagedSelect } from './paged'
import type { CertificateFiles, CertificateRecord } from '#shared/types/certificates'
import type { Page } from '#shared/types/list'

export type CertificateInput = Omit<CertificateRecord, 'id' | 'created_at' | keyof CertificateFiles>

// Any constant works; it only has to be the same in every panel process sharing the database.
const DAY0_LOCK_KEY = 7_305_117_006

const columns = ['id', 'hostname', 'source', 'cert_path', 'key_path', 'fingerprint_sha256', 'subject', 'san', 'issuer', 'not_before', 'not_after', 'created_at'] as const

const values = (input: CertificateInput) => ({
  hostname: input.hostname,
  source: input.source,
  fingerprint_sha256: input.fingerprint_sha256,
  subject: input.subject,
  san: input.san,
  issuer: input.issuer,
  not_before: input.not_before,
  not_after: input.not_after,
})

async function insert(tx: TransactionSql, input: CertificateInput, place: (id: number) => Promise<CertificateFiles>): Promise<CertificateRecord> {
  const [inserted] = await tx<{ id: number }[]>`
    INSERT INTO certificates ${tx({ ...values(input), cert_path: '', key_path: '' })} RETURNING id`
  const id = inserted!.id
  const files = await place(id)
  const [row] = await tx<CertificateRecord[]>`
    UPDATE certificates SET cert_path = ${files.cert_path}, key_path = ${files.key_path} WHERE id = ${id} RETURNING ${tx(columns)}`
  return row!
}

export const certificatesDb = {
  async list(page: Page): Promise<{ rows: CertificateRecord[], total: number }> {
    const sql = useDb()
    return pagedSelect<CertificateRecord>(sql, { columns: sql(columns), from: sql`certificates`, orderBy: sql`id` }, page)
  },

  async get(id: number): Promise<CertificateRecord | undefined> {
    const sql = useDb()
    const [row] = await sql<CertificateRecord[]>`SELECT ${sql(columns)} FROM certificates WHERE id = ${id}`
    return row
  },

  /**
   * Inserts a row; `place(id)` puts the files where they belong and returns their paths, inside
   * the transaction, so a failed placement leaves no row (and the caller cleans up files if the
   * commit itself fails).
   */
  async create(input: CertificateInput, place: (id: number) => Promise<CertificateFiles>): Promise<CertificateRecord> {
    return useDb().begin(tx => insert(tx, input, place))
  },

  /**
   * The day-0 import: under an advisory lock, so two panels starting on an empty table add one
   * certificate between them; `make()` runs only when the table is empty.
   */
  async createIfEmpty(make: () => Promise<CertificateInput & CertificateFiles>): Promise<CertificateRecord | undefined> {
    return useDb().begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${DAY0_LOCK_KEY})`
      const [count] = await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM certificates`
      if (count!.n > 0) return undefined
      const made = await make()
      return insert(tx, made, async () => made)
    })
  },

  /** A renewed certbot lineage: same row, the new certificate's facts. */
  async refresh(id: number, input: CertificateInput): Promise<CertificateRecord | undefined> {
    const sql = useDb()
    const [row] = await sql<CertificateRecord[]>`UPDATE certificates SET ${sql(values(input))} WHERE id = ${id} RETURNING ${sql(columns)}`
    return row
  },

  async certbotFor(hostname: string): Promise<CertificateRecord | undefined> {
    const sql = useDb()
    const [row] = await sql<CertificateRecord[]>`SELECT ${sql(columns)} FROM certificates WHERE source = 'certbot' AND hostname = ${hostname}`
    return row
  },

  /** Rows inside their validity window, best first: CA-issued before self-signed, then newest, then latest added. */
  async currentlyValid(): Promise<CertificateRecord[]> {
    const sql = useDb()
    return sql<CertificateRecord[]>`
      SELECT ${sql(columns)} FROM certificates
      WHERE not_before <= now() AND not_after > now()
      ORDER BY (source <> 'self-signed') DESC, not_before DESC, id DESC`
  },

  async remove(id: number): Promise<CertificateRecord | undefined> {
    const sql = useDb()
    const [row] = await sql<CertificateRecord[]>`DELETE FROM certificates WHERE id = ${id} RETURNING ${sql(columns)}`
    return row
  },
}
