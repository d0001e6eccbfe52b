import { HOSTNAME_RE } from '#shared/schemas/certificates'

/** Hostnames that reach file paths and command lines (SPEC §4): one strict rule, checked again at every use. */
export const hostnames = {
  isValid: (name: string): boolean => HOSTNAME_RE.test(name),

  /**
   * The name as one path segment or argv value: throws unless it is a plain DNS hostname, so
   * `..`, `/`, wildcards, whitespace and shell metacharacters never get near a path or a command
   * even if a caller skipped the API's validation.
   */
  safe(name: string): string {
    if (!HOSTNAME_RE.test(name)) throw new Error('refusing a hostname that is not a plain DNS name')
    return name
  },
}
