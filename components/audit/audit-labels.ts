/**
 * The audit log records `METHOD /route` (server/request/api-handler.ts writes ids as `:id`); people
 * read "Created mailbox". Known routes have their own words; any other gets the method's verb and
 * the resource named by the route, so a new endpoint is still readable before it is listed here.
 */
const KNOWN: Record<string, string> = {
  'POST /auth/login': 'Signed in',
  'POST /auth/logout': 'Signed out',
  'POST /setup': 'Completed setup',
  'POST /domains': 'Created domain',
  'PUT /domains/:id': 'Updated domain',
  'DELETE /domains/:id': 'Deleted domain',
  'PUT /domains/:id/config': 'Changed domain limits',
  'POST /mailboxes': 'Created mailbox',
  'PUT /mailboxes/:id': 'Updated mailbox',
  'DELETE /mailboxes/:id': 'Deleted mailbox',
  'PUT /mailboxes/:id/config': 'Changed mailbox limits',
  'PATCH /mailboxes/:id/password': 'Reset mailbox password',
  'POST /aliases': 'Created alias',
  'PUT /aliases/:id': 'Updated alias',
  'DELETE /aliases/:id': 'Deleted alias',
  'POST /admin/tokens': 'Created API token',
  'DELETE /admin/tokens/:id': 'Revoked API token',
  'POST /admin/webhooks': 'Added webhook',
  'DELETE /admin/webhooks/:id': 'Deleted webhook',
  'POST /admin/restore': 'Restored a backup',
  'POST /certificates': 'Uploaded certificate',
  'POST /certificates/issue': 'Issued certificate with certbot',
  'POST /certificates/:id/renew': 'Renewed certificate',
  'DELETE /certificates/:id': 'Deleted certificate',
  'PUT /config/server': 'Changed server limits',
  'PUT /config/mailstack': 'Changed listen settings',
  'POST /reconcile': 'Ran the reconciler',
  'PUT /policyd/settings': 'Changed policy daemon fail mode',
  'POST /policyd/reset/:id': 'Reset a mailbox\'s daily count',
  'PUT /security/settings': 'Changed security settings',
  'PUT /security/admin-password': 'Changed admin password',
}

const VERB: Record<string, string> = { POST: 'Created', PUT: 'Updated', PATCH: 'Updated', DELETE: 'Deleted' }

/** "DELETE /api/v1/domains/:id" → "Deleted domain"; "PUT /api/v1/widgets/:id/colour" → "Updated widget colour". */
export function auditLabel(action: string): string {
  const [method = '', route = ''] = action.split(' ')
  // /api/v1/auth/login and /auth/login are the same sign-in.
  const path = route.replace(/^\/api\/v1(?=\/)/, '').replace(/\/+$/, '')
  const known = KNOWN[`${method} ${path}`]
  if (known) return known
  const words = path.split('/').filter(s => s && s !== ':id' && s !== 'admin').map(s => s.replace(/-/g, ' '))
  const [resource = 'item', ...rest] = words
  const singular = resource.endsWith('ies') ? `${resource.slice(0, -3)}y` : resource.replace(/(?<!s)s$/, '')
  return [VERB[method] ?? method, singular, ...rest].join(' ')
}
