import type { LimitKey } from '#shared/schemas/limits'

/** How each limit is named and entered in the forms (SPEC §2a names the keys). */
export const LIMIT_LABELS: Record<LimitKey, { label: string, help: string, kind: 'bool' | 'number' }> = {
  smtp_enabled: { label: 'SMTP sending', help: 'May authenticated users send mail at all.', kind: 'bool' },
  require_tls: { label: 'Require TLS', help: 'Refuse submissions over an unencrypted connection.', kind: 'bool' },
  max_message_size: { label: 'Max message size (bytes)', help: 'At least 1024.', kind: 'number' },
  max_recipients: { label: 'Max recipients per message', help: '1 to 100,000.', kind: 'number' },
  daily_send_limit: { label: 'Daily send limit', help: 'Messages per UTC day; 0 = unlimited.', kind: 'number' },
  quota_mb: { label: 'Mailbox quota (MB)', help: '0 = unlimited.', kind: 'number' },
}

export function formatLimit(key: LimitKey, value: unknown): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off'
  if (typeof value !== 'number') return '—'
  if ((key === 'daily_send_limit' || key === 'quota_mb') && value === 0) return 'unlimited'
  return value.toLocaleString()
}
