import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startManagedStack, type ManagedStack } from '../support/managed-stack'
import { freePorts } from '../support/server'
import type { MailstackSettingsRow } from '#shared/schemas/mailstack'
import type { ReconcileReport } from '#shared/types/mailstack'
import type { Serialized } from '#shared/types/wire'

type Report = Serialized<ReconcileReport>
type Settings = Partial<MailstackSettingsRow>

// What the API accepts must render and pass the daemons' own checkers (postconf -n/-M, postfix
// check, doveconf -n). Each accepted value is applied by a run of the reconciler, which validates
// the staged files with those checkers before anything goes live: a refusal would show as
// `ok: false` with the checker's words. Only loopback addresses, so the table holds on any machine
// (Postfix also wants inet_interfaces to be this machine's addresses).
describe('every listen setting the API accepts passes postfix check and doveconf -n', () => {
  let stack: ManagedStack

  beforeAll(async () => {
    stack = await startManagedStack({ startDaemons: false })
  }, 120_000)

  afterAll(async () => {
    await stack?.stop()
  })

  const live = (daemon: 'postfix' | 'dovecot', name: string) =>
    readFileSync(join(daemon === 'postfix' ? stack.ctx.postfix.config_directory : stack.ctx.dovecot.config_directory, name), 'utf8')

  /** PUT the settings; when the API accepts them, a reconcile must render them and pass both checkers. */
  async function applied(settings: Settings): Promise<'refused by the API' | Report> {
    const put = await stack.api('/api/v1/config/mailstack', { method: 'PUT', body: settings })
    if (put.status === 400) return 'refused by the API'
    expect(put.status, JSON.stringify(put.body)).toBe(200)
    const run = await stack.api<Report>('/api/v1/reconcile', { method: 'POST' })
    expect(run.status, JSON.stringify(run.body)).toBe(200)
    expect(run.body.errors, JSON.stringify(settings)).toEqual([])
    expect(run.body.ok).toBe(true)
    expect(run.body.files.filter(f => f.result === 'refused' || f.result === 'failed')).toEqual([])
    // doveconf passes `listen = fe80::1%eth0` or `::ffff:127.0.0.1` with only this warning, and cuts the value at the last colon.
    expect(run.body.notes.filter(n => /Obsolete setting/.test(n)), JSON.stringify(settings)).toEqual([])
    return run.body
  }

  const cases = (p: { smtp: number, submission: number, plain: number }): [string, Settings, (main: string, master: string, dovecot: string) => void][] => [
    ['IPv6 loopback services, both families on the interfaces', { smtp_listen: `[::1]:${p.smtp}`, submission_listen: `127.0.0.1:${p.submission}`, inet_interfaces: '127.0.0.1, ::1', inet_protocols: 'all' },
      (main, master) => {
        expect(master).toMatch(new RegExp(`^\\[::1\\]:${p.smtp} inet `, 'm'))
        expect(main).toMatch(/^inet_interfaces = 127\.0\.0\.1, ::1$/m)
      }],
    ['the long form of ::1, in brackets and bare', { smtp_listen: `[0:0:0:0:0:0:0:1]:${p.smtp}`, inet_interfaces: '0:0:0:0:0:0:0:1', inet_protocols: 'ipv6' },
      (main, master) => {
        expect(master).toMatch(new RegExp(`^\\[0:0:0:0:0:0:0:1\\]:${p.smtp} inet `, 'm'))
        expect(main).toMatch(/^inet_protocols = ipv6$/m)
      }],
    ['a port alone (every interface inet_interfaces names)', { smtp_listen: String(p.smtp), submission_listen: String(p.submission), inet_interfaces: 'loopback-only', inet_protocols: 'ipv4' },
      (_main, master) => expect(master).toMatch(new RegExp(`^${p.smtp} inet `, 'm'))],
    ['"ipv4, ipv6" with an IPv6 interface', { inet_interfaces: '::1', inet_protocols: 'ipv4, ipv6', smtp_listen: `[::1]:${p.smtp}` },
      main => expect(main).toMatch(/^inet_protocols = ipv4, ipv6$/m)],
    ['Dovecot on every IPv6 address', { imap_listen: '::' }, (_m, _ms, dovecot) => expect(dovecot).toMatch(/^listen = ::$/m)],
    ['Dovecot on every IPv4 address', { imap_listen: '*' }, (_m, _ms, dovecot) => expect(dovecot).toMatch(/^listen = \*$/m)],
    ['Dovecot on both loopbacks, written without a blank', { imap_listen: '127.0.0.1,::1' }, (_m, _ms, dovecot) => expect(dovecot).toMatch(/^listen = 127\.0\.0\.1, ::1$/m)],
    ['the plain submission service on IPv6 loopback', { submission_plain_listen: `[::1]:${p.plain}`, inet_interfaces: 'all', inet_protocols: 'all' },
      (_main, master) => expect(master).toMatch(new RegExp(`^\\[::1\\]:${p.plain} inet `, 'm'))],
    ['the plain submission service off again', { submission_plain_listen: null }, (_main, master) => expect(master).not.toContain('submission-plain')],
  ]

  it('a table of edge cases: each is accepted, rendered as written and passes both checkers', async () => {
    const [smtp, submission, plain] = await freePorts(3)
    const p = { smtp: smtp!, submission: submission!, plain: plain! }
    for (const [name, settings, check] of cases(p)) {
      const result = await applied(settings)
      expect(result, name).not.toBe('refused by the API')
      check(live('postfix', 'main.cf'), live('postfix', 'master.cf'), live('dovecot', 'dovecot.conf'))
    }
  }, 120_000)

  // Spellings the API refuses are in the mix on purpose (0.0.0.0, ::, IPv4-mapped, scoped): the
  // property is only about what it accepts, and before the shared validation those got through.
  it('generated combinations: whatever the API accepts passes both checkers', async () => {
    // Mostly spellings the API takes, now and then one it refuses (or one that is not this machine's).
    const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 5 }, { arbitrary: bad, weight: 1 })
    const address4 = mostly(fc.constant('127.0.0.1'), fc.constantFrom('127.0.0.2', '0.0.0.0'))
    const address6 = mostly(fc.constantFrom('::1', '0:0:0:0:0:0:0:1', '0::1', '::0:1'), fc.constantFrom('::', '::ffff:127.0.0.1', 'fe80::1%lo'))
    const service = (p: number) => fc.oneof(fc.constant(String(p)), address4.map(a => `${a}:${p}`), address6.map(a => `[${a}]:${p}`))
    const settings = fc.record({
      smtp_listen: service(21_025),
      submission_listen: service(21_587),
      imap_listen: fc.uniqueArray(mostly(fc.constantFrom('*', '::'), fc.oneof(address4, address6)), { minLength: 1, maxLength: 3 }).map(list => list.join(',')),
      inet_interfaces: fc.oneof(fc.constantFrom('all', 'loopback-only', '127.0.0.1, ::1'), address4, address6),
      inet_protocols: fc.constantFrom('all', 'ipv4', 'ipv6', 'ipv4, ipv6'),
    })
    let accepted = 0
    await fc.assert(fc.asyncProperty(settings, async (s) => {
      if (await applied(s) !== 'refused by the API') accepted++
    }), { numRuns: 25, seed: 20_261_202 })
    expect(accepted).toBeGreaterThanOrEqual(5)
  }, 240_000)
})
