import type { TransactionSql } from 'postgres'

// Advisory-lock class for "one address of a domain": a mailbox and an alias are in two tables, so
// no unique index can keep them apart. Both creates take this lock on (domain, local part) before
// checking the other table, so two racing creates of the same address are serialised.
const ADDRESS_LOCK_CLASS = 0x4d50_4144 // "MPAD"

/** Holds the address lock until the transaction ends; returns what already uses the address. */
export async function lockAddress(tx: TransactionSql, domainId: number, localPart: string): Promise<{ mailbox: boolean, alias: boolean }> {
  await tx`SELECT pg_advisory_xact_lock(${ADDRESS_LOCK_CLASS}, hashtext(${`${domainId}:${localPart}`}))`
  const [row] = await tx<{ mailbox: boolean, alias: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM mailboxes WHERE domain_id = ${domainId} AND username = ${localPart}) AS mailbox,
           EXISTS (SELECT 1 FROM aliases WHERE domain_id = ${domainId} AND local_part = ${localPart}) AS alias`
  return row!
}
