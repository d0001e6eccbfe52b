import { open, mkdir, mkdtemp, rename, rm } from 'node:fs/promises'
import { dirname, join, sep } from 'node:path'
import { consola } from 'consola'
import * as v from 'valibot'
import { publicHostname, type CertificateIssue, type CertificateUpload } from '#shared/schemas/certificates'
import { certificatesDb } from '#server/db/queries/certificates'
import { useConfig } from '#server/utils/config'
import { apiErrors, scrubSecrets, toApiError } from '#server/utils/errors'
import { activeCertificate } from './active'
import { certbot } from './certbot'
import { day0 } from './day0'
import { tlsErrors } from './errors'
import { PemError, pem, type CheckedPair } from './pem'
import { certbotLive, tlsPaths } from './paths'
import { readStoredPair } from './stored'
import type { Certificate, CertificateRecord } from '#shared/types/certificates'
import type { Page } from '#shared/types/list'

const DAY_MS = 86_400_000

function view(row: CertificateRecord, activeId: number | undefined): Certificate {
  return { ...row, active: row.id === activeId, expires_in_days: Math.floor((row.not_after.getTime() - Date.now()) / DAY_MS) }
}

function checked(input: Parameters<typeof pem.checkPair>[0]): CheckedPair {
  try {
    return pem.checkPair(input)
  }
  catch (err) {
    if (err instanceof PemError) throw apiErrors.validation(err.message)
    throw err
  }
}

/** 23505: this exact certificate (fingerprint), or a certbot lineage for the hostname, is already in the table. */
function duplicate(err: unknown): unknown {
  const pg = err as { code?: string, constraint_name?: string }
  if (pg.code !== '23505') return err
  if (pg.constraint_name === 'certificates_fingerprint_sha256_key') return tlsErrors.exists('This certificate is already stored; see GET /api/v1/certificates.')
  if (pg.constraint_name === 'certificates_certbot_hostname_key') return tlsErrors.exists('A certbot certificate for this hostname exists; renew it instead.')
  return err
}

/** Creates the file with its mode from the start (never briefly world-readable) and flushes it to disk. */
async function writeNew(path: string, content: string, mode: number): Promise<void> {
  const file = await open(path, 'wx', mode)
  try {
    await file.writeFile(content)
    await file.sync()
  }
  finally {
    await file.close()
  }
}

/** The certbot lineage's files after a run, checked like an upload. */
function readLineage(hostname: string): CheckedPair & { files: { cert: string, key: string } } {
  const files = certbotLive(tlsPaths(useConfig().paths), hostname)
  const pair = readStoredPair(files.cert, files.key, hostname)
  if (!pair) throw tlsErrors.certbotFailed(`certbot finished, but ${dirname(files.cert)} holds no valid certificate and key for ${hostname}.`)
  return { ...pair, files }
}

export const certificates = {
  async list(page: Page): Promise<{ rows: Certificate[], total: number }> {
    await day0.settled()
    const [{ rows, total }, active] = await Promise.all([certificatesDb.list(page), activeCertificate()])
    return { rows: rows.map(row => view(row, active?.id)), total }
  },

  async get(id: number): Promise<Certificate> {
    const row = await certificatesDb.get(id)
    if (!row) throw tlsErrors.notFound()
    return view(row, (await activeCertificate())?.id)
  },

  /**
   * Validates everything before touching the disk, writes both files into a private temp folder,
   * and renames it to uploads/<id>/ inside the insert's transaction: a failure at any step leaves
   * neither a row nor files.
   */
  async upload(input: CertificateUpload): Promise<CertificateRecord> {
    const config = useConfig()
    const hostname = input.hostname ?? config.mailHostname
    const pair = checked({ certificate: input.certificate, privateKey: input.private_key, hostname })
    const { uploads } = tlsPaths(config.paths)
    await mkdir(uploads, { recursive: true, mode: 0o700 })
    const tmp = await mkdtemp(join(uploads, '.upload-'))
    let placed: string | undefined
    try {
      await writeNew(join(tmp, 'cert.pem'), pair.certPem, 0o644)
      await writeNew(join(tmp, 'key.pem'), pair.keyPem, 0o600)
      return await certificatesDb.create({ ...pair.meta, hostname, source: 'upload' }, async (id) => {
        const dir = join(uploads, String(id))
        await rename(tmp, dir)
        placed = dir
        return { cert_path: join(dir, 'cert.pem'), key_path: join(dir, 'key.pem') }
      })
    }
    catch (err) {
      await rm(placed ?? tmp, { recursive: true, force: true })
      throw duplicate(err)
    }
  },

  /** certbot certonly for one hostname (MAIL_HOSTNAME by default), then the lineage is recorded. */
  async issue(input: CertificateIssue): Promise<CertificateRecord> {
    const config = useConfig()
    const parsed = v.safeParse(publicHostname, input.hostname ?? config.mailHostname)
    if (!parsed.success) throw apiErrors.validation('hostname: MAIL_HOSTNAME is not a public DNS name; send hostname (such as mail.example.com)')
    const hostname = parsed.output
    const existing = await certificatesDb.certbotFor(hostname)
    if (existing) throw tlsErrors.exists(`Certificate ${existing.id} is certbot's for this hostname; renew it with POST /api/v1/certificates/${existing.id}/renew.`)
    const paths = tlsPaths(config.paths)
    if (input.method === 'webroot') await mkdir(paths.certbot.webroot, { recursive: true, mode: 0o755 })
    await certbot.run(certbot.issueArgs(paths, { hostname, email: input.email, method: input.method, httpPort: input.http_port }))
    const lineage = readLineage(hostname)
    try {
      return await certificatesDb.create({ ...lineage.meta, hostname, source: 'certbot' }, async () => ({ cert_path: lineage.files.cert, key_path: lineage.files.key }))
    }
    catch (err) {
      throw duplicate(err)
    }
  },

  /** certbot renew for the row's lineage; the row keeps its id and takes the new certificate's facts. */
  async renew(id: number, force: boolean): Promise<{ row: CertificateRecord, renewed: boolean }> {
    const row = await certificatesDb.get(id)
    if (!row) throw tlsErrors.notFound()
    if (row.source !== 'certbot') throw tlsErrors.notRenewable(row.source)
    await certbot.run(certbot.renewArgs(tlsPaths(useConfig().paths), row.hostname, force))
    const lineage = readLineage(row.hostname)
    if (lineage.meta.fingerprint_sha256 === row.fingerprint_sha256) return { row, renewed: false }
    try {
      const updated = await certificatesDb.refresh(id, { ...lineage.meta, hostname: row.hostname, source: row.source })
      if (!updated) throw tlsErrors.notFound()
      return { row: updated, renewed: true }
    }
    catch (err) {
      throw duplicate(err)
    }
  },

  /**
   * Refuses the active certificate (and so always the last valid one). An upload's folder goes
   * with its row, a certbot lineage is deleted through certbot; the day-0 pair stays on disk
   * (the installer made it, and HTTPS falls back to it).
   */
  async remove(id: number): Promise<CertificateRecord> {
    const row = await certificatesDb.get(id)
    if (!row) throw tlsErrors.notFound()
    if ((await activeCertificate())?.id === id) throw tlsErrors.active()
    const gone = await certificatesDb.remove(id)
    if (!gone) throw tlsErrors.notFound()
    const { uploads } = tlsPaths(useConfig().paths)
    if (gone.source === 'upload' && gone.cert_path.startsWith(uploads + sep)) {
      await rm(dirname(gone.cert_path), { recursive: true, force: true })
    }
    if (gone.source === 'certbot' && certbot.available()) {
      await certbot.run(certbot.deleteArgs(tlsPaths(useConfig().paths), gone.hostname))
        .catch((err: unknown) => consola.warn(`TLS: certbot could not delete the lineage of certificate ${id}: ${scrubSecrets(toApiError(err).detail)}`))
    }
    return gone
  },
}
