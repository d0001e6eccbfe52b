import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { activityDb } from '#server/db/queries/activity'
import { mailstatsDb } from '#server/db/queries/mailstats'
import { databaseInfo } from '#server/db/use'
import { policyd } from '#server/policyd/daemon'
import { mailQueue } from '#server/services/queue/queue'
import { CachedProbe } from '#server/utils/deadline'
import type { MailStatsSummary } from '#shared/types/mailstats-api'
import type { QueueName } from '#shared/schemas/queue'

/**
 * The Prometheus registry behind GET /metrics (prom-client: the exposition format, histograms and the
 * default process metrics are its business, not ours). Two kinds of sources:
 * - pushed by the code where things happen, one call each: `metrics.httpRequest()` (server/plugins/
 *   metrics.ts, after every response) and `metrics.reconcileRun()` (server/mailstack/runner.ts);
 * - read at scrape time (`collect`): the policy daemon's counters, the mail queue, the mail stats and
 *   the database's connections. Each of those is a CachedProbe: read at most every few seconds, and a
 *   scrape never waits longer than SCRAPE_WAIT_MS for one (a slow queue listing keeps running and the
 *   previous figures are served); a source that cannot be read (no postqueue, Postfix down) is absent.
 * Labels are bounded: routes are the router's patterns (`/api/v1/domains/:id`), never raw paths.
 */

const SCRAPE_WAIT_MS = 2_000
// showq walks the whole queue; a scraper every 15 s need not make Postfix do that more often.
const QUEUE_TTL_MS = 15_000
// The collector adds minutes every MAILSTATS_INTERVAL_S (10 s by default).
const MAILSTATS_TTL_MS = 10_000
const DB_TTL_MS = 5_000
const MS_PER_HOUR = 3_600_000
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const RECONCILE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
// Triggers named by the code (server/mailstack/runner.ts callers); a debounced burst joins API
// triggers with commas, and all of those count as `mutation`.
const RECONCILE_TRIGGERS = new Set(['start', 'schedule', 'api', 'api-dry-run'])
const MAIL_KINDS = ['received', 'sent', 'delivered', 'deferred', 'bounced', 'rejected'] as const

/** Requests no route matched (static files, a middleware's answer before routing: a 429). */
export const UNMATCHED_ROUTE = '(unmatched)'

function build() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const registers = [registry]

  const queueProbe = new CachedProbe<Record<QueueName, number>>(async () => (await mailQueue.list({}, { page: 1, limit: 0 })).queues, QUEUE_TTL_MS, SCRAPE_WAIT_MS)
  const mailProbe = new CachedProbe(async () => {
    const now = Date.now()
    return mailstatsDb.windows(new Date(now - MS_PER_HOUR), new Date(now - 24 * MS_PER_HOUR))
  }, MAILSTATS_TTL_MS, SCRAPE_WAIT_MS)
  const dbProbe = new CachedProbe(() => activityDb.panelConnections(), DB_TTL_MS, SCRAPE_WAIT_MS)

  const setMail = (gauge: Gauge<'kind'>, summary: MailStatsSummary | undefined) => {
    gauge.reset()
    if (summary) for (const kind of MAIL_KINDS) gauge.set({ kind }, summary[kind])
  }

  return {
    registry,
    httpRequests: new Counter({ name: 'mailpanel_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status', labelNames: ['method', 'route', 'status'], registers }),
    httpDuration: new Histogram({ name: 'mailpanel_http_request_duration_seconds', help: 'Time from request to response, by method and route pattern', labelNames: ['method', 'route'], buckets: HTTP_BUCKETS, registers }),
    reconcileRuns: new Counter({ name: 'mailpanel_reconcile_runs_total', help: 'Reconcile runs of this process, by trigger and result (ok, failed: the report has errors, error: the run threw)', labelNames: ['trigger', 'result'], registers }),
    reconcileDuration: new Histogram({ name: 'mailpanel_reconcile_duration_seconds', help: 'Reconcile run durations, by trigger', labelNames: ['trigger'], buckets: RECONCILE_BUCKETS, registers }),
    reconcileLastSuccess: new Gauge({ name: 'mailpanel_reconcile_last_success_timestamp_seconds', help: 'When this process last finished a reconcile run without errors (Unix time)', registers }),

    policyDecisions: new Counter({
      name: 'mailpanel_policyd_decisions_total', help: 'Policy daemon verdicts since start, by kind (dunno, reject, defer)', labelNames: ['kind'], registers,
      collect() {
        this.reset()
        for (const [kind, n] of Object.entries(policyd.stats.decisions)) this.inc({ kind }, n)
      },
    }),
    policyReasons: new Counter({
      name: 'mailpanel_policyd_decision_reasons_total', help: 'Policy daemon verdicts since start, by reason', labelNames: ['reason'], registers,
      collect() {
        this.reset()
        for (const [reason, n] of Object.entries(policyd.stats.reasons)) this.inc({ reason }, n ?? 0)
      },
    }),
    policyErrors: new Counter({
      name: 'mailpanel_policyd_protocol_errors_total', help: 'Policy requests refused as malformed or too slow to arrive', labelNames: ['type'], registers,
      collect() {
        this.reset()
        this.inc({ type: 'protocol' }, policyd.stats.protocolErrors)
        this.inc({ type: 'timeout' }, policyd.stats.requestTimeouts)
      },
    }),

    queue: new Gauge({
      name: 'mailpanel_mail_queue_messages', help: 'Messages in the Postfix queue, by queue (absent when postqueue is missing or fails)', labelNames: ['queue'], registers,
      async collect() {
        const counts = await queueProbe.get()
        this.reset()
        if (counts) for (const [queue, n] of Object.entries(counts)) this.set({ queue }, n)
      },
    }),
    mailLastHour: new Gauge({
      name: 'mailpanel_mail_messages_last_hour', help: 'Mail counted by the stats collector in the last hour, by kind', labelNames: ['kind'], registers,
      async collect() {
        setMail(this, (await mailProbe.get())?.lastHour)
      },
    }),
    mailLastDay: new Gauge({
      name: 'mailpanel_mail_messages_last_24h', help: 'Mail counted by the stats collector in the last 24 hours, by kind', labelNames: ['kind'], registers,
      async collect() {
        setMail(this, (await mailProbe.get())?.last24h)
      },
    }),
    rejectsLastDay: new Gauge({
      name: 'mailpanel_mail_rejects_last_24h', help: 'Rejected mail in the last 24 hours, by reason class', labelNames: ['class'], registers,
      async collect() {
        const rejects = (await mailProbe.get())?.last24h.rejects
        this.reset()
        if (rejects) for (const [cls, n] of Object.entries(rejects)) this.set({ class: cls }, n)
      },
    }),
    dbConnections: new Gauge({
      name: 'mailpanel_db_connections', help: 'Connections of the panel (every process on this database) by state, from pg_stat_activity', labelNames: ['state'], registers,
      async collect() {
        const rows = databaseInfo().ready ? await dbProbe.get() : undefined
        this.reset()
        for (const { state, count } of rows ?? []) this.set({ state }, count)
      },
    }),
  }
}

let current: ReturnType<typeof build> | undefined
// Created on first use, not at import (no side effects at import: the default metrics start a monitor).
const m = () => (current ??= build())

const reconcileTrigger = (trigger: string) => (RECONCILE_TRIGGERS.has(trigger) ? trigger : 'mutation')

export const metrics = {
  /** Starts the default process metrics (event-loop monitor) before the first scrape. */
  start(): void {
    m()
  },

  /** One answered request; `route` is the router's pattern (or UNMATCHED_ROUTE), never the raw path. */
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method: METHODS.has(method) ? method : 'OTHER', route }
    m().httpRequests.inc({ ...labels, status: String(status) })
    m().httpDuration.observe(labels, seconds)
  },

  /** One reconcile run (dry runs too), finished or thrown. */
  reconcileRun(trigger: string, result: 'ok' | 'failed' | 'error', seconds: number): void {
    const label = reconcileTrigger(trigger)
    m().reconcileRuns.inc({ trigger: label, result })
    m().reconcileDuration.observe({ trigger: label }, seconds)
    if (result === 'ok') m().reconcileLastSuccess.set(Date.now() / 1000)
  },

  /** The exposition (text format 0.0.4) and its content type. */
  async render(): Promise<{ body: string, contentType: string }> {
    const { registry } = m()
    return { body: await registry.metrics(), contentType: registry.contentType }
  },
}
