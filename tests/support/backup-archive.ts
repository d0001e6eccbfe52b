import { gunzipSync } from 'node:zlib'

/** A backup archive read back as one object: the header's fields, the tables, the files, the end line's checksum. */
export type ArchiveDocument = Record<string, unknown> & { tables: Record<string, Record<string, unknown>[]>, files: Record<string, string>, sha256: string, schema_versions: string[] }

/** A streamed archive (format 2: header, table lines and rows, files, audit lines, end line) as one object. */
export function decodeArchive(bytes: Buffer): ArchiveDocument {
  const [header, ...lines] = gunzipSync(bytes).toString('utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as Record<string, unknown>)
  const doc = { ...header, tables: {}, files: {}, sha256: '' } as ArchiveDocument
  let table = ''
  for (const line of lines) {
    if ('end' in line) doc.sha256 = line.sha256 as string
    else if ('table' in line && Object.keys(line).length === 1) doc.tables[table = line.table as string] = []
    else if ('file' in line) doc.files[line.file as string] = line.content as string
    else if ('audit' in line) doc.files['audit.log'] = `${doc.files['audit.log'] ?? ''}${line.audit as string}\n`
    else doc.tables[table]!.push(line)
  }
  return doc
}
