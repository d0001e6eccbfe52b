import * as v from 'valibot'

/** Every event the panel fires; a webhook subscribes to a non-empty subset (default: all). */
export const WEBHOOK_EVENTS = [
  'domain.created',
  'domain.deleted',
  'mailbox.created',
  'mailbox.deleted',
  'alias.created',
  'alias.deleted',
] as const

export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number]

export const MAX_WEBHOOK_URL = 2048
export const MIN_WEBHOOK_SECRET = 16
export const MAX_WEBHOOK_SECRET = 256

function parseUrl(s: string): URL | undefined {
  try {
    return new URL(s)
  }
  catch {
    return undefined
  }
}

/**
 * An absolute http(s) URL without user:password (a credential in a URL ends up in logs and in
 * listings; use the secret instead). Stored normalized (`new URL().href`): lower-case scheme and host.
 */
export const webhookUrl = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.maxLength(MAX_WEBHOOK_URL, `must be at most ${MAX_WEBHOOK_URL} characters`),
  v.check((s) => {
    const url = parseUrl(s)
    return Boolean(url && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname && !url.username && !url.password)
  }, 'must be an http:// or https:// URL without credentials, such as https://hooks.example.com/mailpanel'),
  v.transform(s => parseUrl(s)!.href),
  v.maxLength(MAX_WEBHOOK_URL, `must be at most ${MAX_WEBHOOK_URL} characters once normalized`),
)

export const webhookSecret = v.pipe(
  v.string('must be a string'),
  v.minLength(MIN_WEBHOOK_SECRET, `must be at least ${MIN_WEBHOOK_SECRET} characters`),
  v.maxLength(MAX_WEBHOOK_SECRET, `must be at most ${MAX_WEBHOOK_SECRET} characters`),
)

export const webhookEvents = v.pipe(
  v.array(v.picklist(WEBHOOK_EVENTS, `each event must be one of ${WEBHOOK_EVENTS.join(', ')}`), 'must be a list of event names'),
  v.minLength(1, 'must name at least one event'),
  v.transform(list => [...new Set(list)]),
)

export const webhookCreateSchema = v.strictObject({
  url: webhookUrl,
  secret: v.optional(webhookSecret),
  events: v.optional(webhookEvents, () => [...WEBHOOK_EVENTS]),
})

export type WebhookCreate = v.InferOutput<typeof webhookCreateSchema>
