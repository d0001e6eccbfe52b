import type { LimitKey } from '#shared/schemas/limits'

/** Binary units, as Postfix and Dovecot count them (Dovecot's quota "M" is 1024 × 1024 bytes). */
export const SIZE_UNITS = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 } as const
export type SizeUnit = keyof typeof SIZE_UNITS

/**
 * How each limit is named and entered in the forms (SPEC §2a names the keys). A `size` is stored in
 * `unit` (bytes for max_message_size, MB for quota_mb) and typed in KB/MB/GB.
 */
export const LIMIT_LABELS: Record<LimitKey, { label: string, help: string, kind: 'bool' | 'number' | 'size', unit?: SizeUnit }> = {
  smtp_enabled: { label: 'SMTP sending', help: 'May authenticated users send mail at all.', kind: 'bool' },
  require_tls: { label: 'Require TLS', help: 'Refuse submissions over an unencrypted connection.', kind: 'bool' },
  max_message_size: { label: 'Max message size', help: 'At least 1 KB.', kind: 'size', unit: 'B' },
  max_recipients: { label: 'Max recipients per message', help: '1 to 100,000.', kind: 'number' },
  daily_send_limit: { label: 'Daily send limit', help: 'Messages per UTC day; 0 = unlimited.', kind: 'number' },
  quota_mb: { label: 'Mailbox quota', help: '0 = unlimited.', kind: 'size', unit: 'MB' },
}

/** 10485760 bytes → "10 MB", 1536 MB → "1.5 GB": the largest unit that keeps the number at least 1. */
export function formatSize(bytes: number): string {
  const units = Object.entries(SIZE_UNITS).reverse() as [SizeUnit, number][]
  const [unit, factor] = units.find(([, f]) => bytes >= f) ?? ['B', 1]
  return `${Number((bytes / factor).toFixed(2)).toLocaleString()} ${unit}`
}

export function formatLimit(key: LimitKey, value: unknown): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off'
  if (typeof value !== 'number') return '—'
  if ((key === 'daily_send_limit' || key === 'quota_mb') && value === 0) return 'unlimited'
  const unit = LIMIT_LABELS[key].unit
  return unit ? formatSize(value * SIZE_UNITS[unit]) : value.toLocaleString()
}
