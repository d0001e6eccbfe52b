import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { requireTools } from '../../scripts/test-tools.mjs'

/** Test certificates made by the real openssl (3.0 has no -not_before, so dated leaves come from `openssl ca`). */
export interface Pair {
  cert: string
  key: string
}

export interface Ca extends Pair {
  /** Signs a leaf (or, with `ca: true`, an intermediate) valid from `from` to `to` (default: yesterday to in 90 days). */
  issue: (opts: { names: string[], from?: Date, to?: Date, ca?: boolean, keyType?: 'rsa' | 'ec' }) => Pair & { ca?: Ca }
}

const DAY_MS = 86_400_000
const CA_CONFIG = `[ca]
default_ca = test
[test]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
[leaf]
basicConstraints = CA:false
[intermediate]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
`

const openssl = (cwd: string, args: string[]) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
const stamp = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`

function keyArgs(type: 'rsa' | 'ec'): string[] {
  return type === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048']
}

function makeCa(dir: string, pair: Pair): Ca {
  return {
    ...pair,
    issue({ names, from = new Date(Date.now() - DAY_MS), to = new Date(Date.now() + 90 * DAY_MS), ca = false, keyType = 'rsa' }) {
      const work = mkdtempSync(join(dir, 'issue-'))
      writeFileSync(join(work, 'ca.cnf'), CA_CONFIG)
      writeFileSync(join(work, 'index.txt'), '')
      writeFileSync(join(work, 'serial'), `${Date.now().toString(16).padStart(16, '0')}\n`)
      writeFileSync(join(work, 'ca.pem'), pair.cert)
      writeFileSync(join(work, 'ca.key'), pair.key)
      const san = names.map(n => `DNS:${n}`).join(',')
      openssl(work, ['req', ...keyArgs(keyType), '-nodes', '-subj', `/CN=${names[0]}`, ...(san ? ['-addext', `subjectAltName=${san}`] : []), '-keyout', 'leaf.key', '-out', 'leaf.csr'])
      openssl(work, ['ca', '-batch', '-config', 'ca.cnf', '-extensions', ca ? 'intermediate' : 'leaf', '-cert', 'ca.pem', '-keyfile', 'ca.key',
        '-in', 'leaf.csr', '-out', 'leaf.pem', '-startdate', stamp(from), '-enddate', stamp(to), '-notext'])
      const issued = { cert: readFileSync(join(work, 'leaf.pem'), 'utf8'), key: readFileSync(join(work, 'leaf.key'), 'utf8') }
      return ca ? { ...issued, ca: makeCa(dir, issued) } : issued
    },
  }
}

/** A scratch folder with a root CA in it; `cleanup()` removes everything made. */
export function testPki(): { ca: Ca, selfSigned: (cn: string, opts?: { san?: string[], days?: number }) => Pair, dir: string, cleanup: () => void } {
  requireTools(['openssl'])
  const dir = mkdtempSync(join(tmpdir(), 'mailpanel-pki-'))
  const selfSigned = (cn: string, { san = [cn], days = 30 }: { san?: string[], days?: number } = {}): Pair => {
    const work = mkdtempSync(join(dir, 'self-'))
    const ext = san.length ? ['-addext', `subjectAltName=${san.map(n => `DNS:${n}`).join(',')}`] : []
    openssl(work, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', String(days), '-subj', `/CN=${cn}`, ...ext, '-keyout', 'key.pem', '-out', 'cert.pem'])
    return { cert: readFileSync(join(work, 'cert.pem'), 'utf8'), key: readFileSync(join(work, 'key.pem'), 'utf8') }
  }
  const root = selfSigned('MailPanel Test Root CA', { san: [], days: 365 })
  return { ca: makeCa(dir, root), selfSigned, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}
