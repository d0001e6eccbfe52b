import type { Mailbox } from '~/composables/api-types'

/** What the mailbox list and the mailbox's own page ask before deleting it. */
export const mailboxDeletion = (mailbox: Mailbox) => ({
  title: `Delete ${mailbox.address}?`,
  description: 'The mailbox can no longer sign in or receive mail. Its stored messages stay on disk until you remove them.',
  confirmLabel: 'Delete mailbox',
  path: `/api/v1/mailboxes/${mailbox.id}`,
})
