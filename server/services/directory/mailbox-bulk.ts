import type { MailboxBulk } from '#shared/schemas/mailbox-import'
import type { BulkResult } from '#shared/types/mailbox-import'
import { mailboxImportDb } from '#server/db/queries/mailbox-import'
import { mailboxesDb, type MailboxFilter } from '#server/db/queries/mailboxes'
import { webhooks } from '#server/services/webhooks/webhooks'

/**
 * POST /mailboxes/bulk: one statement per action over the rows GET /mailboxes would list for the
 * same filter (mailboxFilterWhere), so "all matching" is all or none. A delete sends the same
 * `mailbox.deleted` event per mailbox as DELETE /mailboxes/:id (loading the rows only when a webhook
 * listens); the policy daemon's staleness and the audit line come from the request wrapper and the
 * policyd plugin's beforeResponse hook, as for every other write.
 */
export const mailboxBulk = {
  async run(input: MailboxBulk): Promise<BulkResult> {
    const filter: MailboxFilter = { domainId: input.filter.domain_id, search: input.filter.search || undefined, ids: input.filter.ids }
    const base = { action: input.action, dry_run: input.dry_run }
    if (input.dry_run) {
      const { matched, active } = await mailboxesDb.countMatching(filter)
      const changed = input.action === 'activate' ? matched - active : input.action === 'deactivate' ? active : matched
      return { ...base, matched, changed }
    }
    if (input.action === 'delete') {
      const listening = await mailboxImportDb.subscribed('mailbox.deleted')
      const { count, rows } = await mailboxesDb.removeMatching(filter, listening)
      for (const mailbox of rows) await webhooks.emit('mailbox.deleted', mailbox)
      return { ...base, matched: count, changed: count }
    }
    // UPDATE … WHERE active <> wanted: the matched count is read first (the same snapshot is not needed: it is informational).
    const { matched } = await mailboxesDb.countMatching(filter)
    const changed = await mailboxesDb.setActiveMatching(filter, input.action === 'activate')
    return { ...base, matched, changed }
  },
}
