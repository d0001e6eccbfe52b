import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import type { BackupTables } from '#shared/schemas/backup'

// A small archive's content with every table filled, shared by the archive unit tests.
export const VERSIONS = ['0001_core', '0002_mailbox_counts', '0003_security']
export const T = '2026-05-28T10:15:00.123456+00:00'
export const HASH = `{BLF-CRYPT}$2b$10$${'a'.repeat(53)}`
const overrides = { smtp_enabled: null, require_tls: null, max_message_size: null, max_recipients: null, daily_send_limit: null, quota_mb: null }

// Two real key pairs, so the archive check that a row's private key matches its public key has something to compare.
const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
const ed = generateKeyPairSync('ed25519')
export const pem = (k: typeof rsa.privateKey) => k.export({ type: 'pkcs8', format: 'pem' }).toString()
const spki = (k: typeof rsa.privateKey) => createPublicKey(k).export({ type: 'spki', format: 'der' })
const RSA_PUBLIC = spki(rsa.privateKey).toString('base64')
const ED_PUBLIC = spki(ed.privateKey).subarray(-32).toString('base64')

export function tables(): BackupTables {
  return {
    server_settings: [{ id: true, smtp_enabled: true, require_tls: true, max_message_size: 26_214_400, max_recipients: 100, daily_send_limit: 500, quota_mb: 1024, policyd_fail_mode: 'defer', updated_at: T }],
    security_settings: [{ id: true, admin_login_whitelist: ['203.0.113.0/24'], api_key_whitelist: [], login_rate_limit: 5, api_rate_limit: 60, trusted_proxies: ['2001:db8::1'], webhook_allowed_ranges: ['10.0.0.0/8'], updated_at: T }],
    domains: [
      { id: 1, name: 'alpha.example', description: '', active: true, ...overrides, quota_mb: 2048, created_at: T, updated_at: T },
      { id: 4, name: 'bravo.example', description: 'second', active: false, ...overrides, created_at: T, updated_at: T },
    ],
    mailboxes: [{ id: 10, domain_id: 1, username: 'jane.doe', password: HASH, name: 'Jane', active: true, ...overrides, smtp_enabled: false, created_at: T, updated_at: T }],
    aliases: [
      { id: 3, domain_id: 1, local_part: 'info', destinations: ['jane.doe@alpha.example', 'x+tag@example.org'], active: true, created_at: T, updated_at: T },
      { id: 5, domain_id: 4, local_part: '', destinations: ['jane.doe@alpha.example'], active: true, created_at: T, updated_at: T },
    ],
    api_tokens: [{ id: 2, name: 'ci', token_hash: 'f'.repeat(64), prefix: 'bsmp_abcdef', created_at: T, last_used_at: null }],
    webhooks: [{ id: 1, url: 'https://hooks.example.com/x', secret: 'webhook-secret-123456', events: ['domain.created'], created_at: T, last_delivery_at: null, last_status: null, last_error: null }],
    antispam_settings: [{ id: true, dnsbl_enabled: true, dnsbl_zones: ['zen.spamhaus.org=127.0.0.[2..11]'], greylist_enabled: true, greylist_delay: 300, greylist_max_age_days: 35, greylist_auto_whitelist: 5, spf_enabled: true, dmarc_enabled: true, clamav_enabled: false, spampd_enabled: true, updated_at: T }],
    spam_whitelist: [{ id: 1, kind: 'cidr', value: '192.0.2.0/24', comment: 'partner', created_at: T }],
    dkim_keys: [
      { id: 1, domain_id: 1, selector: 'mail', algorithm: 'rsa', bits: 1024, status: 'active', private_key: pem(rsa.privateKey), public_key: RSA_PUBLIC, created_at: T, activated_at: T, retired_at: null },
      { id: 2, domain_id: 1, selector: 'ed', algorithm: 'ed25519', bits: 256, status: 'published', private_key: pem(ed.privateKey), public_key: ED_PUBLIC, created_at: T, activated_at: null, retired_at: null },
    ],
  }
}

export const CONFIG = `JWT_SECRET='${'j'.repeat(40)}'\nADMIN_USER='admin'\nADMIN_PASSWORD_HASH='$2b$12$${'b'.repeat(53)}'\nAPI_KEY='legacy-key'\n`
