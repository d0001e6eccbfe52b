import { execFile } from 'node:child_process'

/** Result of one client run: exit code and the full transcript. */
export interface ClientResult {
  code: number
  output: string
}

/**
 * A fresh loopback source address per client run: Dovecot's auth penalty (up to 15 s of delay
 * after failed logins) is kept per client IP, and the failures this suite provokes on purpose must
 * not slow down the logins that follow.
 */
function loopbackSource(): string {
  const octet = () => 1 + Math.floor(Math.random() * 254)
  return `127.${octet()}.${octet()}.${octet()}`
}

function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<ClientResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      resolve({ code, output: `${stdout}${stderr}` })
    })
  })
}

export interface SmtpMessage {
  port: number
  from: string
  /** One recipient, or several in one transaction. */
  to: string | string[]
  subject: string
  /** Default: a short line naming the subject. */
  body?: string
  /** SASL PLAIN when given (submission); plain SMTP otherwise. */
  auth?: { user: string, password: string }
  /** STARTTLS before AUTH; default: when authenticating. */
  tls?: boolean
}

/** swaks: one message; code 0 = accepted (250 after DATA). */
export function sendMail(msg: SmtpMessage): Promise<ClientResult> {
  const args = ['--server', `127.0.0.1:${msg.port}`, '--local-interface', loopbackSource(), '--helo', 'client.e2e.test', '--from', msg.from, '--to', [msg.to].flat().join(','),
    '--header', `Subject: ${msg.subject}`, '--body', msg.body ?? `body of ${msg.subject}`, '--timeout', '15']
  if (msg.tls ?? msg.auth !== undefined) args.push('--tls')
  if (msg.auth) args.push('--auth', 'PLAIN', '--auth-user', msg.auth.user, '--auth-password', msg.auth.password)
  return run('swaks', args)
}

// A tiny imaplib driver: STARTTLS (the test certificate is self-signed), logs in, lists folders with their flags, reads INBOX subjects; prints JSON.
const IMAP_SCRIPT = `
import imaplib, json, socket, ssl, sys
port, user, password, source = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
class Client(imaplib.IMAP4):
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(source, 0))
out = {}
try:
    m = Client('127.0.0.1', port, timeout=15)
    m.starttls(ssl._create_unverified_context())
    m.login(user, password)
    out['login'] = True
    out['folders'] = [f.decode() for f in m.list()[1]]
    m.select('INBOX', readonly=True)
    ids = m.search(None, 'ALL')[1][0].split()
    out['subjects'] = [m.fetch(i, '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')[1][0][1].decode().strip() for i in ids]
    m.logout()
except imaplib.IMAP4.error as e:
    out['login'] = False
    out['error'] = str(e)
print(json.dumps(out))
`

export interface ImapView {
  login: boolean
  error?: string
  folders?: string[]
  subjects?: string[]
}

/** python3 imaplib against the test Dovecot: a failed login is `{login: false}`, not a throw. */
export async function imapView(port: number, user: string, password: string): Promise<ImapView> {
  const res = await run('python3', ['-c', IMAP_SCRIPT, String(port), user, password, loopbackSource()])
  if (res.code !== 0) throw new Error(`imap client failed (${res.code}): ${res.output}`)
  return JSON.parse(res.output) as ImapView
}
