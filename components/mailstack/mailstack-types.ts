/** GET /api/v1/reconcile/status and POST /api/v1/reconcile (server/mailstack/reconcile.ts). */
export interface ReconcileRun {
  trigger: string
  dry_run: boolean
  ok: boolean
  changed: boolean
  started_at: string
  finished_at: string
  duration_ms: number
  files: { path: string, daemon: string, result: string, error?: string }[]
  reloads: { daemon: string, result: string, error?: string }[]
  notes: string[]
  errors: string[]
  diff?: string
}

export interface ReconcileStatus {
  running: boolean
  pending: boolean
  last_run: ReconcileRun | null
  last_success_at: string | null
  capabilities: Record<string, { installed: boolean, binary?: string }>
}
