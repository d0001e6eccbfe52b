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
  /** More header lines (`From: <x@y>` replaces swaks' own From:). */
  headers?: string[]
  /** The server's address (default 127.0.0.1) and the client's (default: a fresh loopback one). */
  host?: string
  source?: string
  /** Runs the client inside this network (see netns.ts) instead of this namespace. */
  network?: { command: (cmd: string, args: string[]) => [string, string[]] }
}

/** swaks: one message; code 0 = accepted (250 after DATA). */
export function sendMail(msg: SmtpMessage): Promise<ClientResult> {
  const args = ['--server', `${msg.host ?? '127.0.0.1'}:${msg.port}`, '--local-interface', msg.source ?? loopbackSource(), '--helo', 'client.e2e.test', '--from', msg.from, '--to', [msg.to].flat().join(','),
    '--header', `Subject: ${msg.subject}`, ...(msg.headers ?? []).flatMap(h => ['--header', h]), '--body', msg.body ?? `body of ${msg.subject}`, '--timeout', '15']
  if (msg.tls ?? msg.auth !== undefined) args.push('--tls')
  if (msg.auth) args.push('--auth', 'PLAIN', '--auth-user', msg.auth.user, '--auth-password', msg.auth.password)
  return run(...(msg.network?.command('swaks', args) ?? ['swaks', args] as [string, string[]]))
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

// The whole newest INBOX message with this subject (STARTTLS, self-signed), polling until it arrives.
const FETCH_SCRIPT = `
import imaplib, ssl, sys, time
port, user, password, subject, tries = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
for _ in range(tries):
    m = imaplib.IMAP4('127.0.0.1', port); m.starttls(ssl._create_unverified_context()); m.login(user, password); m.select('INBOX', readonly=True)
    ids = m.search(None, 'SUBJECT', subject)[1][0].split()
    if ids:
        sys.stdout.buffer.write(m.fetch(ids[-1], '(BODY.PEEK[])')[1][0][1]); sys.exit(0)
    m.logout(); time.sleep(0.1)
sys.exit(3)
`

/** The raw message (latin1) once it is in the INBOX, or undefined after about `waitMs`. */
export async function fetchMessage(port: number, user: string, password: string, subject: string, waitMs = 10_000): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', FETCH_SCRIPT, String(port), user, password, subject, String(Math.ceil(waitMs / 100))], { encoding: 'buffer', maxBuffer: 1 << 24, timeout: waitMs + 20_000 }, (err, stdout, stderr) => {
      if (!err) resolve(stdout.toString('latin1'))
      else if (err.code === 3) resolve(undefined)
      else reject(new Error(`imap fetch failed: ${err.message}\n${stderr.toString()}`))
    })
  })
}
