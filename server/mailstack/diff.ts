import { createTwoFilesPatch } from 'diff'

const REDACTED = '********'

/**
 * A unified diff of one file, old → new, with every occurrence of the secrets replaced: the
 * database password sits in the pgsql maps and the Dovecot SQL file, and a plan is shown to people.
 */
export function redactedDiff(path: string, before: string | undefined, after: string, secrets: string[]): string {
  const redact = (text: string) => secrets.filter(Boolean).reduce((acc, s) => acc.split(s).join(REDACTED), text)
  return createTwoFilesPatch(before === undefined ? '/dev/null' : path, path, redact(before ?? ''), redact(after), '', '', { context: 3 })
}
