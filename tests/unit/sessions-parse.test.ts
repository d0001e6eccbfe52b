import { describe, expect, it } from 'vitest'
import { parseKicked, parseWho } from '#server/services/sessions/parse'

describe('doveadm who and kick output', () => {
  it('groups connections by user, protocol and address, whatever the columns are called', () => {
    const v23 = 'username\tproto\tpid\tip\nb@x.test\timap\t12\t127.0.0.2\na@x.test\timap\t10\t127.0.0.9\na@x.test\timap\t11\t127.0.0.9\na@x.test\tpop3\t13\t::1\n'
    expect(parseWho(v23)).toEqual([
      { user: 'a@x.test', protocol: 'imap', remote_ip: '127.0.0.9', connections: 2, pids: [10, 11] },
      { user: 'a@x.test', protocol: 'pop3', remote_ip: '::1', connections: 1, pids: [13] },
      { user: 'b@x.test', protocol: 'imap', remote_ip: '127.0.0.2', connections: 1, pids: [12] },
    ])
    expect(parseWho('username\tservice\tpid\tip\talt_username\nc@x.test\timap\t7\t10.0.0.1\t\n')).toEqual([{ user: 'c@x.test', protocol: 'imap', remote_ip: '10.0.0.1', connections: 1, pids: [7] }])
    expect(parseWho('')).toEqual([])
    expect(parseWho('username\tproto\tpid\tip\n')).toEqual([])
  })

  it('the users kick names, and none', () => {
    expect(parseKicked('kicked connections from the following users:\na@x.test b@x.test\n')).toEqual(['a@x.test', 'b@x.test'])
    // Dovecot 2.3.19 prints the users first.
    expect(parseKicked('a@x.test kicked connections from the following users:\n\n')).toEqual(['a@x.test'])
    expect(parseKicked('no users kicked\n')).toEqual([])
  })
})
